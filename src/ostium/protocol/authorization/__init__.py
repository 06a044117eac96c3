"""The authorization endpoint's steps (RFC 6749 §4.1.1, OIDC Core §3.1.2)."""
