"""Use cases shared by the protocol and the admin API."""
