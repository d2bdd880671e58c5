"""services/stats.py against hand-computed values and a naive reference bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from backend.services import stats


def test_iqm_is_the_mean_of_the_middle_half() -> None:
    assert stats.iqm(np.arange(1.0, 9.0)) == 4.5  # mean of 3, 4, 5, 6
    assert stats.iqm(np.array([100.0, 2.0, 3.0, -50.0])) == 2.5  # cuts one from each end
    # trim_mean semantics: int(0.25 * 5) = 1 value cut from each end, never a fraction.
    assert stats.iqm(np.array([1.0, 2.0, 3.0, 4.0, 100.0])) == 3.0
    assert stats.iqm(np.array([7.0, 1.0, 4.0])) == 4.0  # nothing cut below 4 values
    rows = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 0.0, 0.0, 10.0]])
    np.testing.assert_array_equal(stats.iqm(rows, axis=1), [2.5, 5.0])
    np.testing.assert_array_equal(stats.iqm(rows.T, axis=0), [2.5, 5.0])


def test_mean_and_median_as_order_weights() -> None:
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert stats.aggregate(x, "mean") == 2.5
    assert stats.aggregate(x, "median") == 2.5
    assert stats.aggregate(x[:3], "median") == 3.0


def test_probability_of_improvement_counts_ties_as_half() -> None:
    # Pairs: 1>0, 1<3, 2>0, 2<3.
    assert stats.probability_of_improvement(np.array([1.0, 2.0]), np.array([0.0, 3.0])) == 0.5
    # Pairs: 1=1 (0.5), 1>0, 1=1 (0.5), 1>0 -> 3 / 4.
    assert stats.probability_of_improvement(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == 0.75
    assert stats.probability_of_improvement(np.array([5.0, 6.0, 7.0]), np.array([1.0])) == 1.0
    # Per task, then averaged over tasks: 1.0 and 0.5.
    x_by_task = [np.array([3.0]), np.array([1.0, 2.0])]
    y_by_task = [np.array([0.0, 1.0]), np.array([0.0, 3.0])]
    assert stats.stratified_probability_of_improvement(x_by_task, y_by_task) == 0.75


def test_a_constant_sample_has_a_point_interval() -> None:
    assert stats.bootstrap_ci(np.full(4, 3.0), stats.iqm) == (3.0, 3.0)
    lower, upper = stats.pointwise_bootstrap_band(np.full((3, 5), 2.0), "median")
    np.testing.assert_array_equal(lower, np.full(5, 2.0))
    np.testing.assert_array_equal(upper, np.full(5, 2.0))


def test_bootstrap_interval_of_two_values() -> None:
    # Resampled means of {0, 1}: 0 (p=1/4), 0.5 (1/2), 1 (1/4): the 95% interval is [0, 1].
    mean = lambda x: np.mean(x, axis=-1)
    assert stats.bootstrap_ci(np.array([0.0, 1.0]), mean) == (0.0, 1.0)


def test_stratified_bootstrap_resamples_within_each_task() -> None:
    # Within-task resampling of constant tasks never changes the pooled mean (3 x 0 + 10) / 4;
    # a bootstrap over the pooled runs would.
    scores = [np.zeros(3), np.array([10.0])]
    assert stats.stratified_bootstrap_ci(scores, lambda x: np.mean(x, axis=-1)) == (2.5, 2.5)


def test_poi_interval_is_a_point_when_one_side_dominates() -> None:
    x_by_task, y_by_task = [np.array([5.0, 6.0, 7.0])], [np.array([1.0, 2.0])]
    assert stats.probability_of_improvement_ci(x_by_task, y_by_task) == (1.0, 1.0)
    lower, upper = stats.probability_of_improvement_ci([np.array([1.0, 2.0])], [np.array([0.0, 3.0])])
    assert lower < 0.5 < upper


def test_intervals_are_reproducible_by_seed() -> None:
    values = np.random.default_rng(1).normal(size=(6, 40))
    first = stats.pointwise_bootstrap_band(values, "iqm", seed=3)
    np.testing.assert_array_equal(first, stats.pointwise_bootstrap_band(values, "iqm", seed=3))
    assert not np.array_equal(first, stats.pointwise_bootstrap_band(values, "iqm", seed=4))
    scores = values[:, 0]
    assert stats.bootstrap_ci(scores, stats.iqm, seed=3) == stats.bootstrap_ci(scores, stats.iqm, seed=3)


@pytest.mark.parametrize("agg", ["mean", "median", "iqm"])
def test_pointwise_band_matches_a_naive_seed_bootstrap(agg: stats.Aggregate) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(6, 4))
    values[4:, 3] = np.nan  # the last point is covered by 4 seeds only
    lower, upper = stats.pointwise_bootstrap_band(values, agg, reps=20_000)

    # The bootstrap distribution is discrete, so compare where each bound falls in the naive
    # distribution (its CDF) rather than the values, which jump between atoms.
    for point in range(values.shape[1]):
        column = values[:, point][~np.isnan(values[:, point])]
        draws = column[rng.integers(0, len(column), size=(20_000, len(column)))]
        naive = stats.aggregate(draws, agg)
        for bound, quantile in ((lower[point], 0.025), (upper[point], 0.975)):
            assert np.mean(naive < bound) - 0.01 <= quantile <= np.mean(naive <= bound) + 0.01


def test_pointwise_band_is_nan_where_no_seed_covers() -> None:
    values = np.array([[1.0, np.nan], [3.0, np.nan]])
    lower, upper = stats.pointwise_bootstrap_band(values, "mean")
    assert (lower[0], upper[0]) == (1.0, 3.0)
    assert np.isnan(lower[1]) and np.isnan(upper[1])
