"""Learning curves of an experiment: every seed's series plus their aggregate band."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from backend.schemas import CurveAggregate, Curves, RunCurve
from backend.services.experiments import get_experiment
from backend.services.metrics import Series, downsample, load_series


def experiment_curves(session: Session, experiment_id: int, key: str, max_points: int) -> Curves:
    """Each run's ``key`` (downsampled to ``max_points``) and the seed aggregate.

    The aggregate uses every stored point, not the downsampled ones.
    """
    experiment = get_experiment(session, experiment_id)
    loaded = load_series(session, [run.id for run in experiment.runs], key)
    runs = []
    for run in experiment.runs:
        steps, values = downsample(*loaded[run.id], max_points)
        runs.append(
            RunCurve(
                run_id=run.id,
                seed=run.seed,
                status=run.status,
                steps=steps.tolist(),
                values=values.tolist(),
            )
        )
    observed = [series for series in loaded.values() if len(series[0])]
    return Curves(key=key, runs=runs, aggregate=aggregate(observed, max_points))


def aggregate(all_series: Sequence[Series], max_points: int) -> CurveAggregate:
    """Mean, min, max and count over non-empty series on a grid of up to ``max_points`` steps.

    The grid spans the smallest first step to the largest last step. Each series is linearly
    interpolated only inside its own observed step range; outside it does not count.
    """
    if not all_series:
        return CurveAggregate(steps=[], mean=[], min=[], max=[], n=[])
    first = min(int(steps[0]) for steps, _ in all_series)
    last = max(int(steps[-1]) for steps, _ in all_series)
    # Steps are integers, so never more grid points than steps in the range.
    grid = np.linspace(first, last, min(max_points, last - first + 1)).round().astype(np.int64)

    on_grid = np.full((len(all_series), len(grid)), np.nan)
    for row, (steps, values) in zip(on_grid, all_series, strict=True):
        inside = (grid >= steps[0]) & (grid <= steps[-1])
        row[inside] = np.interp(grid[inside], steps, values)

    n = np.sum(~np.isnan(on_grid), axis=0)
    covered = n > 0
    mean = np.full(len(grid), np.nan)
    mean[covered] = np.nansum(on_grid[:, covered], axis=0) / n[covered]
    return CurveAggregate(
        steps=grid.tolist(),
        mean=_nan_to_none(mean),
        min=_nan_to_none(np.fmin.reduce(on_grid, axis=0)),  # fmin/fmax skip NaN
        max=_nan_to_none(np.fmax.reduce(on_grid, axis=0)),
        n=n.tolist(),
    )


def _nan_to_none(array: np.ndarray) -> list[float | None]:
    """JSON has no NaN: missing values become null."""
    return [None if np.isnan(x) else float(x) for x in array]
