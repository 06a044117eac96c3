"""Keycloak's own Node admin library, `@keycloak/keycloak-admin-client` (npm, pinned in
`.ci/run`), drives a real `ostium start-dev` process unchanged: every method of its
`users`, `roles`, `groups`, `clients`, `clientScopes`, `realms`, `components`,
`attackDetection` and `serverInfo` resources that Ostium serves is called at least once and
its result checked, as an admin script written for Keycloak would use it.

`admin_client/drive.mjs` holds the checks and runs them all in one fresh realm, one Node
process per server (a few seconds); each check is its own test here, named for what it
shows. Which client method each check calls, and why the others have none yet, is the table
in `admin_client/COVERAGE.md`, generated from the driver: the tests below fail when a method
of the installed client is neither checked nor listed with a reason, or when the table is
stale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.e2e.conftest import ADMIN_ENV, RunningServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PINNED = "26.7.4"  # as .ci/run installs it
CACHE = REPO / ".cache" / "keycloak-admin-client"  # git-ignored; .ci/run fills it
PACKAGE = CACHE / "node_modules" / "@keycloak" / "keycloak-admin-client"
DRIVER = Path(__file__).parent / "admin_client" / "drive.mjs"
COVERAGE = Path(__file__).parent / "admin_client" / "COVERAGE.md"
NOT_INSTALLED = "keycloak-admin-client is not installed"


def unavailable(message: str) -> NoReturn:
    """Skip locally, fail under CI=true: CI must run the client."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def missing() -> str | None:
    """Why the client cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    manifest = PACKAGE / "package.json"
    if not manifest.is_file():
        return (
            f"{NOT_INSTALLED}: npm install --prefix .cache/keycloak-admin-client "
            f"@keycloak/keycloak-admin-client@{PINNED}"
        )
    version = json.loads(manifest.read_text())["version"]
    if version != PINNED:
        return f"keycloak-admin-client {version} is installed, the suite is written for {PINNED}"
    return None


def driver(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(DRIVER), "--package", str(PACKAGE), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def listing() -> dict[str, Any]:
    """The driver's checks and its coverage of the client's methods (no server needed)."""
    reason = missing()
    if reason is not None:
        unavailable(reason)
    result = driver("--list")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per check; without the client, one test that says why it cannot run
    (skipped before a server is started, except under CI=true, where it fails)."""
    if "check" in metafunc.fixturenames:
        reason = missing()
        if reason is None:
            result = driver("--list")
            assert result.returncode == 0, result.stderr
            metafunc.parametrize("check", json.loads(result.stdout)["checks"])
        else:
            local = os.environ.get("CI", "").lower() != "true"
            marks = [pytest.mark.skip(reason=reason)] if local else []
            metafunc.parametrize("check", [pytest.param(NOT_INSTALLED, marks=marks)])


@pytest.fixture(scope="module")
def results(server: RunningServer) -> dict[str, dict[str, Any]]:
    """Every check's outcome against this server (SQLite, then PostgreSQL), from one run of
    the driver."""
    reason = missing()
    if reason is not None:
        unavailable(reason)
    run = driver(
        "--base-url",
        server.base_url,
        "--username",
        ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
        "--password",
        ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
        timeout=120,
    )
    outcomes = {}
    for line in run.stdout.splitlines():
        outcome = json.loads(line)
        outcomes[outcome["name"]] = outcome
    if run.returncode != 0 or not outcomes:
        pytest.fail(f"the driver stopped (exit {run.returncode}):\n{run.stderr[-2000:]}")
    return outcomes


def test_admin_client_call_gets_keycloaks_answer(
    check: str, results: dict[str, dict[str, Any]]
) -> None:
    outcome = results.get(check)
    assert outcome is not None, f"the driver did not report {check!r}"
    if not outcome["ok"]:
        pytest.fail(
            f"{', '.join(outcome['methods']) or 'raw HTTP'}: {outcome['error']}", pytrace=False
        )


def test_every_client_method_is_checked_or_says_why_not() -> None:
    listed = listing()
    assert listed["version"] == PINNED
    assert listed["unknown"] == [], "named in the driver, but not methods of the client"
    assert listed["duplicates"] == []
    unexplained = [r["method"] for r in listed["coverage"] if not r["checks"] and not r["notYet"]]
    assert unexplained == [], "methods with neither a check nor a reason"
    both = [r["method"] for r in listed["coverage"] if r["checks"] and r["notYet"]]
    assert both == [], "methods both checked and listed as not yet"


def test_coverage_table_matches_the_checks() -> None:
    listing()  # skips without the client
    result = driver("--markdown")
    assert result.returncode == 0, result.stderr
    assert COVERAGE.read_text() == result.stdout, (
        "admin_client/COVERAGE.md is stale: regenerate it with "
        "`node tests/e2e/admin_client/drive.mjs --package <installed package> --markdown`"
    )
