"""``checkpoint.pt``: its contents, the round trip into a fresh runner, format guards."""

import pytest
import torch

from engine.build import build_runner
from engine.checkpoint import CHECKPOINT_NAME, CHECKPOINT_VERSION, load_checkpoint
from engine.samplers.serial import SerialSampler
from engine.spec import load_spec
from tests.engine.test_train_cli import write_spec

BATCH = 32 * 8


def train_tiny(tmp_path, seed=3, **runner):
    spec = load_spec(
        write_spec(
            tmp_path / "spec.yaml",
            runner={"kind": "minibatch", "n_steps": 6 * BATCH, "log_interval_steps": BATCH}
            | runner,
        )
    )
    out = tmp_path / "run"
    runner = build_runner(spec, seed, out)
    runner.train()
    return spec, out, runner


def test_checkpoint_holds_every_part_with_counters_of_the_last_iteration(tmp_path):
    _, out, runner = train_tiny(tmp_path, checkpoint_keep_interval_steps=2 * BATCH)
    checkpoint = load_checkpoint(out)
    assert checkpoint["version"] == CHECKPOINT_VERSION
    assert set(checkpoint) == {
        "version", "counters", "run", "agent", "algo", "sampler", "logger", "rng"
    }
    assert checkpoint["counters"] == {
        "itr": 5,
        "cum_steps": 6 * BATCH,
        "cum_completed_trajs": runner._cum_completed_trajs,
        "cum_updates": 6 * 4 * 4,  # iterations x epochs x minibatches
    }
    assert len(checkpoint["sampler"]["envs"]) == 8
    assert len(checkpoint["sampler"]["traj_infos"]) == 8  # each env's episode in progress
    assert checkpoint["logger"]["latest"]["episodes"] == runner._cum_completed_trajs
    assert set(checkpoint["rng"]) == {"python", "numpy", "torch", "cuda"}
    kept = {p.name for p in (out / "checkpoints").iterdir()}
    assert kept == {f"checkpoint_{s}.pt" for s in (512, 1024, 1536)}
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


def test_checkpoint_loads_into_a_fresh_runner(tmp_path):
    spec, out, runner = train_tiny(tmp_path)
    checkpoint = load_checkpoint(out)
    fresh = build_runner(spec, 3, tmp_path / "fresh")
    fresh.startup(checkpoint)
    try:
        for name, param in runner.agent.model.state_dict().items():
            assert torch.equal(fresh.agent.model.state_dict()[name], param), name
        saved_optim = runner.algo.optimizer.state_dict()
        loaded_optim = fresh.algo.optimizer.state_dict()
        assert saved_optim["param_groups"] == loaded_optim["param_groups"]
        for key, state in saved_optim["state"].items():
            for name, value in state.items():
                assert torch.equal(loaded_optim["state"][key][name], value), (key, name)
        assert fresh.algo.update_counter == runner.algo.update_counter
        assert fresh._cum_completed_trajs == runner._cum_completed_trajs
        assert [t.fields() for t in fresh._traj_infos] == [t.fields() for t in runner._traj_infos]
        assert fresh.logger.latest == runner.logger.latest
        assert fresh.logger.wall_time >= checkpoint["logger"]["wall_time"]
        assert fresh.state_dict(5)["counters"] == checkpoint["counters"]
    finally:
        fresh.shutdown()


def test_checkpoint_of_another_seed_is_refused(tmp_path):
    spec, out, _ = train_tiny(tmp_path)
    other = build_runner(spec, 4, tmp_path / "other")
    with pytest.raises(ValueError, match="another run"):
        other.startup(load_checkpoint(out))
    other.shutdown()


def test_checkpoint_of_another_version_is_refused(tmp_path):
    torch.save({"version": CHECKPOINT_VERSION + 1}, tmp_path / CHECKPOINT_NAME)
    with pytest.raises(ValueError, match="checkpoint version"):
        load_checkpoint(tmp_path)
    assert load_checkpoint(tmp_path / "missing") is None


def test_a_part_without_state_turns_checkpoints_off_with_a_warning(tmp_path, monkeypatch):
    def no_state(self):
        raise NotImplementedError("ParallelThing cannot be checkpointed yet")

    monkeypatch.setattr(SerialSampler, "state_dict", no_state)
    with pytest.warns(UserWarning, match="checkpoints are off for this run: ParallelThing"):
        _, out, runner = train_tiny(tmp_path)
    assert not (out / CHECKPOINT_NAME).exists()
    assert runner.logger.latest["episodes"] > 0  # trained to the end
