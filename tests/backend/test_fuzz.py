"""Schemathesis fuzzing of the whole API, in-process on SQLite and PostgreSQL.

Requests are generated from the app's own OpenAPI schema (valid and invalid ones); every
response must be no 5xx, and must match the schema: its status code documented, its body
valid against the documented model, its content type the documented one. A bounded number of
examples per operation keeps the run to about a minute per database; a failure prints the
request that reproduces it.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from backend.main import create_app
from backend.services import auth
from backend.settings import Settings
from tests.backend.factories import create_experiment

#: Generated requests per operation and database: enough to hit every field's edge cases.
EXAMPLES = 12


@pytest.fixture
def fuzzed_app(settings: Settings) -> tuple[FastAPI, str]:
    """The app with auth on and the secret of an admin token, over a database holding one
    experiment (id 1, runs 1-3) with a few points, so that small generated ids reach the code
    behind the 404s."""
    app = create_app(settings.model_copy(update={"auth": "on"}))
    with TestClient(app) as client, app.state.session_factory() as session:
        _, secret = auth.create_token(session, "fuzz", "admin")
        client.headers["Authorization"] = f"Bearer {secret}"
        create_experiment(client)
        points = [{"key": "return_mean", "step": step, "value": step / 10, "wall_time": step}
                  for step in range(0, 100, 10)]
        assert client.post("/api/v1/runs/1/metrics", json={"points": points}).status_code == 200
    return app, secret


def test_no_server_error_and_every_response_matches_the_schema(
    fuzzed_app: tuple[FastAPI, str],
) -> None:
    app, secret = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    # Every case carries the token, except where a negative case drops it on purpose.
    @schema.auth()
    class AdminToken:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return secret

        def set(self, case: schemathesis.Case, data: str,
                context: schemathesis.AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
    # /events is an endless stream for an existing experiment (see test_events_api.py).
    operations = [result.ok() for result in
                  schema.exclude(path="/api/v1/events").get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    for operation in operations:
        for mode in GenerationMode:
            try:
                _fuzz(operation.as_strategy(generation_mode=mode))
            except Unsatisfiable:  # no input to break: an operation without parameters
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as exc:  # fuzz every operation, report all failures
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def _fuzz(strategy: SearchStrategy[schemathesis.Case]) -> None:
    """Send ``EXAMPLES`` cases drawn from ``strategy``, checking every response."""

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            # A schema-valid body may still be a 422: the schema cannot say that seeds are
            # distinct, or that an env id is registered. The 422 itself is checked.
            excluded_checks=[positive_data_acceptance],
        )

    check()
