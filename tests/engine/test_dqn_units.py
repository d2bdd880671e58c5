"""DQN family parts against hand-computed numbers: C51 projection, TD loss (double, Huber,
time-limit mask), Polyak update, epsilon schedule, dueling head; and an exact resume."""

from __future__ import annotations

import copy
import json
import shutil

import gymnasium
import numpy as np
import pytest
import torch
import yaml
from torch import nn

from engine.agents.base import AgentInputs
from engine.agents.dqn import CatDqnAgent, DqnAgent
from engine.algos.dqn import DQN, CategoricalDQN
from engine.algos.dqn.cat_dqn import project_distribution
from engine.checkpoint import CHECKPOINT_NAME
from engine.cli import main
from engine.distributions.epsilon_greedy import EpsilonGreedy
from engine.envs.base import EnvSpaces
from engine.models.dqn.dqn import DqnModel
from engine.models.dqn.dueling import DuelingHeadModel
from engine.models.utils import set_training, update_target_model
from engine.replays import SamplesFromReplayTL
from engine.samplers.collections import BatchSpec
from engine.spec import load_spec


def test_c51_projection_by_hand():
    z = torch.tensor([0.0, 1.0, 2.0])
    target_p = torch.tensor([[0.2, 0.5, 0.3]] * 3)
    return_ = torch.tensor([0.5, 3.0, -1.0])
    next_discount = torch.tensor([0.5, 0.0, 1.0])
    projected = project_distribution(target_p, return_, next_discount, z)
    # row 0: atoms move to 0.5, 1.0, 1.5: 0.2 splits 0.1/0.1, 0.5 stays on 1, 0.3 splits
    # 0.15/0.15. Row 1: done, return 3 clipped to V_max. Row 2: atoms -1, 0, 1, clipped to 0.
    expected = torch.tensor([[0.1, 0.75, 0.15], [0.0, 0.0, 1.0], [0.7, 0.3, 0.0]])
    torch.testing.assert_close(projected, expected)
    torch.testing.assert_close(projected.sum(-1), torch.ones(3))


SPACES = EnvSpaces(
    observation=gymnasium.spaces.Box(-1, 1, (3,), np.float32), action=gymnasium.spaces.Discrete(2)
)


def linear_q_agent(online_bias, target_bias, **agent_kwargs):
    """A DqnAgent whose Q is its output bias (weights zero): Q(s, .) = bias."""
    agent = DqnAgent(ModelCls=DqnModel, model_kwargs=dict(hidden_sizes=[]), **agent_kwargs)
    agent.initialize(SPACES)
    for model, bias in ((agent.model, online_bias), (agent.target_model, target_bias)):
        linear = model.head.model[0]
        nn.init.zeros_(linear.weight)
        linear.bias.data[:] = torch.tensor(bias)
    return agent


def replay_batch(timeout_n):
    obs = AgentInputs(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), torch.zeros(2))
    return SamplesFromReplayTL(
        agent_inputs=obs,
        action=torch.tensor([0, 1]),
        return_=torch.tensor([1.0, 1.0]),
        done=torch.zeros(2),
        done_n=torch.tensor([0.0, 1.0]),
        target_inputs=obs,
        timeout_n=torch.tensor(timeout_n),
    )


@pytest.mark.parametrize("double_dqn", [False, True])
def test_dqn_loss_by_hand(double_dqn):
    algo = DQN(discount=0.5, double_dqn=double_dqn, delta_clip=1.0)
    algo.agent = linear_q_agent([1.0, 2.0], [5.0, 3.0])
    # q = [Q(s,0), Q(s,1)] = [1, 2]. Target: max of target net = 5; double: the online argmax
    # (action 1) evaluated by the target net = 3. Sample 1 is done: y = return = 1.
    y0 = 1 + 0.5 * (3.0 if double_dqn else 5.0)
    delta = torch.tensor([y0 - 1.0, 1.0 - 2.0])
    huber = torch.where(delta.abs() <= 1, 0.5 * delta**2, delta.abs() - 0.5)
    loss, priorities, stats = algo.loss(replay_batch([0.0, 0.0]))
    torch.testing.assert_close(loss, huber.mean())
    torch.testing.assert_close(priorities, delta.abs().clamp(max=1.0))
    # A time-limit cut in sample 0's window: it leaves the loss, its priority is 0.
    loss, priorities, _ = algo.loss(replay_batch([1.0, 0.0]))
    torch.testing.assert_close(loss, huber[1])
    torch.testing.assert_close(priorities, torch.tensor([0.0, 1.0]))


