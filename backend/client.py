"""A typed Python client of the REST API, returning the schemas of ``backend.schemas``.

    with RlboardClient("http://127.0.0.1:8000", token="rlb_...") as client:
        experiment = client.create_experiment(spec, sweep={"algo.params.learning_rate": [1e-3, 3e-4]})
        client.cancel_run(experiment.runs[0].id)

Every non-2xx answer raises ``ApiError`` (an ``httpx.HTTPStatusError``) carrying the server's
``detail``; an unreachable server raises httpx's transport errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from backend.schemas import (
    Catalog,
    CompareRequest,
    Comparison,
    Curves,
    ExperimentDetail,
    ExperimentList,
    ExperimentQuery,
    Health,
    IngestResult,
    MetricHistory,
    MetricPointIn,
    RunDetail,
)

Model = TypeVar("Model", bound=BaseModel)


class ApiError(httpx.HTTPStatusError):
    """The API answered with an error status; ``detail`` is its explanation (a string, or the
    list of validation errors of a 422)."""

    def __init__(self, response: httpx.Response):
        try:
            self.detail: Any = response.json().get("detail")
        except ValueError:
            self.detail = response.text
        super().__init__(
            f"{response.status_code} {response.request.method} {response.request.url}: "
            f"{self.detail}",
            request=response.request,
            response=response,
        )
        self.status_code = response.status_code


class RlboardClient:
    """The API at ``api_url`` (e.g. ``http://127.0.0.1:8000``), with an optional bearer token."""

    def __init__(self, api_url: str, token: str | None = None, timeout_s: float = 30):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=f"{api_url.rstrip('/')}/api/v1", headers=headers, timeout=timeout_s
        )

    def __enter__(self) -> RlboardClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ----------------------------------------------------------------------------------------
    # Service

    def health(self) -> Health:
        # 503 still carries a Health body (the database is down): return it, do not raise.
        response = self._http.get("/health")
        if response.status_code not in (200, 503):
            raise ApiError(response)
        return Health.model_validate(response.json())

    def catalog(self) -> Catalog:
        return self._call("GET", "/catalog", Catalog)

    # ----------------------------------------------------------------------------------------
    # Experiments

    def create_experiment(
        self,
        spec: Mapping[str, Any],
        *,
        tags: Sequence[str] = (),
        notes: str = "",
        sweep: Mapping[str, Sequence[Any]] | None = None,
    ) -> ExperimentDetail:
        """Submit ``spec`` (a spec as JSON data); with ``sweep``, one run per variant and seed."""
        body = {"spec": spec, "tags": list(tags), "notes": notes, "sweep": sweep}
        return self._call("POST", "/experiments", ExperimentDetail, json=body)

    def list_experiments(self, query: ExperimentQuery | None = None, **filters: Any) -> ExperimentList:
        """One page of experiments: ``query``, or its fields as keywords (q, status, tag, ...)."""
        query = query or ExperimentQuery(**filters)
        params = query.model_dump(exclude_none=True)
        return self._call("GET", "/experiments", ExperimentList, params=params)

    def get_experiment(self, experiment_id: int) -> ExperimentDetail:
        return self._call("GET", f"/experiments/{experiment_id}", ExperimentDetail)

    def update_experiment(
        self, experiment_id: int, *, tags: Sequence[str] | None = None, notes: str | None = None
    ) -> ExperimentDetail:
        """Replace the tags and/or the notes (None keeps them)."""
        body = {"tags": None if tags is None else list(tags), "notes": notes}
        return self._call("PATCH", f"/experiments/{experiment_id}", ExperimentDetail, json=body)

    def clone_experiment(
        self, experiment_id: int, changes: Mapping[str, Any], name: str | None = None
    ) -> ExperimentDetail:
        """A new experiment from this one with ``changes`` (dotted spec paths) applied."""
        body = {"changes": dict(changes), "name": name}
        return self._call("POST", f"/experiments/{experiment_id}/clone", ExperimentDetail, json=body)

    def cancel_experiment(self, experiment_id: int) -> ExperimentDetail:
        return self._call("POST", f"/experiments/{experiment_id}/cancel", ExperimentDetail)

    def curves(self, experiment_id: int, key: str = "return_mean", max_points: int = 500) -> Curves:
        params = {"key": key, "max_points": max_points}
        return self._call("GET", f"/experiments/{experiment_id}/curves", Curves, params=params)

    # ----------------------------------------------------------------------------------------
    # Runs

    def get_run(self, run_id: int) -> RunDetail:
        return self._call("GET", f"/runs/{run_id}", RunDetail)

    def cancel_run(self, run_id: int) -> RunDetail:
        return self._call("POST", f"/runs/{run_id}/cancel", RunDetail)

    def retry_run(self, run_id: int) -> RunDetail:
        return self._call("POST", f"/runs/{run_id}/retry", RunDetail)

    def resume_run(self, run_id: int) -> RunDetail:
        return self._call("POST", f"/runs/{run_id}/resume", RunDetail)

    def ingest_metrics(
        self, run_id: int, points: Sequence[MetricPointIn | Mapping[str, Any]]
    ) -> IngestResult:
        """Send points (schemas, or dicts of the same fields, as the worker's tail makes them)."""
        body = [p.model_dump() if isinstance(p, MetricPointIn) else dict(p) for p in points]
        return self._call("POST", f"/runs/{run_id}/metrics", IngestResult, json={"points": body})

    def run_metrics(self, run_id: int, key: str, max_points: int = 1000) -> MetricHistory:
        params = {"key": key, "max_points": max_points}
        return self._call("GET", f"/runs/{run_id}/metrics", MetricHistory, params=params)

    def compare(self, experiment_ids: Sequence[int], key: str | None = None,
                last_k: int = 5) -> Comparison:
        body = CompareRequest(experiment_ids=list(experiment_ids), key=key, last_k=last_k)
        return self._call("POST", "/compare", Comparison, json=body.model_dump())

    def report_html(self, experiment_ids: Sequence[int], key: str | None = None,
                    last_k: int = 5) -> str:
        """The self-contained HTML report of ``GET /compare/report``."""
        params: dict[str, Any] = {"ids": ",".join(map(str, experiment_ids)), "last_k": last_k}
        if key is not None:
            params["key"] = key
        response = self._http.get("/compare/report", params=params)
        if response.is_error:
            raise ApiError(response)
        return response.text

    # ----------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, model: type[Model], **kwargs: Any) -> Model:
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise ApiError(response)
        return model.model_validate(response.json())
