"""RunningMeanStd and observation normalisation in the policy-gradient model."""

import numpy as np
import torch

from engine.models.pg.mlp import PgMlpModel
from engine.models.running_mean_std import RunningMeanStd


def test_matches_numpy_over_a_stream_of_batches():
    rng = np.random.default_rng(0)
    batches = [
        rng.normal(5.0, 3.0, size=(n, 3)) * [1.0, 100.0, 0.01] for n in (1, 7, 64, 3, 200)
    ]
    rms = RunningMeanStd((3,))
    for batch in batches:
        rms.update(torch.as_tensor(batch, dtype=torch.float32))
    stream = np.concatenate(batches).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(rms.mean.numpy(), stream.mean(0), rtol=1e-10)
    np.testing.assert_allclose(rms.var.numpy(), stream.var(0), rtol=1e-8)
    assert rms.count.item() == len(stream)


def test_leading_dims_are_folded():
    x = torch.randn(4, 5, 2)
    rms = RunningMeanStd((2,))
    rms.update(x)  # [T, B, 2]
    torch.testing.assert_close(rms.mean, x.reshape(-1, 2).mean(0).double())


def test_state_dict_round_trip():
    rms = RunningMeanStd((2,))
    rms.update(torch.randn(50, 2) * 4 + 1)
    state = rms.state_dict()
    assert set(state) == {"mean", "var", "count"}
    restored = RunningMeanStd((2,))
    restored.load_state_dict(state)
    x = torch.randn(10, 2)
    torch.testing.assert_close(restored.normalize(x, 10, 1e-6), rms.normalize(x, 10, 1e-6))
    assert restored.count.item() == 50


def test_reduce_fn_merges_the_batches_of_all_processes():
    """A stand-in all-reduce: this process's sums plus another process's batch."""
    mine, theirs = torch.randn(30, 3), torch.randn(20, 3) + 2

    def add_other_process(sums):  # [count, sum, sum of squares] per feature
        n = torch.full((1, 3), 20.0, dtype=torch.float64)
        t = theirs.double()
        sums += torch.cat([n, t.sum(0, keepdim=True), (t * t).sum(0, keepdim=True)])

    rms = RunningMeanStd((3,), reduce_fn=add_other_process)
    rms.update(mine)
    both = torch.cat([mine, theirs]).double()
    torch.testing.assert_close(rms.mean, both.mean(0))
    torch.testing.assert_close(rms.var, both.var(0, unbiased=False))


def test_normalize_clips_and_floors_the_variance():
    rms = RunningMeanStd((2,))
    rms.update(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))  # mean (1, 1), var (1, 0)
    out = rms.normalize(torch.tensor([[3.0, 1.5], [-100.0, 1.0]]), clip=10.0, var_clip=1e-6)
    torch.testing.assert_close(out, torch.tensor([[2.0, 10.0], [-10.0, 0.0]]))
    assert out.dtype == torch.float32


def test_model_updates_statistics_in_training_mode_only_and_saves_them():
    model = PgMlpModel((3,), action_size=2, hidden_sizes=[8], normalize_observation=True)
    assert {"obs_rms.mean", "obs_rms.var", "obs_rms.count"} <= set(model.state_dict())
    observation = torch.randn(6, 4, 3) * 5 + 3
    model.eval()  # sampling and evaluation
    model(observation, None, None)
    assert model.obs_rms.count.item() == 0
    model.train()
    model(observation, None, None)
    assert model.obs_rms.count.item() == 24
    torch.testing.assert_close(model.obs_rms.mean, observation.reshape(-1, 3).mean(0).double())

    restored = PgMlpModel((3,), action_size=2, hidden_sizes=[8], normalize_observation=True)
    restored.load_state_dict(model.state_dict())
    restored.eval(), model.eval()
    for a, b in zip(restored(observation, None, None), model(observation, None, None)):
        torch.testing.assert_close(a, b)


def test_without_normalization_the_state_dict_is_unchanged():
    model = PgMlpModel((3,), action_size=2, hidden_sizes=[8])
    assert model.obs_rms is None
    assert not any(key.startswith("obs_rms") for key in model.state_dict())
