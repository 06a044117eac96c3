"""Keycloak's password policy string: parsing (every policy id, every malformed string),
the first rule a new password breaks, expiry, and hashes made as the policy asks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ostium.domain.password_policy import (
    POLICY_IDS,
    PolicyConfigError,
    PolicyViolation,
    first_violation,
    parse_policy,
    password_expired,
)
from ostium.services.password_blacklists import PasswordBlacklists
from ostium.services.password_policy import checked_policy_text
from ostium.services.passwords import hash_password, needs_rehash, verify_password


def _refusal(policy: str, password: str, **user: str) -> PolicyViolation | None:
    return first_violation(
        parse_policy(policy),
        password,
        username=user.get("username", "alice"),
        email=user.get("email", "alice@example.com"),
    )


# --- malformed strings, negative cases first ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lenght(8)", "Password policy not found"),
        ("length(8) and nope", "Password policy not found"),
        ("Length(8)", "Password policy not found"),  # ids are case-sensitive
        # Only " and " separates: the rest is length's configuration, as in Keycloak.
        ("length(8) or digits(1)", "Invalid config for length: Not a valid number"),
        ("length(eight)", "Invalid config for length: Not a valid number"),
        ("length(8.5)", "Invalid config for length: Not a valid number"),
        ("length()", "Invalid config for length: Not a valid number"),
        ("length( 8 )", "Invalid config for length: Not a valid number"),
        ("digits(99999999999)", "Invalid config for digits: Not a valid number"),
        ("maxLength(x)", "Invalid config for maxLength: Not a valid number"),
        ("passwordHistory(three)", "Invalid config for passwordHistory: Not a valid number"),
        ("forceExpiredPasswordChange(1d)", "Invalid config for forceExpiredPasswordChange:"),
        ("hashIterations(many)", "Invalid config for hashIterations: Not a valid number"),
        ("length(8", "Invalid config for length: missing closing parenthesis"),
        ("regexPattern([a-z)", "Invalid config for regexPattern: Not a valid regular expression"),
        ("regexPattern", "Invalid config for regexPattern: a regular expression is required"),
        ("regexPattern(  )", "Invalid config for regexPattern: blank is not a pattern"),
        ("hashAlgorithm(md5)", "Invalid config for hashAlgorithm: Password hashing provider"),
        ("hashAlgorithm(bcrypt)", "Invalid config for hashAlgorithm: Password hashing provider"),
        ("passwordBlacklist()", "Invalid config for passwordBlacklist: the blacklist's file"),
        ("passwordBlacklist(../etc/passwd)", "Invalid config for passwordBlacklist: a blacklist"),
    ],
)
def test_malformed_policies_are_refused_with_keycloaks_kind_of_message(
    text: str, message: str
) -> None:
    with pytest.raises(PolicyConfigError) as raised:
        parse_policy(text)
    assert raised.value.message.startswith(message), raised.value.message


def test_a_missing_blacklist_file_is_refused_and_a_present_one_accepted(tmp_path: Path) -> None:
    lists = PasswordBlacklists(tmp_path)
    with pytest.raises(PolicyConfigError) as raised:
        checked_policy_text("passwordBlacklist(top.txt)", lists)
    assert raised.value.message == (
        "Invalid config for passwordBlacklist: no file 'top.txt' in the password blacklists folder"
    )
    (tmp_path / "top.txt").write_text("Password1\nletmein\n")
    assert checked_policy_text("passwordBlacklist(top.txt)", lists) == "passwordBlacklist(top.txt)"


# --- parsing ------------------------------------------------------------------------------


def test_empty_policies_are_none() -> None:
    for text in (None, "", "   "):
        policy = parse_policy(text)
        assert policy.entries == ()
        assert policy.text is None
        assert policy.hash_algorithm == "argon2"
        assert policy.hash_iterations == -1
        assert policy.history == -1
        assert policy.days_to_expire == -1


def test_every_keycloak_26_policy_parses_with_its_default() -> None:
    text = " and ".join(i for i in POLICY_IDS if i not in ("regexPattern",))
    policy = parse_policy(text)
    assert dict(policy.entries) == {
        "length": 8,
        "maxLength": 64,
        "digits": 1,
        "lowerCase": 1,
        "upperCase": 1,
        "specialChars": 1,
        "notUsername": None,
        "notContainsUsername": None,
        "notEmail": None,
        "passwordHistory": 3,
        "passwordAge": 30,
        "forceExpiredPasswordChange": 365,
        "hashAlgorithm": "argon2",
        "hashIterations": -1,
        "passwordBlacklist": None,
        "maxAuthAge": -1,
        "recoveryCodesWarningThreshold": 4,
    }
    assert policy.text == text  # no parentheses written where none were given


def test_values_canonical_text_and_repeats() -> None:
    policy = parse_policy(
        "length(12) and digits(2) and notUsername(undefined) and maxAuthAge(600)"
        " and hashAlgorithm(pbkdf2-sha512) and hashIterations(1000) and length(10)"
    )
    # A repeated id keeps its first place and its last value (Keycloak's LinkedHashMap).
    assert policy.text == (
        "length(10) and digits(2) and notUsername(undefined) and maxAuthAge(600)"
        " and hashAlgorithm(pbkdf2-sha512) and hashIterations(1000)"
    )
    assert policy.value("length") == 10
    assert policy.hash_algorithm == "pbkdf2-sha512"
    assert policy.hash_iterations == 1000
    assert policy.max_auth_age == 600
    assert parse_policy("length(+8) and digits(-1)").value("digits") == -1


# --- the first rule broken ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "password", "key", "parameters"),
    [
        ("length(12)", "short", "invalidPasswordMinLengthMessage", (12,)),
        ("maxLength(8)", "much-too-long", "invalidPasswordMaxLengthMessage", (8,)),
        ("digits(2)", "abc1", "invalidPasswordMinDigitsMessage", (2,)),
        ("lowerCase(2)", "ABCd", "invalidPasswordMinLowerCaseCharsMessage", (2,)),
        ("upperCase(1)", "abcd", "invalidPasswordMinUpperCaseCharsMessage", (1,)),
        ("specialChars(2)", "abc!", "invalidPasswordMinSpecialCharsMessage", (2,)),
        ("notUsername", "ALICE", "invalidPasswordNotUsernameMessage", ()),
        ("notContainsUsername", "my-alice-1", "invalidPasswordNotContainsUsernameMessage", ()),
        ("notEmail", "Alice@Example.com", "invalidPasswordNotEmailMessage", ()),
        (
            "regexPattern([a-z]+[0-9])",
            "abc1x",
            "invalidPasswordRegexPatternMessage",
            ("[a-z]+[0-9]",),
        ),
    ],
)
def test_each_rule_refuses_with_keycloaks_key(
    policy: str, password: str, key: str, parameters: tuple[object, ...]
) -> None:
    violation = _refusal(policy, password)
    assert violation == PolicyViolation(key, parameters)  # type: ignore[arg-type]
    assert violation.text.startswith("Invalid password: ")
    for parameter in parameters:
        assert str(parameter) in violation.text


@pytest.mark.parametrize(
    ("policy", "password"),
    [
        ("length(12)", "twelve-chars"),
        ("maxLength(8)", "eight-ch"),
        ("digits(2)", "a1b2"),
        ("lowerCase(2)", "ABcd"),
        ("upperCase(1)", "abcD"),
        ("specialChars(2)", "a b!"),  # a space is neither letter nor digit
        ("notUsername", "alice2"),
        ("notContainsUsername", "al1ce"),
        ("notEmail", "alice@example.org"),
        ("regexPattern([a-z]+[0-9])", "abc1"),
        ("passwordHistory(3) and forceExpiredPasswordChange(90) and hashIterations(10)", "x"),
        ("maxAuthAge(60) and passwordAge(30) and recoveryCodesWarningThreshold(2)", "x"),
    ],
)
def test_a_password_keeping_the_rule_passes(policy: str, password: str) -> None:
    assert _refusal(policy, password) is None


def test_rules_apply_in_the_strings_order_and_the_first_broken_wins() -> None:
    violation = _refusal("digits(1) and length(12)", "short")
    assert violation is not None
    assert violation.key == "invalidPasswordMinDigitsMessage"
    violation = _refusal("length(12) and digits(1)", "short")
    assert violation is not None
    assert violation.key == "invalidPasswordMinLengthMessage"


def test_users_without_an_email_pass_not_email() -> None:
    policy = parse_policy("notEmail")
    assert first_violation(policy, "x@example.com", username="x", email=None) is None


def test_blacklisted_passwords_are_refused_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "top.txt").write_text("Password1\nletmein\n\n")
    lists = PasswordBlacklists(tmp_path)
    policy = parse_policy("passwordBlacklist(top.txt)")

    def check(password: str) -> PolicyViolation | None:
        return first_violation(
            policy, password, username="u", email=None, blacklisted=lists.contains
        )

    assert check("PASSWORD1") == PolicyViolation("invalidPasswordBlacklistedMessage")
    assert check("LetMeIn") == PolicyViolation("invalidPasswordBlacklistedMessage")
    assert check("not-on-the-list") is None
    # The file is re-read when it changes.
    (tmp_path / "top.txt").write_text("Password1\nletmein\nhunter22\n")
    assert check("hunter22") == PolicyViolation("invalidPasswordBlacklistedMessage")


# --- expiry -------------------------------------------------------------------------------


def test_force_expired_password_change() -> None:
    day = 86_400
    now = 1_000 * day
    policy = parse_policy("forceExpiredPasswordChange(90)")
    set_at = (now - 90 * day) * 1000
    assert not password_expired(policy, set_at, now)  # exactly 90 days: not yet
    assert password_expired(policy, set_at - 1, now)
    assert password_expired(policy, None, now)  # no creation date: expired, as Keycloak
    assert not password_expired(parse_policy("length(8)"), set_at - 1, now)


# --- hashes made as the policy asks -------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["pbkdf2-sha512", "pbkdf2-sha256", "pbkdf2", "argon2"])
def test_new_hashes_follow_hash_algorithm_and_iterations(algorithm: str) -> None:
    secret, credential = hash_password("s3cret", algorithm, 3)
    data = json.loads(credential)
    assert data["algorithm"] == algorithm
    assert data["hashIterations"] == 3
    assert verify_password("s3cret", secret, credential)
    assert not verify_password("S3cret", secret, credential)
    assert not needs_rehash(credential, algorithm, 3)
    assert needs_rehash(credential, algorithm, 4)
    other = "argon2" if algorithm != "argon2" else "pbkdf2-sha512"
    assert needs_rehash(credential, other, -1)


def test_pbkdf2_without_iterations_takes_keycloaks_defaults() -> None:
    _, credential = hash_password("s3cret", "pbkdf2-sha512")
    assert json.loads(credential)["hashIterations"] == 210_000
    assert not needs_rehash(credential, "pbkdf2-sha512", -1)
    assert needs_rehash(credential)  # the default policy wants argon2


def test_an_unsupported_algorithm_never_hashes() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        hash_password("s3cret", "md5")


# --- where policies come from: imports, the server info, the blacklists folder -------------


def test_an_import_file_with_a_refused_plain_password_names_the_user_and_rule() -> None:
    from ostium.services.realm_import import PasswordPolicyNotMetError, parse_realm

    realm = {
        "realm": "acme",
        "passwordPolicy": "length(12) and notUsername(undefined)",
        "users": [{"username": "arne", "credentials": [{"type": "password", "value": "arne"}]}],
    }
    with pytest.raises(PasswordPolicyNotMetError) as raised:
        parse_realm(realm, now=1000, env={})
    assert str(raised.value) == (
        "users[0].credentials[0] (arne): the password policy refuses the password:"
        " invalidPasswordMinLengthMessage (Invalid password: use at least 12 characters.)"
    )
    realm["passwordPolicy"] = "notUsername(undefined)"
    with pytest.raises(PasswordPolicyNotMetError, match="invalidPasswordNotUsernameMessage"):
        parse_realm(realm, now=1000, env={})


def test_an_import_keeps_the_policy_and_password_history_credentials() -> None:
    from ostium.services.realm_import import parse_realm

    secret, data = hash_password("old one", "pbkdf2-sha256", 5)
    realm = {
        "realm": "acme",
        "passwordPolicy": "passwordHistory(2)  and length(4)",
        "users": [
            {
                "username": "arne",
                "credentials": [
                    {"type": "password", "value": "new one"},
                    {
                        "type": "password-history",
                        "secretData": secret,
                        "credentialData": data,
                        "createdDate": 5,
                    },
                ],
            }
        ],
    }
    bundle = parse_realm(realm, now=1000, env={}, source="acme.json")
    assert bundle.realm.password_policy == "passwordHistory(2) and length(4)"
    assert [c.type for c in bundle.credentials] == ["password", "password-history"]
    assert bundle.warnings == []  # neither the policy nor the history is dropped


def test_the_server_info_offers_only_policies_ostium_parses() -> None:
    from ostium.admin.serverinfo import PASSWORD_POLICIES

    assert {p[0] for p in PASSWORD_POLICIES} <= set(POLICY_IDS)
    for policy_id, _, _, default, _ in PASSWORD_POLICIES:
        text = f"{policy_id}({default})" if default else policy_id
        if policy_id not in ("passwordBlacklist", "regexPattern"):
            parse_policy(text)


def test_the_blacklists_folder_follows_the_option_or_the_data_directory(tmp_path: Path) -> None:
    from ostium.config import load_config
    from ostium.services.password_blacklists import folder_of

    config = load_config([f"--data-dir={tmp_path}"], {}, "prod")
    assert folder_of(config.data_dir, None) == tmp_path / "password-blacklists"
    moved = load_config(
        [f"--spi-password-policy-password-blacklist-blacklists-path={tmp_path / 'lists'}"],
        {},
        "prod",
    )
    assert folder_of(
        moved.data_dir, moved.spi_password_policy_password_blacklist_blacklists_path
    ) == (tmp_path / "lists")
