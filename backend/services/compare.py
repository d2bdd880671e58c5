"""Comparing experiments on final scores, after rliable: IQM with stratified-bootstrap
intervals, probability of improvement, and IQM learning curves on a shared grid.

The stratum (rliable's task) is the environment: scores are only ever compared with scores
from the same environment. An experiment runs one environment, so its IQM interval is a
bootstrap over its seeds, and two experiments on different environments have no
probability of improvement.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Experiment, MetricSeries
from backend.schemas import Comparison, ExperimentScores, Improvement
from backend.services import stats
from backend.services.curves import BAND_SEED, aggregate_curve, align, common_grid
from backend.services.experiments import get_experiment
from backend.services.metrics import Series, load_series

EVAL_KEY, TRAIN_KEY = "eval_return_mean", "return_mean"
#: rliable's advice: fewer seeds than this give intervals too wide to conclude much.
MIN_SEEDS = 5


@dataclass
class _Loaded:
    experiment: Experiment
    key: str
    series: dict[int, Series]  # run id -> its non-empty series of key

    def scores(self, last_k: int) -> np.ndarray:
        """Each run's final score, ``[n_scored_runs]``: the mean of its last ``last_k`` values."""
        return np.array([series.values[-last_k:].mean() for series in self.series.values()])

    def scores_by_env(self, last_k: int) -> dict[str, np.ndarray]:
        return {self.experiment.env_id: self.scores(last_k)}


def compare(
    session: Session,
    experiment_ids: list[int],
    key: str | None,
    last_k: int,
    max_points: int,
    reps: int = stats.DEFAULT_REPS,
) -> Comparison:
    """Final-score statistics of each experiment, the improvement matrix and IQM curves.

    ``key`` None scores each experiment on ``eval_return_mean`` if any of its runs logged it,
    else on ``return_mean``. NotFoundError names the first missing experiment.
    """
    loaded = [_load(session, get_experiment(session, id_), key) for id_ in experiment_ids]
    grid = common_grid(
        [series.steps for entry in loaded for series in entry.series.values()], "step", max_points
    )
    return Comparison(
        last_k=last_k,
        reps=reps,
        seed=BAND_SEED,
        experiments=[_experiment_scores(entry, last_k, grid, reps) for entry in loaded],
        improvements=[_improvement(x, y, last_k, reps) for x, y in permutations(loaded, 2)],
    )


def _load(session: Session, experiment: Experiment, key: str | None) -> _Loaded:
    run_ids = [run.id for run in experiment.runs]
    if key is None:
        has_eval = session.scalar(
            select(MetricSeries.run_id)
            .where(MetricSeries.run_id.in_(run_ids), MetricSeries.key == EVAL_KEY)
            .limit(1)
        )
        key = TRAIN_KEY if has_eval is None else EVAL_KEY
    series = load_series(session, run_ids, key)
    return _Loaded(experiment, key, {id_: s for id_, s in series.items() if len(s.steps)})


def _experiment_scores(
    entry: _Loaded, last_k: int, grid: np.ndarray, reps: int
) -> ExperimentScores:
    scores = entry.scores(last_k)
    n, n_runs = len(scores), len(entry.experiment.runs)
    lower = upper = None
    if n:
        lower, upper = stats.stratified_bootstrap_ci(
            list(entry.scores_by_env(last_k).values()), stats.iqm, reps, BAND_SEED
        )
    warning = None
    if n < MIN_SEEDS:
        warning = (
            f"{n} of {n_runs} seeds have {entry.key} points; with fewer than {MIN_SEEDS} the "
            "intervals are wide and the comparison is weak"
        )
    return ExperimentScores(
        experiment_id=entry.experiment.id,
        name=entry.experiment.name,
        env_id=entry.experiment.env_id,
        key=entry.key,
        run_ids=list(entry.series),
        scores=scores.tolist(),
        n=n,
        mean=float(scores.mean()) if n else None,
        std=float(scores.std()) if n else None,
        iqm=float(stats.iqm(scores)) if n else None,
        iqm_lower=lower,
        iqm_upper=upper,
        warning=warning,
        curve=aggregate_curve(grid, align(list(entry.series.values()), "step", grid), "iqm", "ci"),
    )


def _improvement(x: _Loaded, y: _Loaded, last_k: int, reps: int) -> Improvement:
    """Probability of improvement of ``x`` over ``y`` on the environments both have scores on."""
    x_by_env, y_by_env = x.scores_by_env(last_k), y.scores_by_env(last_k)
    shared = [env for env in x_by_env if len(x_by_env[env]) and len(y_by_env.get(env, ()))]
    if not shared:
        return Improvement(
            x=x.experiment.id, y=y.experiment.id, probability=None, lower=None, upper=None
        )
    x_tasks, y_tasks = [x_by_env[env] for env in shared], [y_by_env[env] for env in shared]
    lower, upper = stats.probability_of_improvement_ci(x_tasks, y_tasks, reps, BAND_SEED)
    return Improvement(
        x=x.experiment.id,
        y=y.experiment.id,
        probability=stats.stratified_probability_of_improvement(x_tasks, y_tasks),
        lower=lower,
        upper=upper,
    )
