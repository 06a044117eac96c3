"""PKCE (RFC 7636), with the RFC's Appendix B example as the fixture."""

from __future__ import annotations

from ostium.protocol import pkce

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_rfc7636_appendix_b() -> None:
    assert pkce.s256(RFC_VERIFIER) == RFC_CHALLENGE
    assert pkce.verify(RFC_VERIFIER, RFC_CHALLENGE, "S256")


def test_plain() -> None:
    assert pkce.verify(RFC_VERIFIER, RFC_VERIFIER, "plain")
    assert not pkce.verify(RFC_VERIFIER, RFC_CHALLENGE, "plain")


def test_verifier_alphabet_and_length() -> None:
    assert not pkce.is_valid_verifier("a" * 42)
    assert pkce.is_valid_verifier("a" * 43)
    assert pkce.is_valid_verifier("a" * 128)
    assert not pkce.is_valid_verifier("a" * 129)
    assert not pkce.is_valid_verifier("a" * 42 + "+")
    assert not pkce.verify("short", pkce.s256("short"), "S256")
