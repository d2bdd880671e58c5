"""R2D1 learns CartPole without velocities, where a feed-forward DQN with the same budget
cannot: the LSTM infers the velocities from consecutive observations."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from engine.build import build_runner
from engine.logging.sinks import Sink
from engine.spec import ExperimentSpec, load_spec

POMDP = "engine.envs.pomdp:CartPoleNoVelocity-v1"


class EvalReturns(Sink):
    """Collects ``eval_return_mean`` of every logged row."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        self.values.append(metrics["eval_return_mean"])

    def close(self) -> None:
        pass


def eval_returns(spec: ExperimentSpec, tmp_path) -> list[float]:
    torch.set_num_threads(1)
    sink = EvalReturns()
    build_runner(spec, seed=0, out_dir=tmp_path, sinks=[sink]).train()
    return sink.values


def test_r2d1_learns_cartpole_without_velocities(tmp_path) -> None:
    spec = load_spec("preset:cartpole_r2d1")
    returns = eval_returns(spec, tmp_path)
    assert max(returns) >= 400, returns


def test_feedforward_dqn_does_not_with_the_same_budget(tmp_path) -> None:
    """The DQN learning test's settings (preset cartpole_dqn), on the same environment for the
    same number of steps."""
    r2d1 = load_spec("preset:cartpole_r2d1")
    spec = load_spec("preset:cartpole_dqn").model_copy(
        update=dict(
            env=r2d1.env,
            runner=r2d1.runner,
        )
    )
    returns = eval_returns(spec, tmp_path)
    assert max(returns) < 150, returns  # measured: at most 47 (seed 0, 40k steps)
