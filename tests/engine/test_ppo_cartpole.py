"""Learning test: PPO (preset cartpole_ppo) solves CartPole-v1 within 50k steps and stays
solved. Measured on seeds 0, 1, 2: evaluation return 500 first at 20k, 10k and 30k steps,
and 500 at the end (60k) on all three."""

import pytest

from tests.engine.test_pg_learning import first_step_reaching, train_preset


@pytest.mark.slow
def test_ppo_solves_cartpole(tmp_path):
    curve, _ = train_preset("cartpole_ppo", seed=0, out_dir=tmp_path)
    reached = first_step_reaching(curve, 475)
    assert reached is not None and reached <= 50_000, curve
    assert curve[-1][1] >= 475, curve