def test_polyak_update():
    torch.manual_seed(0)
    target, online = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), nn.Sequential(
        nn.Linear(3, 2), nn.BatchNorm1d(2)
    )
    online(torch.randn(4, 3))  # running statistics and the integer batch counter move
    before = {k: v.clone() for k, v in target.state_dict().items()}
    update_target_model(target, online, tau=0.25)
    for k, v in target.state_dict().items():
        if v.is_floating_point():
            torch.testing.assert_close(v, 0.75 * before[k] + 0.25 * online.state_dict()[k])
        else:  # counters are copied, not averaged
            assert torch.equal(v, online.state_dict()[k])
    assert target[1].num_batches_tracked.item() == 1
    # Hard copy.
    update_target_model(target, online, 1.0)
    for k, v in target.state_dict().items():
        assert torch.equal(v, online.state_dict()[k])
    with pytest.raises(ValueError, match="differ"):
        update_target_model(nn.Linear(3, 2), nn.Linear(3, 4))


def test_polyak_update_moves_a_shared_module_once():
    """A layer used twice (tied weights) is one set of tensors: one step of tau, not two."""
    layer = nn.Linear(2, 2)
    online = nn.Sequential(layer, nn.Tanh(), layer)
    target = copy.deepcopy(online)  # keeps the sharing
    with torch.no_grad():
        for p in target.parameters():
            p.zero_()
        for p in online.parameters():
            p.fill_(1.0)
    update_target_model(target, online, tau=0.5)
    for p in target.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 0.5))


def test_set_training_reaches_every_submodule():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sequential(nn.Dropout(0.5), nn.LSTM(2, 2)))
    set_training([model], False)
    assert not any(m.training for m in model.modules())
    set_training([model, nn.Linear(1, 1)], True)
    assert all(m.training for m in model.modules())


def test_epsilon_schedule_and_sampling():
    agent = linear_q_agent([0.0, 1.0], [0.0, 1.0], eps_itr_min=10, eps_itr_max=20)
    for itr, eps in [(0, 1.0), (10, 1.0), (15, 0.505), (20, 0.01), (99, 0.01)]:
        agent.sample_mode(itr)
        assert agent.distribution.epsilon == pytest.approx(eps)
    agent.eval_mode(0)
    assert agent.distribution.epsilon == 1.0  # rlpyt's random-policy baseline at itr 0
    agent.eval_mode(5)
    assert agent.distribution.epsilon == 0.001
    torch.manual_seed(0)
    dist = EpsilonGreedy(dim=4, epsilon=0.4)
    q = torch.tensor([0.0, 0.0, 3.0, 0.0]).repeat(40_000, 1)
    greedy = (dist.sample(q) == 2).float().mean().item()
    assert greedy == pytest.approx(0.6 + 0.4 / 4, abs=0.01)


def test_dueling_head_and_grad_scale():
    torch.manual_seed(0)
    head = DuelingHeadModel(5, [8], 3)
    x = torch.randn(4, 5, requires_grad=True)
    q = head(x)
    advantage = head.advantage_out(head.advantage_hidden(x)) + head.advantage_bias
    torch.testing.assert_close(q.mean(-1), head.value(x).squeeze(-1))  # mean(A - mean A) = 0
    torch.testing.assert_close(q - q.mean(-1, keepdim=True), advantage - advantage.mean(-1, True))
    q.sum().backward()
    scaled = x.grad.clone()
    x.grad = None
    head.grad_scale = 1.0
    head(x).sum().backward()
    torch.testing.assert_close(scaled, x.grad * 2**-0.5)


