"""The most any eager-PyTorch library can gain over SB3 on ``benchmarks.vs_sb3``'s cases.

A lower bound on the training time of each case, as if the library cost nothing but its
arithmetic: the case's gradient updates as a bare PyTorch loop with autograd, built from the
fastest pieces measured (rlboard's MLP, which calls its layers as functions, and its flat
parameters with fused Adam), on random data of the right shapes, with no replay or rollout
bookkeeping and no diagnostics; each sampler step as one bare policy forward and action draw;
the env steps at ``benchmarks.sampler_throughput``'s raw rate (the same envs, random actions).
``SB3 s / floor s`` ("bound") is then the largest speed-up over SB3 that the case's math
allows in eager PyTorch on this machine; the table sets it beside rlboard's measured speed-up
and issue 4's target. "updates" counts calls of the floor's update: a PPO call is one
rollout's 20 epochs of full-batch gradient steps. Only gradients written out by hand (no
autograd) or compiled code could go below the floor. The pieces are timed in tight loops, with
hot caches: inside a real training loop the same calls run slower (rlboard's DQN sampler step,
replay sample and loss by 40%), so the bound is optimistic.

    .venv/bin/python -m benchmarks.eager_floor [--cases PPO] [--seed 0]

Needs the ``bench`` extra (``pip install -e .[bench]``) for stable-baselines3.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.ppo_step import plain_loss as ppo_loss
from benchmarks.ppo_step import seconds_per_call
from benchmarks.sampler_throughput import raw_rate
from benchmarks.vs_sb3 import (
    A2C_CASE,
    A2C_HP,
    DQN_CASE,
    DQN_HP,
    DQN_UPDATES_PER_ITR,
    PPO_CASE,
    PPO_HP,
    SAC_CASE,
    SAC_HP,
    Case,
    run_rlboard,
    run_sb3,
)
from engine.algos.qpg.base import frozen
from engine.models.mlp import MlpModel
from engine.optim import FlatParameters, make_optimizer


@dataclass(frozen=True)
class Floor:
    case: Case
    target: float  # issue 4's speed-up over SB3
    updates: int  # calls of ``update``
    update: Callable[[], object]
    act: Callable[[], object]  # one sampler step: a forward on B observations and a draw


def mlp(inputs: int, outputs: int, activation: type[nn.Module]) -> nn.Module:
    """A [64, 64] MLP as rlboard builds it: its layers called as functions, which on these
    batches is faster than ``nn.Sequential`` (``engine.models.mlp``)."""
    return MlpModel(inputs, [64, 64], outputs, activation)


def gradient_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, flat: FlatParameters, max_norm: float
) -> None:
    flat.zero_grad()
    loss.backward()
    flat.clip_grad_norm_(max_norm)
    optimizer.step()


def categorical_act(n_envs: int) -> Callable[[], torch.Tensor]:
    """PPO's and A2C's sampler step: policy and value MLPs, a categorical draw."""
    pi, value = mlp(4, 2, nn.Tanh), mlp(4, 1, nn.Tanh)
    observation = torch.randn(n_envs, 4)

    @torch.no_grad()
    def act() -> torch.Tensor:
        value(observation)
        return torch.multinomial(F.softmax(pi(observation), -1), 1)

    return act


def ppo_floor() -> Floor:
    n = PPO_HP["T"] * PPO_HP["B"]
    pi, value = mlp(4, 2, nn.Tanh), mlp(4, 1, nn.Tanh)
    optimizer, flat = make_optimizer(
        torch.optim.Adam, [*pi.parameters(), *value.parameters()], PPO_HP["lr"]
    )
    batch = (torch.randn(n, 4), torch.randint(0, 2, (n,)), torch.randn(n) - 0.7, torch.randn(n),
             torch.randn(n))  # observation, action, old_log_prob, advantage, return_

    def update() -> None:
        """One rollout's epochs of full-batch gradient steps."""
        for _ in range(PPO_HP["epochs"]):
            gradient_step(ppo_loss(pi, value, *batch), optimizer, flat, PPO_HP["max_grad"])

    return Floor(PPO_CASE, 3.0, PPO_CASE.n_steps // n, update, categorical_act(PPO_HP["B"]))


def a2c_floor() -> Floor:
    n = A2C_HP["T"] * A2C_HP["B"]
    pi, value = mlp(4, 2, nn.Tanh), mlp(4, 1, nn.Tanh)
    optimizer, flat = make_optimizer(
        torch.optim.Adam, [*pi.parameters(), *value.parameters()], A2C_HP["lr"]
    )
    observation, action, return_ = torch.randn(n, 4), torch.randint(0, 2, (n,)), torch.randn(n)

    def update() -> None:
        log_prob = F.log_softmax(pi(observation), -1).gather(1, action[:, None]).squeeze(1)
        v = value(observation).squeeze(-1)
        advantage = (return_ - v).detach()
        loss = -(log_prob * advantage).mean() + A2C_HP["vf"] * 0.5 * (return_ - v).pow(2).mean()
        gradient_step(loss, optimizer, flat, A2C_HP["max_grad"])

    return Floor(A2C_CASE, 3.0, A2C_CASE.n_steps // n, update, categorical_act(A2C_HP["B"]))


def dqn_floor() -> Floor:
    """Uniform replay of precomputed n-step returns: an update indexes five arrays."""
    q = mlp(4, 2, nn.ReLU)
    target_q = copy.deepcopy(q)
    optimizer, flat = make_optimizer(
        torch.optim.Adam, q.parameters(), DQN_HP["lr"], eps=0.01 / DQN_HP["batch"]
    )
    size, batch_size = DQN_HP["buffer"], DQN_HP["batch"]
    observation, next_observation = torch.randn(size, 4), torch.randn(size, 4)
    action, return_, done = torch.randint(0, 2, (size,)), torch.randn(size), torch.zeros(size)
    discount = 0.99 ** DQN_HP["n_step"]

    def update() -> None:
        i = torch.randint(0, size, (batch_size,))
        with torch.no_grad():
            y = return_[i] + (1 - done[i]) * discount * target_q(next_observation[i]).amax(-1)
        q_a = q(observation[i]).gather(1, action[i, None]).squeeze(1)
        gradient_step(F.huber_loss(q_a, y), optimizer, flat, 10)

    sampler_steps = DQN_HP["T"] * DQN_HP["B"]
    updates = (DQN_CASE.n_steps // sampler_steps - DQN_HP["starts"] // sampler_steps) * (
        DQN_UPDATES_PER_ITR)
    observations = torch.randn(DQN_HP["B"], 4)
    act = torch.no_grad()(lambda: q(observations).argmax(-1))
    return Floor(DQN_CASE, 2.0, updates, update, act)


def sac_floor() -> Floor:
    """Twin Qs and their targets, a tanh Gaussian policy and a tuned alpha, trained by one
    backward pass of the summed losses (the policy's through frozen Qs) and one Adam step: of
    the forms measured, the fastest (CleanRL's three backward passes and optimisers: 20% slower)."""
    obs_size, action_size, batch_size = 3, 1, SAC_HP["batch"]
    pi = mlp(obs_size, 2 * action_size, nn.ReLU)
    q1, q2 = mlp(obs_size + action_size, 1, nn.ReLU), mlp(obs_size + action_size, 1, nn.ReLU)
    log_alpha = nn.Parameter(torch.zeros(1))
    # One Adam for every parameter: Adam is elementwise, so this is the four optimisers of
    # rlboard's SAC at one learning rate.
    parameters = [*pi.parameters(), *q1.parameters(), *q2.parameters(), log_alpha]
    optimizer, flat = make_optimizer(torch.optim.Adam, parameters, SAC_HP["lr"])
    target_q1, target_q2 = copy.deepcopy(q1), copy.deepcopy(q2)
    target_pairs = [(t.data, p.data) for target, online in ((target_q1, q1), (target_q2, q2))
                    for t, p in zip(target.parameters(), online.parameters())]
    observation, next_observation = torch.randn(batch_size, 3), torch.randn(batch_size, 3)
    action = torch.rand(batch_size, 1) * 2 - 1
    reward, done = torch.randn(batch_size), torch.zeros(batch_size)

    def sample(obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = pi(obs).chunk(2, -1)
        log_std = log_std.clamp(-20, 2)
        std = log_std.exp()
        u = mean + std * torch.randn_like(mean)
        log_prob = (-0.5 * ((u - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi))
        log_prob = log_prob - 2 * (math.log(2) - u - F.softplus(-2 * u))
        return torch.tanh(u), log_prob.sum(-1)

    def update() -> None:
        alpha = log_alpha.detach().exp()
        with torch.no_grad():
            next_action, next_log_prob = sample(next_observation)
            x = torch.cat([next_observation, next_action], -1)
            next_value = torch.min(target_q1(x), target_q2(x)).squeeze(-1) - alpha * next_log_prob
            y = reward + (1 - done) * 0.99 * next_value
        x = torch.cat([observation, action], -1)
        q_loss = 0.5 * ((q1(x).squeeze(-1) - y).pow(2).mean() + (q2(x).squeeze(-1) - y).pow(2)
                        .mean())
        new_action, log_prob = sample(observation)
        x = torch.cat([observation, new_action], -1)
        with frozen(q1, q2):
            new_q = torch.min(q1(x), q2(x)).squeeze(-1)
        pi_loss = (alpha * log_prob - new_q).mean()
        alpha_loss = -(log_alpha * (log_prob.detach() - action_size)).mean()
        flat.zero_grad()
        (q_loss + pi_loss + alpha_loss).backward()
        optimizer.step()
        with torch.no_grad():
            for t, p in target_pairs:
                t.lerp_(p, 0.005)

    one_observation = torch.randn(1, obs_size)
    act = torch.no_grad()(lambda: sample(one_observation)[0])
    updates = (SAC_CASE.n_steps - SAC_HP["starts"]) // SAC_HP["T"]
    return Floor(SAC_CASE, 2.0, updates, update, act)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", help="substrings of case names to run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # pay torch._dynamo's import here

    print("| case | env s | updates | floor s | rlboard s | SB3 s | bound | rlboard | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for make_floor in (ppo_floor, a2c_floor, dqn_floor, sac_floor):
        floor = make_floor()
        case = floor.case
        if args.cases and not any(s in case.name for s in args.cases):
            continue
        n_envs = case.spec["sampler"]["batch_B"]
        env = case.n_steps / raw_rate(case.env_id, n_envs, seconds=3.0)
        floor_seconds = (env + floor.updates * seconds_per_call(floor.update, 200)
                         + case.n_steps // n_envs * seconds_per_call(floor.act, 2_000))
        ours, _ = run_rlboard(case, args.seed)
        theirs, _ = run_sb3(case, args.seed)
        print(f"| {case.name} {case.n_steps // 1000}k | {env:.1f} | {floor.updates} | "
              f"{floor_seconds:.1f} | {ours:.1f} | {theirs:.1f} | "
              f"{theirs / floor_seconds:.2f}x | {theirs / ours:.2f}x | {floor.target:.0f}x |")
    print(f"\nbound: SB3 s / floor s; rlboard: SB3 s / rlboard s; torch threads "
          f"{torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
