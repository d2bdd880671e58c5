"""Learning curves of an experiment: every seed's series plus their aggregate band."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from backend.models import Run
from backend.schemas import Band, CurveAggregate, CurveGroup, Curves, RunCurve, XAxis
from backend.services import stats
from backend.services.experiments import get_experiment
from backend.services.metrics import (
    Series,
    SeriesRange,
    boundary_series,
    bucket_extremes,
    display_buckets,
    display_extremes,
    downsample,
    envelope,
    load_blocks_on_grid,
    load_series,
    series_ranges,
    step_grid,
    uses_blocks,
)

#: Seed of every bootstrap band, so that the same request always draws the same band.
BAND_SEED = 0


def experiment_curves(
    session: Session,
    experiment_id: int,
    key: str,
    max_points: int,
    x: XAxis = "step",
    agg: stats.Aggregate = "mean",
    band: Band = "ci",
    group_by_variant: bool = False,
) -> Curves:
    """Each run's ``key`` (downsampled to ``max_points``) and the seed aggregate.

    The aggregate is exact: it interpolates every seed as its full series would be. With
    ``group_by_variant``, runs with equal ``variant`` also get an aggregate per group, all on
    the experiment's grid so that they overlay.
    """
    experiment = get_experiment(session, experiment_id)
    ranges = series_ranges(session, [run.id for run in experiment.runs], key)
    if x == "step":
        runs, observed, grid = _step_curves(session, experiment.runs, ranges, key, max_points)
    else:
        loaded = load_series(session, [run.id for run in experiment.runs], key)
        runs = [_run_curve(run, loaded[run.id], max_points, x) for run in experiment.runs]
        observed = {run_id: series for run_id, series in loaded.items() if len(series.steps)}
        grid = common_grid([axis(series, x) for series in observed.values()], x, max_points)
    for curve in runs:
        if curve.run_id in ranges:
            found = ranges[curve.run_id]
            curve.last_step, curve.last_value = found.last_step, found.last_value

    def aggregate_of(run_ids: Sequence[int]) -> CurveAggregate:
        on_grid = align([observed[run_id] for run_id in run_ids if run_id in observed], x, grid)
        return aggregate_curve(grid, on_grid, agg, band)

    groups = None
    if group_by_variant:
        by_variant: dict[str, list[Run]] = {}
        for run in experiment.runs:
            by_variant.setdefault(json.dumps(run.variant, sort_keys=True), []).append(run)
        groups = [
            CurveGroup(
                variant=members[0].variant,
                run_ids=[run.id for run in members],
                aggregate=aggregate_of([run.id for run in members]),
            )
            for members in by_variant.values()
        ]
    return Curves(
        key=key,
        x=x,
        agg=agg,
        band=band,
        runs=runs,
        aggregate=aggregate_of(list(observed)),
        groups=groups,
    )


def _step_curves(
    session: Session,
    runs: Sequence[Run],
    ranges: dict[int, SeriesRange],
    key: str,
    max_points: int,
) -> tuple[list[RunCurve], dict[int, Series], np.ndarray]:
    """Per-run curves, the series to aggregate and the grid, for x=step; ``ranges``: the
    runs' :func:`series_ranges`.

    The grid comes from the runs' first and last steps (no scan of the points). A run with at
    most ``max_points`` points is loaded whole. A run with at least one block per display
    bucket is read from its blocks (:func:`load_blocks_on_grid`): each display bucket's
    lowest and highest point come from its blocks' summaries, and the aggregate interpolates
    the blocks' points that the grid needs.
    Any other run is bucketed by the grid's intervals (:func:`bucket_extremes`), which gives
    per interval its first, last, lowest and highest point. Either way the drawn curve keeps
    every display bucket's envelope, and the aggregate equals that of the full series.
    """
    if not ranges:
        grid = np.array([])
    else:
        first = min(found.first_step for found in ranges.values())
        last = max(found.last_step for found in ranges.values())
        grid = step_grid(first, last, max_points)
    whole = [run_id for run_id, found in ranges.items() if found.count <= max_points]
    observed: dict[int, Series] = load_series(session, whole, key) if whole else {}
    blocked = [run_id for run_id, found in ranges.items() if uses_blocks(found.count, max_points)]
    blocks, interpolated = load_blocks_on_grid(session, blocked, key, grid)
    observed.update(interpolated)
    long = [run_id for run_id in ranges if run_id not in observed]
    bucketed = bucket_extremes(session, long, key, grid)
    curves = []
    for run in runs:
        if run.id in blocks:
            extremes = display_extremes(blocks[run.id], grid, max_points)
            steps, values = envelope(extremes, display_buckets(max_points) + 1, max_points)
            curves.append(_curve(run, steps.tolist(), values.tolist()))
        elif run.id in bucketed:
            extremes = bucketed[run.id]
            steps, values = envelope(extremes, len(grid), max_points)
            observed[run.id] = boundary_series(extremes)
            curves.append(_curve(run, steps.tolist(), values.tolist()))
        elif run.id in observed:
            whole_series = observed[run.id]
            curves.append(_curve(run, whole_series.steps.tolist(), whole_series.values.tolist()))
        else:
            curves.append(_curve(run, [], []))
    # The aggregate keeps the experiment's run order, as before.
    ordered = {run.id: observed[run.id] for run in runs if run.id in observed}
    return curves, ordered, grid


def _curve(run: Run, steps: list[int], values: list[float]) -> RunCurve:
    return RunCurve(
        run_id=run.id,
        seed=run.seed,
        status=run.status,
        variant=run.variant,
        steps=steps,
        values=values,
    )


def _run_curve(run: Run, series: Series, max_points: int, x: XAxis) -> RunCurve:
    keep = downsample(series.values, max_points)
    return RunCurve(
        run_id=run.id,
        seed=run.seed,
        status=run.status,
        variant=run.variant,
        steps=series.steps[keep].tolist(),
        values=series.values[keep].tolist(),
        wall_times=series.wall_times[keep].tolist() if x == "wall_time" else None,
    )


def axis(series: Series, x: XAxis) -> np.ndarray:
    """The series' x values: its steps or its wall times."""
    return series.steps if x == "step" else series.wall_times


