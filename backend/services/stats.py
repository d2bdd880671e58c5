"""Statistics of RL scores across seeds, after rliable (Agarwal et al., NeurIPS 2021).

Pure numpy, vectorized over bootstrap replicates, and seeded (``np.random.default_rng(seed)``)
so that a confidence interval asked for twice is the same interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np

Aggregate = Literal["mean", "median", "iqm"]
Statistic = Callable[[np.ndarray], np.ndarray]
"""Reduces the last axis of an array of scores: ``[..., n_runs] -> [...]``."""

#: Fraction cut from each end for the interquartile mean, as rliable's ``trim_mean(x, 0.25)``.
IQM_TRIM = 0.25
#: Bootstrap replicates: rliable's default for interactive views is 2k-10k.
DEFAULT_REPS = 2000
#: Replicate estimates computed at once by the pointwise band (512 kB of float64).
_CHUNK_ESTIMATES = 64_000


def order_counts(agg: Aggregate, n: int) -> np.ndarray:
    """How often each value of a sorted sample of ``n`` enters ``agg``: ``[n]`` integers.

    ``agg`` is ``counts @ sorted_sample / counts.sum()``: mean, median and IQM are all linear
    in the order statistics, which the bootstrap below relies on. Integer counts keep results
    exact where the inputs allow (weights of 1/3 make the IQM of [7, 1, 4] 3.9999999999999996).
    The IQM cuts ``int(0.25 n)`` values from each end, exactly as
    ``scipy.stats.trim_mean(x, 0.25)`` (no fractional weighting of a partly cut value).
    """
    counts = np.zeros(n, dtype=np.int64)
    if agg == "mean":
        counts[:] = 1
    elif agg == "median":
        counts[(n - 1) // 2] += 1
        counts[n // 2] += 1
    else:
        cut = int(IQM_TRIM * n)
        counts[cut : n - cut] = 1
    return counts


def aggregate(x: np.ndarray, agg: Aggregate, axis: int = -1) -> np.ndarray:
    """``agg`` of ``x`` along ``axis`` (no NaN): ``[..., n, ...] -> [..., ...]``."""
    ordered = np.moveaxis(np.sort(x, axis=axis), axis, -1)
    counts = order_counts(agg, ordered.shape[-1])
    return ordered @ counts / counts.sum()


def iqm(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Interquartile mean along ``axis``: the mean of the middle 50% (``trim_mean(x, 0.25)``)."""
    return aggregate(x, "iqm", axis)


