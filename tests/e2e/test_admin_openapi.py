"""The admin API's OpenAPI document, exercised by schemathesis against a real server.

Two runs over the whole document: one operation at a time (valid and invalid input), and
stateful, following the document's links from each create to the operations on what it
created. Every answer must be no 5xx and must match the document (status, body schema).
Each call signs in afresh, so a case that ends the administrator's sessions (`logout-all`
on master) cannot turn the cases after it into 401s.

Bounded so the run stays within a couple of minutes: few examples per operation, fixed
seeds (derandomized: the same requests on every run), no shrinking.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.conftest import RunningServer, admin_headers

pytestmark = pytest.mark.e2e

SCRATCH = "fuzz"  # the realm the run creates and may wreck
DOOMED = "fuzz-doomed"  # the realm DELETE /realms/{realm} may delete
EXAMPLES = 3  # per operation, valid and invalid input together
ROUNDS = 2
SCENARIOS = 10  # stateful scenarios per round, each a create followed by linked calls
STEPS = 6
CHECKS = [not_a_server_error, response_schema_conformance]
BOUNDED: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}
# Calls that may end the administrator's own sessions: they run on master too.
ON_MASTER_TOO = {"/realms/{realm}/logout-all", "/realms/{realm}/push-revocation"}


def _document(server: RunningServer) -> dict[str, Any]:
    """The served document, aimed at the scratch realm: a random realm name only ever
    gets a 404. DELETE /realms/{realm} gets a realm of its own, or it would delete the
    realm every other case needs (schemathesis draws from the names a schema mentions)."""
    document = copy.deepcopy(httpx.get(f"{server.base_url}/admin/openapi.json").json())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = [SCRATCH, "master"] if path in ON_MASTER_TOO else [SCRATCH]
            if (method, path) == ("delete", "/realms/{realm}"):
                names = [DOOMED]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "realm":
                    parameter["schema"] = {"type": "string", "enum": names}
    return document


@pytest.fixture(scope="module")
def schema(server: RunningServer) -> Any:
    for name in (SCRATCH, DOOMED):
        response = httpx.post(
            f"{server.base_url}/admin/realms",
            json={"realm": name, "enabled": True},
            headers=admin_headers(server.base_url),
        )
        assert response.status_code in (201, 409), response.text
    loaded = schemathesis.openapi.from_dict(_document(server))
    loaded.config.update(base_url=f"{server.base_url}/admin")
    return loaded


def _fresh(server: RunningServer) -> dict[str, str]:
    return admin_headers(server.base_url)


def test_openapi_document_is_served(server: RunningServer) -> None:
    document = httpx.get(f"{server.base_url}/admin/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/realms/{realm}/users" in document["paths"]


def test_the_document_describes_bodies_errors_and_links(server: RunningServer) -> None:
    document = httpx.get(f"{server.base_url}/admin/openapi.json").json()
    create = document["paths"]["/realms/{realm}/users"]["post"]
    assert "422" not in create["responses"]  # Ostium answers bad input with 400
    assert create["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorRepresentation"
    }
    assert "content" not in create["responses"]["201"]  # an empty 201 with a Location
    assert "Location" in create["responses"]["201"]["headers"]
    assert "GET /realms/{realm}/users/{id}" in create["responses"]["201"]["links"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserRepresentation"
    }


def test_no_operation_answers_with_a_server_error_or_off_schema(
    server: RunningServer, schema: Any
) -> None:
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(max_examples=EXAMPLES, derandomize=True, **BOUNDED)
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            try:
                response = case.call_and_validate(headers=_fresh(server), checks=CHECKS)
            except (FailureGroup, OSError) as failure:
                # Every failure of the run in one report, not only the first.
                failures.append(f"{case.method} {case.formatted_path}: {failure}")
            else:
                statuses.append(response.status_code)

        check()

    assert failures == [], "\n\n".join(failures)
    operations = len(list(schema.get_all_operations()))
    assert operations >= 40 and len(statuses) >= operations  # every operation was exercised
    assert any(200 <= status < 300 for status in statuses)  # and the token was accepted


def test_linked_calls_after_a_create_answer_without_server_error(
    server: RunningServer, schema: Any
) -> None:
    base = schema.as_state_machine()
    statuses: list[tuple[str, int]] = []
    failures: list[str] = []

    class AdminCalls(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": _fresh(server)}

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
            try:
                return case.call(**kwargs)
            except OSError as error:  # the server dropped the connection
                failures.append(f"{case.method} {case.formatted_path}: {error}")
                reject()

        def validate_response(self, response: Any, case: schemathesis.Case, **_: Any) -> None:
            # Collected, not raised: a raised failure makes Hypothesis replay the scenario,
            # and a replay against a server that has changed since cannot be faithful.
            statuses.append((f"{case.method} {case.path}", response.status_code))
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as failure:
                failures.append(f"{case.method} {case.formatted_path}: {failure}")

    # Scenarios change the server, so a scenario Hypothesis replays may draw differently
    # and Hypothesis stops the round as flaky (as schemathesis's own runner does, the
    # round just ends). Several rounds with fixed seeds keep the run long enough and the
    # same on every run.
    for round_seed in range(ROUNDS):
        machine = seed(round_seed)(AdminCalls)
        try:
            machine.run(
                settings=settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    **BOUNDED,
                )
            )
        except Flaky:
            continue
    assert failures == [], "\n\n".join(failures)
    # The links were followed: something created was then read back.
    assert ("GET", 200) in {(call.split(" ")[0], status) for call, status in statuses[1:]}
