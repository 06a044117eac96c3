"""Feature options: Keycloak's feature flags that Ostium knows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ostium.config.declare import BadValue, option, parse_list

__all__ = ["ABSENT_FEATURES", "FEATURES", "FeatureOptions"]


_FEATURE = re.compile(r"^(?P<name>[a-z0-9]+(-[a-z0-9]+)*)(:v(?P<version>[0-9]+))?$")

# Keycloak features Ostium has, each at Keycloak's v1 and on by default (so --features only
# restates them); --features-disabled turns them off. Who reads each one:
#   impersonation             admin/impersonation.py: 501 "Feature not enabled"
#   persistent-user-sessions  server.py: online sessions in the cache only
FEATURES: tuple[str, ...] = ("impersonation", "persistent-user-sessions")

# Keycloak features Ostium does not have. Disabling one is accepted, since off is what Ostium
# gives (hardening scripts turn token exchange off); enabling one is refused with the reason.
ABSENT_FEATURES: Mapping[str, str] = {
    "token-exchange": (
        "is Keycloak's legacy token exchange (a v1 preview) and is not supported; the standard"
        " token exchange is token-exchange-standard, which is not supported yet either"
    ),
    "token-exchange-standard": "is not supported yet (RFC 8693 token exchange)",
}


def _feature_name(item: str) -> str:
    match = _FEATURE.match(item)
    if match is None:
        raise BadValue(
            f"{item!r} is not a feature name (such as impersonation or impersonation:v1)"
        )
    name, version = match["name"], match["version"]
    if name in FEATURES and version not in (None, "1"):
        raise BadValue(f"{item!r}: Ostium has {name} in version v1 only")
    return name


def _unknown(name: str) -> BadValue:
    return BadValue(f"{name!r} is not a feature Ostium has; it has: {', '.join(FEATURES)}")


def _parse_features(raw: str) -> list[str]:
    """`--features`: only features Ostium has; Keycloak's others are refused by name."""
    features = [_feature_name(item.lower()) for item in parse_list(raw)]
    for name in features:
        if name in ABSENT_FEATURES:
            raise BadValue(f"{name!r} {ABSENT_FEATURES[name]}")
        if name not in FEATURES:
            raise _unknown(name)
    return features


def _parse_features_disabled(raw: str) -> list[str]:
    """`--features-disabled`: Ostium's features, or Keycloak's that Ostium lacks (off already)."""
    features = [_feature_name(item.lower()) for item in parse_list(raw)]
    for name in features:
        if name not in FEATURES and name not in ABSENT_FEATURES:
            raise _unknown(name)
    return features


@dataclass(frozen=True, repr=False)
class FeatureOptions:
    """Features turned on or off."""

    features: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Feature",
            description=(
                "Features to enable, separated by commas: impersonation,"
                " persistent-user-sessions (both on by default). Keycloak's other features are"
                " refused by name, such as token-exchange (its legacy v1 preview) and"
                " token-exchange-standard (not supported yet)."
            ),
            parse=_parse_features,
        ),
    )
    features_disabled: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Feature",
            description=(
                "Features to disable, separated by commas: impersonation (the admin API answers"
                " 501), persistent-user-sessions (online sessions live in the cache only)."
                " token-exchange and token-exchange-standard are accepted: Ostium has neither."
            ),
            parse=_parse_features_disabled,
        ),
    )
