"""DDPG / TD3 / SAC building blocks: target updates, the squashed policy's log-likelihood, TD3's
target smoothing, exploration schedules, and how the builder wires the family together."""

import pickle

import gymnasium
import numpy as np
import pytest
import torch

from engine.agents.qpg import DdpgAgent, SacAgent, Td3Agent
from engine.algos.qpg import SAC, TD3
from engine.build.qpg import build_agent_and_algo
from engine.distributions.gaussian import DistInfo
from engine.envs.base import EnvSpaces
from engine.samplers.collections import BatchSpec
from engine.spec import ExperimentSpec

OBS = gymnasium.spaces.Box(-1.0, 1.0, (3,), np.float32)
ACTION = gymnasium.spaces.Box(-2.0, 2.0, (2,), np.float32)
SPACES = EnvSpaces(observation=OBS, action=ACTION)
SMALL = dict(hidden_sizes=[16, 16])


def make_agent(Cls, **kwargs):
    torch.manual_seed(0)
    agent = Cls(model_kwargs=SMALL, q_model_kwargs=SMALL, **kwargs)
    agent.initialize(SPACES)
    return agent


def examples():
    return dict(
        observation=np.zeros(3, np.float32),
        action=torch.zeros(2),
        reward=np.float32(0),
        done=False,
        env_info=type("EnvInfo", (), {"timeout": False})(),
    )


@pytest.mark.parametrize("Cls", [DdpgAgent, Td3Agent, SacAgent])
def test_polyak_update_moves_each_target_by_tau(Cls):
    agent = make_agent(Cls)
    with torch.no_grad():  # make online and target differ
        for name in agent.model_names:
            for p in getattr(agent, name).parameters():
                p.add_(torch.randn_like(p))
    before = {t: [p.clone() for p in getattr(agent, t).parameters()] for t, _ in agent.target_pairs}
    agent.update_target(tau=0.1)
    for target, online in agent.target_pairs:
        new = list(getattr(agent, target).parameters())
        for old_p, new_p, online_p in zip(before[target], new, getattr(agent, online).parameters()):
            torch.testing.assert_close(new_p, 0.9 * old_p + 0.1 * online_p)
            assert not torch.equal(new_p, online_p)
    agent.update_target(tau=1.0)
    for target, online in agent.target_pairs:
        for p, q in zip(getattr(agent, target).parameters(), getattr(agent, online).parameters()):
            assert torch.equal(p, q)
            assert not p.requires_grad  # targets are never trained


def test_sac_log_likelihood_is_the_squashed_gaussian_density():
    agent = make_agent(SacAgent)
    agent.train_mode(0)
    observation = torch.randn(64, 3)
    torch.manual_seed(1)
    action, log_pi, dist_info = agent.pi(observation, torch.zeros(64, 2), torch.zeros(64))

    # Directly: u ~ N(mean, std) with the same noise, a = 2 tanh(u), density by the change of
    # variables through torch.distributions.
    torch.manual_seed(1)
    std = dist_info.log_std.clamp(-20, 2).exp()
    u = dist_info.mean + std * torch.randn_like(dist_info.mean)
    torch.testing.assert_close(action, 2 * torch.tanh(u))
    squashed = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(dist_info.mean, std),
        [torch.distributions.TanhTransform(), torch.distributions.AffineTransform(0.0, 2.0)],
    )
    expected = squashed.log_prob(2 * torch.tanh(u)).sum(-1)
    torch.testing.assert_close(log_pi, expected, rtol=1e-4, atol=1e-4)
    assert log_pi.shape == (64,)

    # Score-function variant: the action carries no gradient, log_pi is the same density.
    torch.manual_seed(2)
    action, log_pi, dist_info = agent.pi(
        observation, torch.zeros(64, 2), torch.zeros(64), reparameterize=False
    )
    assert not action.requires_grad and log_pi.requires_grad
    u = torch.atanh(action.detach() / 2)
    expected = torch.distributions.Normal(dist_info.mean, std).log_prob(u).sum(-1) - torch.log(
        2 * (1 - torch.tanh(u) ** 2)
    ).sum(-1)
    torch.testing.assert_close(log_pi, expected, rtol=1e-3, atol=1e-3)


def test_td3_target_smoothing_noise_is_clipped_then_the_action():
    agent = make_agent(Td3Agent, target_noise_std=10.0, target_noise_clip=0.5)
    mean = torch.tensor([[0.0, 1.9]]).expand(10_000, 2)
    action = agent.target_distribution.sample(DistInfo(mean=mean))
    noise = action[:, 0]  # mean 0, far from the bound: the clipped noise itself
    assert noise.abs().max() == 0.5  # std 10: nearly every draw hits the clip
    assert action[:, 1].max() == 2.0 and action[:, 1].min() == 1.4  # bound, then noise clip

    # The target value is min(Q1', Q2') at the smoothed target action.
    observation = torch.randn(5, 3)
    inputs = (observation, torch.zeros(5, 2), torch.zeros(5))
    torch.manual_seed(3)
    target_q = agent.target_q_at_mu(*inputs)
    torch.manual_seed(3)
    smoothed = agent.target_distribution.sample(DistInfo(mean=agent.target_model(*inputs)))
    expected = torch.min(
        agent.target_q_model(*inputs, smoothed), agent.target_q2_model(*inputs, smoothed)
    )
    torch.testing.assert_close(target_q, expected)


