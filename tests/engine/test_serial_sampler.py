"""SerialSampler: batch shapes, continuity across batches, reproducibility, evaluation."""

import numpy as np
import torch

from engine.agents.pg.categorical import CategoricalPgAgent
from engine.envs.gym import make
from engine.models.pg.mlp import PgMlpModel
from engine.samplers.serial import SerialSampler
from engine.utils.seed import set_seed

T, B = 16, 4


def make_sampler(seed: int = 0, eval_n_envs: int = 0, **kwargs):
    set_seed(seed)
    sampler = SerialSampler(
        EnvCls=make,
        env_kwargs=dict(env_id="CartPole-v1"),
        batch_T=T,
        batch_B=B,
        max_decorrelation_steps=20,
        eval_n_envs=eval_n_envs,
        eval_max_steps=400,
        **kwargs,
    )
    agent = CategoricalPgAgent(PgMlpModel, dict(hidden_sizes=[16]))
    sampler.initialize(agent, seed=seed, bootstrap_value=True, traj_info_kwargs=dict(discount=0.9))
    return sampler, agent


def test_batch_has_T_B_leading_dims():
    sampler, _ = make_sampler()
    samples, traj_infos = sampler.obtain_samples(0)
    assert samples.env.observation.shape == (T, B, 4)
    for x in (
        samples.env.reward,
        samples.env.prev_reward,
        samples.env.done,
        samples.env.env_info.timeout,
        samples.env.env_info.traj_done,
        samples.agent.action,
        samples.agent.prev_action,
        samples.agent.agent_info.value,
    ):
        assert x.shape == (T, B)
    assert samples.agent.agent_info.dist_info.logits.shape == (T, B, 2)
    assert samples.agent.bootstrap_value.shape == (B,)
    assert isinstance(samples.env.reward, torch.Tensor)
    assert (samples.env.reward == 1).all()
    sampler.shutdown()


def test_batches_continue_where_the_last_one_stopped():
    sampler, agent = make_sampler()
    samples, _ = sampler.obtain_samples(0)
    last_action = samples.agent.action[-1].clone()
    last_reward = samples.env.reward[-1].clone()
    bootstrap_value = samples.agent.bootstrap_value.clone()
    samples, _ = sampler.obtain_samples(1)
    assert torch.equal(samples.agent.prev_action[0], last_action)
    assert torch.equal(samples.env.prev_reward[0], last_reward)
    assert torch.equal(samples.agent.prev_action[1:], samples.agent.action[:-1])
    # The bootstrap value of batch 0 is the value of batch 1's first observation.
    assert torch.allclose(bootstrap_value, samples.agent.agent_info.value[0])
    sampler.shutdown()


def test_episodes_reset_mid_batch_and_are_recorded():
    sampler, _ = make_sampler()
    completed = []
    for itr in range(10):
        samples, traj_infos = sampler.obtain_samples(itr)
        completed += traj_infos
        done = samples.env.done
        # After a done, the next observation is a fresh reset: CartPole starts within +-0.05.
        t, b = torch.nonzero(done[:-1], as_tuple=True)
        assert (samples.env.observation[t + 1, b].abs() <= 0.05).all()
    assert completed
    for info in completed:
        fields = info.fields()
        assert fields["Length"] == fields["Return"] == fields["NonzeroRewards"]
        assert np.isclose(fields["DiscountedReturn"], (1 - 0.9 ** fields["Length"]) / (1 - 0.9))
    sampler.shutdown()


def test_same_seed_same_samples_and_different_seed_differs():
    def collect(seed):
        sampler, _ = make_sampler(seed)
        out = [sampler.obtain_samples(itr)[0].env.observation.clone() for itr in range(3)]
        sampler.shutdown()
        return torch.stack(out)

    first = collect(5)
    assert torch.equal(first, collect(5))
    assert not torch.equal(first, collect(6))


def test_envs_are_decorrelated():
    sampler, _ = make_sampler()
    samples, _ = sampler.obtain_samples(0)
    first_obs = samples.env.observation[0]
    assert len({tuple(row.tolist()) for row in first_obs}) == B
    sampler.shutdown()


def test_evaluation_collects_whole_episodes():
    sampler, agent = make_sampler(eval_n_envs=2, eval_max_trajectories=3)
    agent.eval_mode(0)
    traj_infos = sampler.evaluate_agent(0)
    assert 3 <= len(traj_infos) <= 4  # stops at 3; both envs may finish on the same step
    assert all(info.Length >= 8 for info in traj_infos)
    sampler.shutdown()
