"""Feature options: Keycloak's feature flags that Ostium knows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ostium.config.declare import BadValue, option, parse_list

__all__ = ["FeatureOptions"]


_FEATURE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(:v[0-9]+)?$")


def _parse_features(raw: str) -> list[str]:
    features = [item.lower() for item in parse_list(raw)]
    for feature in features:
        if not _FEATURE.match(feature):
            raise BadValue(f"{feature!r} is not a feature name (such as token-exchange:v1)")
    return features


@dataclass(frozen=True, repr=False)
class FeatureOptions:
    """Features turned on or off."""

    features: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Feature",
            description="Features to enable, separated by commas (such as token-exchange).",
            parse=_parse_features,
        ),
    )
    features_disabled: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Feature",
            description="Features to disable, separated by commas.",
            parse=_parse_features,
        ),
    )