def test_exploration_follows_itr_also_in_a_pickled_copy():
    agent = make_agent(Td3Agent, min_itr_learn=10, action_std=0.1, pretrain_std=0.5)
    copy = pickle.loads(pickle.dumps(agent))  # what a CPU sampler's worker holds
    for a in (agent, copy):
        a.sample_mode(9)
        assert a.distribution.std.item() == 0.5
        a.sample_mode(10)
        assert a.distribution.std.item() == pytest.approx(0.1)
        a.eval_mode(10)
        observation = torch.randn(4, 3)
        step = a.step(observation, torch.zeros(4, 2), torch.zeros(4))
        torch.testing.assert_close(step.action, a.model(observation, None, None))

    sac = make_agent(SacAgent, min_itr_learn=5)
    sac.sample_mode(4)
    assert sac.distribution.std.item() == 0.75
    sac.sample_mode(5)
    assert sac.distribution.std is None  # the policy's own std
    sac.eval_mode(5)
    observation = torch.randn(4, 3)
    mean, _ = sac.model(observation, None, None)
    action = sac.step(observation, torch.zeros(4, 2), torch.zeros(4)).action
    torch.testing.assert_close(action, 2 * torch.tanh(mean))


def test_td3_uses_its_mu_learning_rate():
    agent = make_agent(Td3Agent)
    algo = TD3(mu_learning_rate=2e-3, q_learning_rate=5e-4, replay_size=100, min_steps_learn=0)
    algo.initialize(agent, 10, BatchSpec(1, 1), True, examples())
    assert algo.mu_optimizer.param_groups[0]["lr"] == 2e-3
    assert algo.q_optimizer.param_groups[0]["lr"] == 5e-4
    # The Q optimiser covers both twins: its one flat parameter holds every Q weight.
    q_numel = sum(p.numel() for m in agent.q_models() for p in m.parameters())
    assert algo.q_flat.parameter.numel() == q_numel == 2 * sum(
        p.numel() for p in agent.q_model.parameters()
    )


def test_algorithm_and_agent_must_agree_on_min_itr_learn():
    agent = make_agent(SacAgent, min_itr_learn=3)
    with pytest.raises(ValueError, match="min_itr_learn"):
        SAC(min_steps_learn=1000, replay_size=100).initialize(
            agent, 10, BatchSpec(4, 2), True, examples()
        )


def spec(algo, env_id="Pendulum-v1", T=4, B=2, **params):
    return ExperimentSpec.model_validate(
        dict(
            env={"id": env_id},
            algo={"name": algo, "params": params},
            sampler={"batch_T": T, "batch_B": B},
        )
    )


@pytest.mark.parametrize(
    "algo, AgentCls, hidden",
    [("DDPG", DdpgAgent, [400, 300]), ("TD3", Td3Agent, [400, 300]), ("SAC", SacAgent, [256, 256])],
)
def test_builder_picks_agent_models_and_schedule(algo, AgentCls, hidden):
    agent, algorithm = build_agent_and_algo(spec(algo, min_steps_learn=1000), SPACES)
    assert type(agent) is AgentCls and type(algorithm).__name__ == algo
    assert agent.model_kwargs["hidden_sizes"] == hidden
    assert agent.model_kwargs["nonlinearity"] is torch.nn.ReLU
    assert agent.min_itr_learn == 1000 // 8
    agent.initialize(SPACES)
    algorithm.initialize(agent, 100, BatchSpec(4, 2), True, examples())
    assert algorithm.min_itr_learn == agent.min_itr_learn


def test_builder_rejects_discrete_and_asymmetric_action_spaces():
    cartpole = EnvSpaces(OBS, gymnasium.spaces.Discrete(2))
    with pytest.raises(TypeError, match="continuous \\(Box\\) action space.*Discrete"):
        build_agent_and_algo(spec("SAC", "CartPole-v1"), cartpole)
    lopsided = EnvSpaces(OBS, gymnasium.spaces.Box(0.0, 1.0, (2,), np.float32))
    with pytest.raises(ValueError, match="symmetric"):
        build_agent_and_algo(spec("DDPG"), lopsided)


def test_sac_fixed_alpha_and_auto_target_entropy():
    agent = make_agent(SacAgent)
    algo = SAC(fixed_alpha=0.2, replay_size=100, min_steps_learn=0)
    algo.initialize(agent, 10, BatchSpec(1, 1), True, examples())
    assert not algo.tune_alpha and algo._alpha.item() == pytest.approx(0.2)
    assert algo._target_entropy == -2.0  # auto: -(action dims)
    assert len(algo.optimizers()) == 3  # no alpha optimiser