def common_grid(xs: Sequence[np.ndarray], x: XAxis, max_points: int) -> np.ndarray:
    """Up to ``max_points`` evenly spaced x values from the smallest first to the largest last.

    ``xs``: each non-empty series' ascending x values. Step grids are integers, and never hold
    more points than there are steps in the range.
    """
    if not xs:
        return np.array([])
    first, last = min(float(xs_[0]) for xs_ in xs), max(float(xs_[-1]) for xs_ in xs)
    if x == "wall_time":
        return np.linspace(first, last, max_points if last > first else 1)
    return step_grid(int(first), int(last), max_points)


def align(all_series: Sequence[Series], x: XAxis, grid: np.ndarray) -> np.ndarray:
    """The series on ``grid``: ``[n_series, n_grid]``.

    Each series is linearly interpolated only inside its own observed x range; outside it is
    NaN, so it does not count there.
    """
    on_grid = np.full((len(all_series), len(grid)), np.nan)
    for row, series in zip(on_grid, all_series, strict=True):
        xs = axis(series, x)
        inside = (grid >= xs[0]) & (grid <= xs[-1])
        row[inside] = np.interp(grid[inside], xs, series.values)
    return on_grid


def aggregate_curve(
    grid: np.ndarray, on_grid: np.ndarray, agg: stats.Aggregate, band: Band
) -> CurveAggregate:
    """Mean, min, max, count, and ``agg`` with its ``band`` over seeds at each grid point.

    ``on_grid``: ``[n_seeds, n_grid]``, NaN where a seed does not cover a point.
    """
    n = np.sum(~np.isnan(on_grid), axis=0)
    # fmin/fmax skip NaN, so NaN is their identity (for points, or groups, without seeds).
    minimum = np.fmin.reduce(on_grid, axis=0, initial=np.nan)
    maximum = np.fmax.reduce(on_grid, axis=0, initial=np.nan)
    center = stats.nan_aggregate(on_grid, agg)
    if band == "ci":
        lower, upper = stats.pointwise_bootstrap_band(on_grid, agg, seed=BAND_SEED)
    elif band == "std":
        spread = np.full(len(grid), np.nan)
        spread[n > 0] = np.nanstd(on_grid[:, n > 0], axis=0)  # population std over seeds
        lower, upper = center - spread, center + spread
    else:
        lower, upper = minimum, maximum
    return CurveAggregate(
        steps=grid.tolist(),
        mean=_nan_to_none(stats.nan_aggregate(on_grid, "mean")),
        min=_nan_to_none(minimum),
        max=_nan_to_none(maximum),
        n=n.tolist(),
        center=_nan_to_none(center),
        lower=_nan_to_none(lower),
        upper=_nan_to_none(upper),
    )


def _nan_to_none(array: np.ndarray) -> list[float | None]:
    """JSON has no NaN: missing values become null."""
    return [None if x != x else x for x in array.tolist()]  # x != x: NaN
