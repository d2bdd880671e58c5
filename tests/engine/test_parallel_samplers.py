"""CpuSampler, GpuSampler and AlternatingSampler against the SerialSampler; wait-reset
collection; worker failure and shutdown."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from engine.agents.base import AgentStep
from engine.agents.pg.base import AgentInfo
from engine.agents.pg.categorical import CategoricalPgAgent
from engine.distributions.categorical import DistInfo
from engine.envs.gym import make
from engine.models.pg.mlp import PgMlpModel
from engine.samplers.collectors import WaitResetCollector
from engine.samplers.parallel import AlternatingSampler, CpuSampler, GpuSampler, WorkerError
from engine.samplers.serial import SerialSampler
from engine.utils.affinity import make_affinity
from engine.utils.seed import set_seed

T, B = 16, 4
PARALLEL = [CpuSampler, GpuSampler, AlternatingSampler]
REPO = Path(__file__).resolve().parents[2]


class FixedPolicyAgent(CategoricalPgAgent):
    """Pushes the cart towards the pole's lean (episodes of 25-50 steps): actions never
    depend on which process or batch size computed them; agent_info still comes from the
    model."""

    @torch.no_grad()
    def step(self, observation, prev_action, prev_reward):
        logits, value = self.model(observation, prev_action, prev_reward)
        action = (observation[..., 2] > 0).long()
        return AgentStep(action, AgentInfo(DistInfo(logits=logits), value))


def make_sampler(Cls, agent_cls=FixedPolicyAgent, seed=0, **kwargs):
    set_seed(seed)
    if Cls is not SerialSampler:
        kwargs.setdefault("affinity", make_affinity(n_workers=2))
    sampler = Cls(
        EnvCls=make,
        env_kwargs=dict(env_id="CartPole-v1"),
        batch_T=T,
        batch_B=B,
        max_decorrelation_steps=20,
        eval_max_steps=2000,
        **kwargs,
    )
    agent = agent_cls(PgMlpModel, dict(hidden_sizes=[16]))
    sampler.initialize(agent, seed=seed, bootstrap_value=True, traj_info_kwargs={"discount": 0.9})
    return sampler, agent


def run(Cls, n_itr=6, **kwargs):
    """Observations, dones and completed returns of ``n_itr`` batches."""
    sampler, agent = make_sampler(Cls, **kwargs)
    try:
        observations, dones, returns = [], [], []
        for itr in range(n_itr):
            agent.sample_mode(itr)
            samples, traj_infos = sampler.obtain_samples(itr)
            observations.append(samples.env.observation.clone())
            dones.append(samples.env.done.clone())
            returns += [info.Return for info in traj_infos]
    finally:
        sampler.shutdown()
    return torch.stack(observations), torch.stack(dones), sorted(returns)


@pytest.mark.parametrize("Cls", PARALLEL)
def test_batch_fields_are_T_B_with_the_serial_dtypes(Cls):
    serial, _ = make_sampler(SerialSampler)
    expected, _ = serial.obtain_samples(0)
    serial.shutdown()
    sampler, _ = make_sampler(Cls, agent_cls=CategoricalPgAgent)
    try:
        samples, _ = sampler.obtain_samples(0)
        assert samples.env.observation.shape == (T, B, 4)
        assert samples.agent.agent_info.dist_info.logits.shape == (T, B, 2)
        assert samples.agent.bootstrap_value.shape == (B,)
        for name, x, y in zip(("agent", "env"), samples, expected):
            for a, b in zip(torch.utils._pytree.tree_leaves(x), torch.utils._pytree.tree_leaves(y)):
                assert a.shape == b.shape and a.dtype == b.dtype, name
                assert a.shape[:2] == (T, B) or a is samples.agent.bootstrap_value
        assert (samples.env.reward == 1).all()
        # The agent side wrote too: actions sampled, values computed.
        assert (samples.agent.agent_info.value != 0).all()
        assert samples.agent.bootstrap_value.abs().sum() > 0
        assert torch.equal(samples.agent.prev_action[1:], samples.agent.action[:-1])
    finally:
        sampler.shutdown()


@pytest.mark.parametrize("Cls", PARALLEL)
def test_same_trajectories_as_the_serial_sampler(Cls):
    observations, dones, returns = run(SerialSampler)
    assert len(returns) >= 2
    got_observations, got_dones, got_returns = run(Cls)
    assert torch.equal(got_observations, observations)
    assert torch.equal(got_dones, dones)
    assert got_returns == returns


@pytest.mark.parametrize("Cls", [SerialSampler, CpuSampler, GpuSampler])
def test_wait_reset_records_blanks_until_the_next_batch(Cls):
    sampler, agent = make_sampler(Cls, CollectorCls=WaitResetCollector)
    assert sampler.mid_batch_reset is False
    try:
        seen_done = False
        for itr in range(8):
            samples, _ = sampler.obtain_samples(itr)
            done = samples.env.done
            for b in range(B):
                hits = torch.nonzero(done[:, b]).flatten()
                if len(hits) == 0:
                    continue
                seen_done = True
                t = int(hits[0])
                assert done[t:, b].all()  # done stays set
                assert (samples.env.observation[t + 1 :, b] == 0).all()
                assert (samples.env.reward[t + 1 :, b] == 0).all()
                assert (samples.agent.action[t + 1 :, b] == 0).all()
                assert (samples.agent.agent_info.value[t + 1 :, b] == 0).all()
                done_cols = b
            if seen_done:
                next_samples, _ = sampler.obtain_samples(itr + 1)
                # Reset between batches: a fresh CartPole start, blank previous action/reward.
                assert (next_samples.env.observation[0, done_cols].abs() <= 0.05).all()
                assert next_samples.env.prev_reward[0, done_cols] == 0
                assert not next_samples.env.done[0, done_cols]
                break
        assert seen_done
    finally:
        sampler.shutdown()


@pytest.mark.parametrize("Cls", [SerialSampler, *PARALLEL])
def test_evaluation_runs_whole_episodes_and_stops_at_max_trajectories(Cls):
    sampler, agent = make_sampler(Cls, eval_n_envs=2, eval_max_trajectories=3)
    try:
        agent.eval_mode(0)
        traj_infos = sampler.evaluate_agent(0)
        # Stops at 3; envs that finish on the same step may add one each.
        assert 3 <= len(traj_infos) <= 3 + sampler.eval_n_envs - 1
        # Whole episodes of the fixed rule, not cut-offs.
        assert all(info.Length >= 20 for info in traj_infos)
        assert len(sampler.evaluate_agent(1)) >= 3  # repeatable
    finally:
        sampler.shutdown()


@pytest.mark.parametrize("Cls", [CpuSampler, GpuSampler])
def test_state_dict_round_trip_through_the_workers(Cls):
    sampler, _ = make_sampler(Cls)
    try:
        sampler.obtain_samples(0)
        state = sampler.state_dict()
        assert len(state["workers"]) == 2 and len(state["workers"][0]["traj_infos"]) == 2
        first, _ = sampler.obtain_samples(1)
        first = first.env.observation.clone()
        sampler.load_state_dict(state)
        again, _ = sampler.obtain_samples(1)
        assert torch.equal(again.env.observation, first)
    finally:
        sampler.shutdown()


def shm_entries():
    return set(os.listdir("/dev/shm"))


@pytest.mark.parametrize("Cls", [CpuSampler, GpuSampler])
def test_killed_worker_is_named_and_nothing_is_left_behind(Cls):
    shm_before = shm_entries()
    sampler, _ = make_sampler(Cls)
    sampler.obtain_samples(0)
    pids = [p.pid for p in sampler.processes]
    os.kill(pids[1], signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(WorkerError, match=rf"sampler worker 1 \(pid {pids[1]}, envs 2..3\) "
                       r"was killed by SIGKILL"):
        sampler.obtain_samples(1)
    assert time.monotonic() - start < 5
    sampler.shutdown()
    sampler.shutdown()  # idempotent
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    del sampler
    assert shm_entries() - shm_before == set()


def test_worker_error_carries_the_traceback():
    sampler, _ = make_sampler(CpuSampler)
    try:
        state = sampler.state_dict()
        state["workers"][0] = {}  # only worker 0 fails, so it is the one the error must name
        with pytest.raises(WorkerError, match=r"(?s)sampler worker 0 .* failed:.*KeyError"):
            sampler.load_state_dict(state)
    finally:
        sampler.shutdown()


def test_ppo_trains_with_cpu_sampler_from_the_command_line(tmp_path):
    spec = {
        "name": "cpu-sampler",
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO"},
        "model": {"hidden_sizes": [16]},
        "sampler": {"kind": "cpu", "workers": 2, "batch_T": 32, "batch_B": 4},
        "runner": {"kind": "minibatch", "n_steps": 512, "log_interval_steps": 256},
        "device": "cpu",
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    result = subprocess.run(
        [sys.executable, "-m", "engine", "train", str(tmp_path / "spec.yaml"), "--out",
         str(tmp_path / "run")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "run" / "progress.csv").read_text().splitlines()
    assert len(rows) == 3 and "loss" in rows[0]
    assert (tmp_path / "run" / "checkpoint.pt").exists()  # sampler state came from the workers
