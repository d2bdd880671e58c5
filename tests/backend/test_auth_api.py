"""API tokens: RLBOARD_AUTH=on needs a bearer token with the right scope; only hashes stored."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.main import create_app
from backend.models import ApiToken
from backend.services import auth
from backend.settings import Settings
from tests.backend.factories import ppo_spec


@pytest.fixture
def secured(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"auth": "on"}))) as client:
        yield client


@pytest.fixture
def db(secured: TestClient) -> Iterator[Session]:
    with secured.app.state.session_factory() as session:
        yield session


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_only_the_hash_of_a_token_is_stored(db: Session) -> None:
    token, secret = auth.create_token(db, "ci", "write")
    assert secret.startswith("rlb_") and len(secret) > 40
    stored = db.scalars(select(ApiToken)).one()
    assert stored.token_hash == auth.hash_secret(secret) != secret
    assert secret not in repr(
        db.execute(select(ApiToken.__table__)).all()
    )
    assert (stored.name, stored.scope, stored.revoked_at, stored.last_used_at) == (
        "ci", "write", None, None
    )


def test_no_or_a_wrong_token_is_401(secured: TestClient, db: Session) -> None:
    auth.create_token(db, "reader", "read")
    for headers in ({}, bearer("rlb_wrong"), {"Authorization": "Basic dXNlcjpwdw=="}):
        response = secured.get("/api/v1/experiments", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "token" in response.json()["detail"]
    assert secured.post("/api/v1/runs/1/cancel").status_code == 401


def test_a_read_token_reads_but_may_not_write(secured: TestClient, db: Session) -> None:
    _, secret = auth.create_token(db, "dashboard", "read")
    assert secured.get("/api/v1/experiments", headers=bearer(secret)).status_code == 200
    assert secured.get("/api/v1/catalog", headers=bearer(secret)).status_code == 200
    response = secured.post(
        "/api/v1/experiments", json={"spec": ppo_spec()}, headers=bearer(secret)
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "token 'dashboard' has scope read; this request needs write"
    }
    assert secured.patch("/api/v1/experiments/1", json={}, headers=bearer(secret)).status_code == 403
    db.expire_all()
    assert db.scalars(select(ApiToken)).one().last_used_at is not None


def test_a_write_token_writes_and_reads(secured: TestClient, db: Session) -> None:
    _, secret = auth.create_token(db, "worker", "write")
    response = secured.post(
        "/api/v1/experiments", json={"spec": ppo_spec(seeds=[0])}, headers=bearer(secret)
    )
    assert response.status_code == 201, response.text
    run_id = response.json()["runs"][0]["id"]
    points = {"points": [{"key": "loss", "step": 1, "value": 1.0, "wall_time": 0.1}]}
    ingest = secured.post(f"/api/v1/runs/{run_id}/metrics", json=points, headers=bearer(secret))
    assert ingest.status_code == 200
    assert secured.get(f"/api/v1/runs/{run_id}", headers=bearer(secret)).status_code == 200


def test_a_revoked_token_is_401(secured: TestClient, db: Session) -> None:
    token, secret = auth.create_token(db, "leaked", "write")
    assert secured.get("/api/v1/experiments", headers=bearer(secret)).status_code == 200
    first = auth.revoke_token(db, token.id).revoked_at
    assert first is not None
    assert auth.revoke_token(db, token.id).revoked_at == first  # revoking again keeps the time
    response = secured.get("/api/v1/experiments", headers=bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid or revoked API token"}
    assert [t.id for t in auth.list_tokens(db)] == [token.id]


def test_health_stays_open_and_auth_off_allows_everything(
    secured: TestClient, client: TestClient
) -> None:
    assert secured.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/experiments").status_code == 200
    assert client.post("/api/v1/experiments", json={"spec": ppo_spec()}).status_code == 201


def first_event(client: TestClient, params: dict, headers: dict[str, str] | None = None) -> str:
    """The status of GET /events, and its first line when it streams."""
    with client.stream("GET", "/api/v1/events", params=params, headers=headers or {}) as response:
        if response.status_code != 200:
            return str(response.status_code)
        return next(response.iter_lines())


def test_the_events_stream_takes_a_read_token_from_the_query(
    secured: TestClient, db: Session
) -> None:
    _, writer = auth.create_token(db, "writer", "write")
    _, reader = auth.create_token(db, "dashboard", "read")
    experiment = secured.post(
        "/api/v1/experiments", json={"spec": ppo_spec()}, headers=bearer(writer)
    ).json()
    events = {"experiment_id": experiment["id"]}

    # EventSource can only put the token in the URL: the events stream accepts that.
    assert first_event(secured, events) == "401"
    assert first_event(secured, {**events, "access_token": "rlb_wrong"}) == "401"
    assert first_event(secured, {**events, "access_token": reader}) == "event: run"
    assert first_event(secured, {**events, "access_token": writer}) == "event: run"
    assert first_event(secured, events, bearer(reader)) == "event: run"
    # No other endpoint does, read or write.
    assert secured.get("/api/v1/experiments", params={"access_token": reader}).status_code == 401
    response = secured.post(
        f"/api/v1/experiments/{experiment['id']}/cancel", params={"access_token": writer}
    )
    assert response.status_code == 401
    # A revoked token stops working there too.
    token = db.scalars(select(ApiToken).where(ApiToken.name == "dashboard")).one()
    auth.revoke_token(db, token.id)
    assert first_event(secured, {**events, "access_token": reader}) == "401"


def test_the_access_log_never_shows_a_token(secured: TestClient) -> None:
    from backend.main import RedactAccessToken

    # The app puts the filter on uvicorn's access logger when it starts.
    access_log = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactAccessToken) for f in access_log.filters)

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/v1/events?experiment_id=1&access_token=rlb_secret", "1.1", 200),
        None,
    )
    assert RedactAccessToken().filter(record)
    assert "rlb_secret" not in record.getMessage()
    assert "/api/v1/events?experiment_id=1&access_token=*** HTTP/1.1" in record.getMessage()


def test_only_an_admin_token_manages_tokens_over_the_api(secured: TestClient, db: Session) -> None:
    _, reader = auth.create_token(db, "dashboard", "read")
    _, writer = auth.create_token(db, "worker", "write")
    _, admin = auth.create_token(db, "ops", "admin")
    for secret, expected in ((reader, 403), (writer, 403)):
        for method, url in (("GET", "/api/v1/tokens"), ("POST", "/api/v1/tokens"),
                            ("POST", "/api/v1/tokens/1/revoke")):
            response = secured.request(method, url, json={"name": "x"}, headers=bearer(secret))
            assert response.status_code == expected, (method, url)
            assert "needs admin" in response.json()["detail"]
    assert secured.get("/api/v1/tokens").status_code == 401

    created = secured.post("/api/v1/tokens", json={"name": "ci", "scope": "write"},
                           headers=bearer(admin))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["scope"] == "write" and body["secret"].startswith("rlb_")
    # The new secret works; the listing never shows a secret or a hash.
    assert secured.get("/api/v1/experiments", headers=bearer(body["secret"])).status_code == 200
    listed = secured.get("/api/v1/tokens", headers=bearer(admin))
    assert [t["name"] for t in listed.json()] == ["dashboard", "worker", "ops", "ci"]
    assert "secret" not in listed.text and "token_hash" not in listed.text
    assert body["secret"] not in listed.text

    revoked = secured.post(f"/api/v1/tokens/{body['id']}/revoke", headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert secured.get("/api/v1/experiments", headers=bearer(body["secret"])).status_code == 401
    assert secured.post("/api/v1/tokens/999/revoke", headers=bearer(admin)).status_code == 404
    # An admin token may also do everything a write token may.
    response = secured.post("/api/v1/experiments", json={"spec": ppo_spec(seeds=[0])},
                            headers=bearer(admin))
    assert response.status_code == 201
    bad = secured.post("/api/v1/tokens", json={"name": "x", "scope": "root"},
                       headers=bearer(admin))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "scope"]


def test_writes_are_rate_limited_per_token_and_ingest_has_its_own_bucket(
    settings: Settings,
) -> None:
    limited = settings.model_copy(update={
        "auth": "on", "rate_limit_writes_per_s": 0.5, "rate_limit_writes_burst": 2,
        "rate_limit_ingest_per_s": 0.5, "rate_limit_ingest_burst": 3,
    })
    with TestClient(create_app(limited)) as app, app.app.state.session_factory() as db:
        _, first = auth.create_token(db, "first", "write")
        _, second = auth.create_token(db, "second", "write")
        run_id = app.post("/api/v1/experiments", json={"spec": ppo_spec(seeds=[0])},
                          headers=bearer(first)).json()["runs"][0]["id"]
        assert app.patch("/api/v1/experiments/1", json={}, headers=bearer(first)).status_code == 200
        refused = app.patch("/api/v1/experiments/1", json={}, headers=bearer(first))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "at most 0.5 writes a second" in refused.json()["detail"]
        # Reads are not limited; another token has its own bucket.
        assert app.get("/api/v1/experiments/1", headers=bearer(first)).status_code == 200
        assert app.patch("/api/v1/experiments/1", json={}, headers=bearer(second)).status_code == 200
        # The exhausted token's metric batches still go through, up to their own burst.
        points = {"points": [{"key": "loss", "step": 1, "value": 1.0, "wall_time": 0.1}]}
        url = f"/api/v1/runs/{run_id}/metrics"
        statuses = [app.post(url, json=points, headers=bearer(first)).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
