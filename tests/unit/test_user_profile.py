"""The declarative user profile's pure rules: validators, config checks, the admin context."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ostium.domain.user_profile import (
    ProfileConfigError,
    ProfileRules,
    canonical_config,
    config_text_of_component,
    default_config,
    metadata,
    rejection,
    validate_values,
)


def errors_of(name: str, values: list[str], config: dict[str, Any]) -> list[tuple[str, tuple]]:  # type: ignore[type-arg]
    return [(e.message, e.params) for e in validate_values(name, "attr", values, config)]


# --- validators: failures first -----------------------------------------------------------


def test_length_names_the_bound_that_was_broken() -> None:
    assert errors_of("length", ["ab"], {"min": 3, "max": 5}) == [
        ("error-invalid-length", ("attr", 3, 5))
    ]
    assert errors_of("length", ["ab"], {"min": "3"}) == [
        ("error-invalid-length-too-short", ("attr", 3))
    ]
    assert errors_of("length", ["abcdef"], {"max": 5}) == [
        ("error-invalid-length-too-long", ("attr", 5))
    ]
    assert errors_of("length", ["abc"], {"min": 3, "max": 5}) == []


def test_email() -> None:
    for bad in ("no-at", "a@", "@b.c", "a b@c.d", "a@b..c", "x" * 65 + "@b.c"):
        assert errors_of("email", [bad], {}) == [("error-invalid-email", ("attr",))], bad
    assert errors_of("email", ["jo.doe+x@example.co.uk", "zoe@bücher.example"], {}) == []


def test_pattern_uses_its_error_message_and_matches_the_whole_value() -> None:
    config = {"pattern": "[a-z]+", "error-message": "only-lower"}
    assert errors_of("pattern", ["abc1"], config) == [("only-lower", ("attr", "[a-z]+"))]
    assert errors_of("pattern", ["ABC"], {"pattern": "[a-z]+"})[0][0] == "error-pattern-no-match"
    assert errors_of("pattern", ["abc"], config) == []


def test_options_integer_double() -> None:
    assert errors_of("options", ["c"], {"options": ["a", "b"]})[0][0] == "error-invalid-option"
    assert errors_of("options", ["a", "b"], {"options": ["a", "b"]}) == []
    assert errors_of("integer", ["1.5"], {}) == [("error-invalid-number", ("attr",))]
    assert errors_of("integer", ["12"], {"min": 1, "max": 10}) == [
        ("error-number-out-of-range", ("attr", 1, 10))
    ]
    assert errors_of("integer", ["0"], {"min": 1})[0][0] == "error-number-out-of-range-too-small"
    assert errors_of("double", ["nan"], {}) == [("error-invalid-number", ("attr",))]
    assert errors_of("double", ["2.5"], {"max": "2.0"})[0][0] == "error-number-out-of-range-too-big"
    assert errors_of("double", ["1.5"], {"min": 1, "max": 2}) == []


def test_uri_local_date_multivalued() -> None:
    assert errors_of("uri", ["not a uri"], {})[0][0] == "error-invalid-uri"
    assert errors_of("uri", ["ftp://x/"], {"allowedSchemes": ["https"]})[0][0] == (
        "error-invalid-uri-scheme"
    )
    assert errors_of("uri", ["https://x/#f"], {"allowFragment": False})[0][0] == (
        "error-invalid-uri-fragment"
    )
    assert errors_of("uri", ["https://example.com/a"], {"allowedSchemes": ["https"]}) == []
    for bad in ("2024-02-30", "24-01-01", "2024-1-1", "yesterday", "2024-W01-1", "20240101"):
        assert errors_of("local-date", [bad], {}) == [("error-invalid-date", ("attr",))], bad
    assert errors_of("local-date", ["2024-02-29"], {}) == []
    assert errors_of("multivalued", ["a", "b", "c"], {"min": 1, "max": 2}) == [
        ("error-invalid-multivalued-size", ("attr", 1, 2))
    ]
    assert errors_of("multivalued", ["a"], {"max": 2}) == []


def test_prohibited_characters_and_idn_homographs() -> None:
    for bad in ("<b>", "a&b", "x;y", "tab\there", "a/b"):
        assert errors_of("person-name-prohibited-characters", [bad], {}), bad
    assert errors_of("person-name-prohibited-characters", ["Zoë O'Brien-Smith"], {}) == []
    for bad in ("a b", "a'b", "a:b", "ивaн", "a\u0301"):
        assert errors_of("username-prohibited-characters", [bad], {}), bad
    assert errors_of("username-prohibited-characters", ["jo.doe_1@x-y", "zoë"], {}) == []
    # A fullwidth "a" (U+FF41) is mapped to "a" by IDNA: a homograph of "admin".
    assert errors_of("up-username-not-idn-homograph", ["\uff41dmin"], {}) == [
        ("error-username-invalid-character", ("attr",))
    ]
    assert errors_of("up-username-not-idn-homograph", ["admin", "jo.doe"], {}) == []


def test_empty_values_are_left_to_required() -> None:
    assert errors_of("length", [""], {"min": 3}) == []
    assert errors_of("email", [""], {}) == []


# --- config checks ------------------------------------------------------------------------


def with_attribute(**attribute: Any) -> dict[str, Any]:
    config = copy.deepcopy(default_config())
    config["attributes"].append(attribute)
    return config


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ([], "must be a JSON object"),
        ({}, "without 'attributes'"),
        ({"attributes": [{"name": "email"}]}, "'username' cannot be removed"),
        (with_attribute(name="x", validations={"nope": {}}), "Validator 'nope'"),
        (with_attribute(name="x", validations={"length": {"min": "a"}}), "incorrect"),
        (with_attribute(name="x", validations={"length": {"min": 5, "max": 1}}), "'min'"),
        (with_attribute(name="x", validations={"pattern": {"pattern": "("}}), "regular"),
        (with_attribute(name="x", validations={"multivalued": {}}), "'max' is required"),
        (with_attribute(name="bad name"), "Invalid attribute name"),
        (with_attribute(name="username"), "already exists"),
        (with_attribute(name="x", permissions={"edit": ["root"]}), "unsupported role 'root'"),
        (with_attribute(name="x", required={"scopes": ["nope"]}), "unsupported scope 'nope'"),
        (with_attribute(name="x", group="nowhere"), "undefined group"),
        (with_attribute(name="x", colour="red"), "unknown field 'colour'"),
        ({**default_config(), "unmanagedAttributePolicy": "SOMETIMES"}, "ENABLED"),
    ],
)
def test_bad_configs_are_refused_with_a_reason(config: Any, says: str) -> None:
    with pytest.raises(ProfileConfigError, match=says):
        canonical_config(config, scopes=frozenset({"profile"}))


def test_canonical_form_orders_fields_and_fills_defaults() -> None:
    raw = {
        "unmanagedAttributePolicy": "ADMIN_EDIT",
        "groups": [{"displayHeader": "H", "name": " g "}],
        "attributes": [
            *default_config()["attributes"],
            {
                "group": "g",
                "permissions": {"edit": ["admin"]},
                "required": {"scopes": ["profile"], "roles": ["admin"]},
                "name": " dept ",
            },
        ],
    }
    config = canonical_config(raw, scopes=frozenset({"profile"}))
    assert list(config) == ["attributes", "groups", "unmanagedAttributePolicy"]
    dept = config["attributes"][-1]
    assert list(dept) == ["name", "required", "permissions", "group", "multivalued"]
    assert dept["name"] == "dept" and dept["multivalued"] is False
    assert list(dept["required"]) == ["roles", "scopes"]
    assert dept["permissions"] == {"view": [], "edit": ["admin"]}
    assert config["groups"] == [{"name": "g", "displayHeader": "H"}]
    assert canonical_config(config, scopes=None) == config  # idempotent


def test_a_split_component_config_is_joined_back() -> None:
    assert config_text_of_component({"kc.user.profile.config": ['{"a":', "1}"]}) == '{"a":1}'
    pieces = {"config-pieces-count": ["2"], "config-piece-0": ['{"a":'], "config-piece-1": ["1}"]}
    assert config_text_of_component(pieces) == '{"a":1}'
    assert config_text_of_component({}) is None


# --- the admin context --------------------------------------------------------------------


def rules(**extra: Any) -> ProfileRules:
    config = copy.deepcopy(default_config())
    config["attributes"] += extra.pop("attributes", [])
    config.update(extra)
    return ProfileRules(canonical_config(config, scopes=None))


def test_default_profile_admin_needs_only_a_username() -> None:
    values, errors = rules().check({"username": ["jo"]}, {})
    assert [(e.field, e.message, e.params) for e in errors] == [
        ("username", "error-invalid-length", ("username", 3, 255))
    ]
    values, errors = rules().check({"username": ["joe"]}, {})
    assert errors == [] and values == {"username": ["joe"]}


def test_several_errors_are_wrapped_as_keycloak_does() -> None:
    _, errors = rules().check({"username": ["jo"], "email": ["x"], "firstName": ["a", "b"]}, {})
    body = rejection(errors)
    assert {e["field"] for e in body["errors"]} == {"username", "email", "firstName"}
    assert rejection(errors[:1]) == {
        "field": "username",
        "errorMessage": "error-invalid-length",
        "params": ["username", 3, 255],
    }


def test_required_for_admin_and_read_only_attributes() -> None:
    profile = rules(
        attributes=[
            {"name": "dept", "required": {"roles": ["admin"]}, "permissions": {"edit": ["admin"]}},
            {"name": "badge", "permissions": {"view": ["admin"], "edit": ["user"]}},
        ]
    )
    _, errors = profile.check({"username": ["joe"], "badge": ["7"]}, {})
    assert [(e.field, e.message) for e in errors] == [
        ("dept", "error-user-attribute-required"),
        ("badge", "updateReadOnlyAttributesRejectedMessage"),
    ]
    values, errors = profile.check(
        {"username": ["joe"], "dept": ["x"], "badge": ["7"]}, {"username": ["joe"], "badge": ["7"]}
    )
    assert errors == [] and values["badge"] == ["7"]  # unchanged read-only value is fine
    values, errors = profile.check({"username": ["joe"], "dept": ["x"]}, {"badge": ["7"]})
    assert errors == [] and values["badge"] == ["7"]  # not sent: kept
    _, errors = profile.check({"username": ["joe"], "dept": ["x"], "badge": []}, {"badge": ["7"]})
    assert [(e.field, e.message) for e in errors] == [
        ("badge", "updateReadOnlyAttributesRejectedMessage")
    ]
    assert profile.is_required(profile.attribute("dept") or {}, service_account=True) is False


def test_unmanaged_attributes_follow_the_policy() -> None:
    stored = {"username": ["joe"], "old": ["1"]}
    sent = {"username": ["joe"], "new": ["2"]}
    values, _ = rules().check(sent, stored)  # no policy: ignored on write, kept if stored
    assert values == {"username": ["joe"], "old": ["1"]}
    values, _ = rules(unmanagedAttributePolicy="ADMIN_VIEW").check(sent, stored)
    assert values == {"username": ["joe"], "old": ["1"]}
    values, _ = rules(unmanagedAttributePolicy="ADMIN_EDIT").check(sent, stored)
    assert values == {"username": ["joe"], "new": ["2"]}
    _, errors = rules(unmanagedAttributePolicy="ENABLED").check(
        {"username": ["joe"], "huge": ["x" * 2049]}, {}
    )
    assert [(e.field, e.message) for e in errors] == [("huge", "error-invalid-length")]
    user_side = ProfileRules(rules(unmanagedAttributePolicy="ADMIN_EDIT").config, "user")
    assert user_side.unmanaged_writable() is False and user_side.unmanaged_visible() is False


def test_metadata_for_the_admin_context() -> None:
    body = metadata(rules(attributes=[{"name": "hidden", "permissions": {"edit": ["user"]}}]))
    names = [a["name"] for a in body["attributes"]]
    assert names == ["username", "email", "firstName", "lastName"]  # "hidden" is not viewable
    username = body["attributes"][0]
    assert username["required"] is True and username["readOnly"] is False
    assert username["validators"]["length"] == {"min": 3, "max": 255, "ignore.empty.value": True}
    assert username["validators"]["multivalued"] == {"max": "1"}
    assert body["attributes"][1]["required"] is False  # email: required for users only
    assert body["groups"][0]["name"] == "user-metadata"