def _interval(estimates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the replicates of ``estimates`` ``[reps, ...]``."""
    lower, upper = np.percentile(estimates, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    return lower, upper


def stratified_bootstrap_ci(
    scores_by_task: Sequence[np.ndarray],
    statistic: Statistic,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile ``1 - alpha`` interval of ``statistic`` over all tasks' runs pooled.

    ``scores_by_task``: one ``[n_runs_t]`` array per task (the stratum). Each replicate
    resamples runs with replacement within each task, concatenates the tasks to
    ``[reps, sum n_runs_t]`` and applies ``statistic`` to the last axis.
    """
    rng = np.random.default_rng(seed)
    resampled = np.concatenate(
        [
            scores[rng.integers(0, len(scores), size=(reps, len(scores)))]
            for scores in scores_by_task
        ],
        axis=1,
    )
    lower, upper = _interval(statistic(resampled), alpha)
    return float(lower), float(upper)


def bootstrap_ci(
    scores: np.ndarray,
    statistic: Statistic,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile ``1 - alpha`` interval of ``statistic`` over ``scores`` ``[n_runs]``."""
    return stratified_bootstrap_ci([scores], statistic, reps, seed, alpha)


def _by_coverage(values: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Group the points of ``values`` ``[n_seeds, n_points]`` (NaN: not covered) by coverage.

    Yields, for each count ``m`` of covering seeds present, the boolean mask of those points
    and their sorted covering values ``[m, n_masked]``: at most ``n_seeds`` groups.
    """
    ordered = np.sort(values, axis=0)  # NaN sorts last: the first m rows are the covering seeds
    covered = np.sum(~np.isnan(values), axis=0)
    for m in np.unique(covered[covered > 0]):
        columns = covered == m
        yield int(m), columns, ordered[:m, columns]


def nan_aggregate(values: np.ndarray, agg: Aggregate) -> np.ndarray:
    """``agg`` over the covering seeds at each point: ``[n_seeds, n_points] -> [n_points]``.

    NaN marks a seed that does not cover a point; a point no seed covers is NaN.
    """
    result = np.full(values.shape[1], np.nan)
    for m, columns, ordered in _by_coverage(values):
        counts = order_counts(agg, m)
        result[columns] = counts @ ordered / counts.sum()
    return result


def pointwise_bootstrap_band(
    values: np.ndarray,
    agg: Aggregate,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``agg`` over seeds at each point of a curve grid.

    ``values``: ``[n_seeds, n_points]``, NaN where a seed does not cover a point; returns
    ``lower`` and ``upper`` ``[n_points]`` (NaN where no seed covers). A point covered by ``m``
    seeds resamples those ``m``.

    The band is pointwise, so only each point's own resampling distribution matters, and
    resampling seeds is the same there as resampling ranks of the sorted column. With sorted
    ranks the resampled sample is already sorted, so every replicate of an L-statistic is one
    row of a ``[reps, m]`` weight matrix times the sorted column: one matrix product, no sort
    per replicate.
    """
    rng = np.random.default_rng(seed)
    lower, upper = np.full(values.shape[1], np.nan), np.full(values.shape[1], np.nan)
    for m, columns, ordered in _by_coverage(values):
        ranks = np.sort(rng.integers(0, m, size=(reps, m)), axis=1)
        counts = order_counts(agg, m)
        weights = np.zeros((reps, m))
        np.add.at(weights, (np.arange(reps)[:, None], ranks), counts)
        # A few points at a time, so that their replicates stay in the CPU's cache between
        # the product and the partition (and the product is too small for BLAS to spread it
        # over threads, which on a busy machine costs several times more than it gains).
        chunk = max(1, _CHUNK_ESTIMATES // reps)
        points = np.ascontiguousarray(ordered.T)
        replicates = np.ascontiguousarray(weights.T)
        low, high = np.empty(ordered.shape[1]), np.empty(ordered.shape[1])
        for start in range(0, ordered.shape[1], chunk):
            # [chunk, reps]: each point's replicates contiguous, for a fast partition.
            estimates = points[start : start + chunk] @ replicates / counts.sum()
            low[start : start + chunk], high[start : start + chunk] = _row_interval(
                estimates, alpha
            )
        lower[columns], upper[columns] = low, high
    return lower, upper


def _row_interval(estimates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile ``1 - alpha`` interval of each row of ``estimates`` ``[n, reps]``: numpy's
    default ("linear") percentile, from the four order statistics it interpolates between
    instead of sorting every row. Reorders ``estimates`` in place."""
    reps = estimates.shape[1]
    quantiles = np.array([alpha / 2, 1 - alpha / 2])
    position = quantiles * (reps - 1)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, reps - 1)
    first, last = above[0], below[1]  # the inner two of the four
    if last <= first:  # so few replicates that the two ends meet
        estimates.sort(axis=1)
        low, high = estimates[:, below], estimates[:, above]
    else:
        # Two single partitions, at the inner two, and the outer two from a max or min over
        # what lies outside them: several times faster than one partition around all four.
        estimates.partition(first, axis=1)
        estimates[:, first + 1 :].partition(last - first - 1, axis=1)
        before = estimates[:, :first].max(axis=1) if below[0] < first else estimates[:, first]
        after = estimates[:, last + 1 :].min(axis=1) if above[1] > last else estimates[:, last]
        low = np.stack([before, estimates[:, last]], axis=1)
        high = np.stack([estimates[:, first], after], axis=1)
    fraction = position - below
    # numpy's _lerp: the formula from the nearer end, so equal ends give exactly that value.
    interval = np.where(
        fraction >= 0.5, high - (high - low) * (1 - fraction), low + (high - low) * fraction
    )
    return interval[:, 0], interval[:, 1]


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) + 0.5 P(X = Y) on one task: Mann-Whitney U / (n_x n_y).

    ``x`` ``[..., n_x]`` and ``y`` ``[..., n_y]`` with the same leading axes; returns ``[...]``.
    """
    difference = x[..., :, None] - y[..., None, :]
    return np.mean((difference > 0) + 0.5 * (difference == 0), axis=(-2, -1))


def stratified_probability_of_improvement(
    x_by_task: Sequence[np.ndarray], y_by_task: Sequence[np.ndarray]
) -> float:
    """Probability of improvement of X over Y per task (``[n_x_t]`` vs ``[n_y_t]``), averaged."""
    pairs = zip(x_by_task, y_by_task, strict=True)
    return float(np.mean([probability_of_improvement(x, y) for x, y in pairs]))


def probability_of_improvement_ci(
    x_by_task: Sequence[np.ndarray],
    y_by_task: Sequence[np.ndarray],
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile interval of the task-averaged probability of improvement.

    X and Y are resampled independently within each task, as rliable's
    ``StratifiedIndependentBootstrap``.
    """
    rng = np.random.default_rng(seed)
    per_task = [
        probability_of_improvement(
            x[rng.integers(0, len(x), size=(reps, len(x)))],
            y[rng.integers(0, len(y), size=(reps, len(y)))],
        )
        for x, y in zip(x_by_task, y_by_task, strict=True)
    ]
    lower, upper = _interval(np.mean(per_task, axis=0), alpha)
    return float(lower), float(upper)
