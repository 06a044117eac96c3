"""Ostium: a Keycloak-compatible identity and access management server."""

__version__ = "0.1.0"
