"""The admin API's OpenAPI document, exercised by schemathesis against a real server:
whatever it generates, no answer is a 5xx."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 4  # bounded: a few dozen requests per operation at most, minutes in all


def _token(server: RunningServer) -> str:
    response = httpx.post(
        f"{server.base_url}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": "admin-pw",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def test_openapi_document_is_served(server: RunningServer) -> None:
    document = httpx.get(f"{server.base_url}/admin/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/realms/{realm}/users" in document["paths"]


def test_no_operation_answers_with_a_server_error(server: RunningServer) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/admin/openapi.json")
    base_url = f"{server.base_url}/admin"
    failures: list[str] = []
    calls: list[int] = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # A fresh token per case: `logout-all` on master may revoke the previous one.
            response = case.call(
                base_url=base_url, headers={"Authorization": f"Bearer {_token(server)}"}
            )
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        given(strategy)(check)()
    assert failures == []
    operations = len(list(schema.get_all_operations()))
    assert operations >= 40 and len(calls) >= operations  # every operation was exercised
    assert any(200 <= status < 300 for status in calls)  # and the token was accepted