def test_categorical_dqn_loss_is_cross_entropy_to_the_projection():
    torch.manual_seed(0)
    agent = CatDqnAgent(ModelCls=DqnModel, model_kwargs=dict(hidden_sizes=[8]), n_atoms=5,
                        V_min=0.0, V_max=4.0)
    agent.initialize(SPACES)
    algo = CategoricalDQN(V_min=0.0, V_max=4.0, discount=0.5)
    algo.agent, algo.z = agent, torch.linspace(0, 4, 5)
    batch = replay_batch([0.0, 0.0])
    obs = batch.agent_inputs.observation
    batch = batch._replace(agent_inputs=batch.agent_inputs._replace(observation=obs + 0.3))
    loss, priorities, _ = algo.loss(batch)
    p = torch.softmax(agent.model(*batch.agent_inputs), -1)[torch.arange(2), batch.action]
    target_ps = torch.softmax(agent.target_model(*batch.target_inputs), -1)
    next_a = (target_ps * algo.z).sum(-1).argmax(-1)
    target_p = project_distribution(
        target_ps[torch.arange(2), next_a], batch.return_, (1 - batch.done_n) * 0.5, algo.z
    )
    torch.testing.assert_close(loss, -(target_p * p.log()).sum(-1).mean())
    kl = (target_p * (target_p.clamp(min=1e-6).log() - p.log())).sum(-1)
    torch.testing.assert_close(priorities, kl.clamp(min=1e-6), atol=1e-5, rtol=1e-4)


def test_agent_epsilon_schedule_must_match_the_algorithm():
    agent = linear_q_agent([0.0, 1.0], [0.0, 1.0], eps_itr_min=3, eps_itr_max=7)
    algo = DQN(min_steps_learn=100, eps_steps=1000)  # with 10 steps per itr: 10 and 100
    examples = dict(observation=np.zeros(3, np.float32), action=np.int64(0),
                    reward=np.float32(0), done=False, env_info=None)
    with pytest.raises(ValueError, match="epsilon schedule"):
        algo.initialize(agent, 10, BatchSpec(5, 2), True, examples)


def read_metrics(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("algo_name", ["DQN", "CategoricalDQN"])
def test_resumed_run_continues_identically(tmp_path, algo_name):
    """Serial CartPole, prioritized 3-step double dueling: a run resumed from a checkpoint in
    the middle of learning (replay half full, epsilon and beta mid-schedule) logs the values of
    the uninterrupted run."""
    spec = load_spec("preset:cartpole_dqn").model_dump(mode="json")
    spec["algo"]["name"] = algo_name
    spec["algo"]["params"].update(
        min_steps_learn=256, eps_steps=2048, replay_size=2048, pri_beta_steps=4096,
        target_update_interval=20,
    )
    spec["runner"] = dict(kind="minibatch_eval", n_steps=3072, log_interval_steps=512,
                          checkpoint_keep_interval_steps=1024)
    spec["sampler"].update(eval_max_trajectories=2, eval_max_steps=400)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    full, out = tmp_path / "full", tmp_path / "out"
    assert main(["train", str(path), "--seed", "5", "--out", str(full)]) == 0
    shutil.copytree(full, out)
    (out / "summary.json").unlink()
    shutil.copyfile(out / "checkpoints" / "checkpoint_1024.pt", out / CHECKPOINT_NAME)
    assert main(["train", str(path), "--seed", "5", "--out", str(out), "--resume"]) == 0
    records, expected = read_metrics(out), read_metrics(full)
    assert [r["step"] for r in records] == [r["step"] for r in expected]
    timing = {"steps_per_second", "updates_per_second"}
    for record, reference in zip(records, expected):
        metrics = {k: v for k, v in record["metrics"].items() if k not in timing}
        assert metrics == {k: v for k, v in reference["metrics"].items() if k not in timing}
    assert "loss" in expected[-1]["metrics"] and "pri_beta" in expected[-1]["metrics"]
