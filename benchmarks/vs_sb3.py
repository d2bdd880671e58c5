"""rlboard's engine against stable-baselines3 on identical settings: wall time and final return.

Cases (issue 4): PPO CartPole-v1 100k steps, A2C CartPole-v1 100k, DQN CartPole-v1 50k, SAC
Pendulum-v1 20k. Each case states its hyperparameters once and builds both libraries' agents
from them: the same number of envs and steps per rollout, network sizes and activations,
optimiser and learning rate (with the same linear annealing), discount, GAE lambda, epochs,
minibatch size, replay size, learning start, updates per step, target updates and exploration
schedule. Both run in this process with one torch thread on the CPU, alternating which goes
first in each repetition.

Wall time is training only: rlboard's offline evaluations are timed and subtracted. The final
return is the mean over 10 evaluation episodes of the trained policy: sampled actions for
PPO/A2C (both libraries' stochastic policy), greedy for DQN (rlboard's eps_eval 0.001 vs
SB3's deterministic argmax) and the mean action for SAC. Final returns vary widely across
seeds (DQN's, in either library, from 108 to 467 over seeds 0-11), so a second table gives each
seed's return and the probability that a seed of rlboard ends above a seed of SB3, with its 95%
bootstrap interval (rliable's comparison, ``backend.services.stats``): an interval holding 0.5
means the runs cannot tell the two libraries apart.

    .venv/bin/python -m benchmarks.vs_sb3 [--repeats 1] [--cases PPO SAC] [--seed 0]

Needs the ``bench`` extra (``pip install -e .[bench]``) for stable-baselines3.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import torch
from stable_baselines3 import A2C, DQN, PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm as Sb3Algorithm
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from torch import nn

from backend.services.stats import probability_of_improvement, probability_of_improvement_ci
from engine.build import build_runner
from engine.spec import ExperimentSpec

EVAL_EPISODES = 10


@dataclass(frozen=True)
class Case:
    name: str
    env_id: str
    n_steps: int
    spec: dict[str, Any]  # rlboard's spec (without seeds)
    sb3: Callable[[gymnasium.Env, int], Sb3Algorithm]  # (vec env, seed) -> SB3 model
    sb3_deterministic: bool


def linear(initial: float) -> Callable[[float], float]:
    """SB3 schedule annealing to 0 over the run, as rlboard's ``linear_lr_schedule``."""
    return lambda progress_remaining: initial * progress_remaining


# PPO: rl-zoo's tuned CartPole settings (examples/ppo_cartpole.yaml): T32 x B8, full-batch
# updates for 20 epochs, learning rate and clip annealed linearly.
PPO_HP = dict(T=32, B=8, lr=2e-3, gamma=0.98, gae=0.8, epochs=20, minibatches=1, clip=0.1,
              ent=0.0, vf=0.5, max_grad=0.5)
PPO_CASE = Case(
    "PPO CartPole-v1",
    "CartPole-v1",
    100_000,
    spec=dict(
        env={"id": "CartPole-v1"},
        algo={"name": "PPO", "params": dict(
            discount=PPO_HP["gamma"], learning_rate=PPO_HP["lr"], value_loss_coeff=PPO_HP["vf"],
            entropy_loss_coeff=PPO_HP["ent"], clip_grad_norm=PPO_HP["max_grad"],
            gae_lambda=PPO_HP["gae"], minibatches=PPO_HP["minibatches"],
            epochs=PPO_HP["epochs"], ratio_clip=PPO_HP["clip"], linear_lr_schedule=True,
            normalize_advantage=True)},
        model={"hidden_sizes": [64, 64], "nonlinearity": "tanh"},
        sampler={"kind": "serial", "batch_T": PPO_HP["T"], "batch_B": PPO_HP["B"]},
    ),
    sb3=lambda env, seed: PPO(
        "MlpPolicy", env, learning_rate=linear(PPO_HP["lr"]), n_steps=PPO_HP["T"],
        batch_size=PPO_HP["T"] * PPO_HP["B"] // PPO_HP["minibatches"], n_epochs=PPO_HP["epochs"],
        gamma=PPO_HP["gamma"], gae_lambda=PPO_HP["gae"], clip_range=linear(PPO_HP["clip"]),
        ent_coef=PPO_HP["ent"], vf_coef=PPO_HP["vf"], max_grad_norm=PPO_HP["max_grad"],
        normalize_advantage=True, seed=seed, device="cpu",
        policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=nn.Tanh),
    ),
    sb3_deterministic=False,
)

# A2C: the cartpole_a2c preset's settings (rlpyt's A2C defaults with rl-zoo's CartPole T5 x B8
# and no entropy bonus). Adam on both sides: SB3's default is RMSprop.
A2C_HP = dict(T=5, B=8, lr=1e-3, gamma=0.99, gae=1.0, ent=0.0, vf=0.5, max_grad=1.0)
A2C_CASE = Case(
    "A2C CartPole-v1",
    "CartPole-v1",
    100_000,
    spec=dict(
        env={"id": "CartPole-v1"},
        algo={"name": "A2C", "params": dict(
            discount=A2C_HP["gamma"], learning_rate=A2C_HP["lr"], value_loss_coeff=A2C_HP["vf"],
            entropy_loss_coeff=A2C_HP["ent"], clip_grad_norm=A2C_HP["max_grad"],
            gae_lambda=A2C_HP["gae"])},
        model={"hidden_sizes": [64, 64], "nonlinearity": "tanh"},
        sampler={"kind": "serial", "batch_T": A2C_HP["T"], "batch_B": A2C_HP["B"]},
    ),
    sb3=lambda env, seed: A2C(
        "MlpPolicy", env, learning_rate=A2C_HP["lr"], n_steps=A2C_HP["T"], gamma=A2C_HP["gamma"],
        gae_lambda=A2C_HP["gae"], ent_coef=A2C_HP["ent"], vf_coef=A2C_HP["vf"],
        max_grad_norm=A2C_HP["max_grad"], use_rms_prop=False, seed=seed, device="cpu",
        policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=nn.Tanh,
                           optimizer_class=torch.optim.Adam),
    ),
    sb3_deterministic=False,
)

# SAC: the pendulum_sac preset's settings (one update of 256 per two env steps, [64, 64] relu
# networks, learning rate 1e-3 for every optimiser, learning from 1k steps, automatic entropy).
SAC_HP = dict(T=2, lr=1e-3, batch=256, starts=1_000, buffer=100_000, hidden=[64, 64])
SAC_CASE = Case(
    "SAC Pendulum-v1",
    "Pendulum-v1",
    20_000,
    spec=dict(
        env={"id": "Pendulum-v1"},
        algo={"name": "SAC", "params": dict(
            batch_size=SAC_HP["batch"], replay_ratio=SAC_HP["batch"] // SAC_HP["T"],
            learning_rate=SAC_HP["lr"], min_steps_learn=SAC_HP["starts"],
            replay_size=SAC_HP["buffer"])},
        model={"hidden_sizes": SAC_HP["hidden"], "nonlinearity": "relu"},
        sampler={"kind": "serial", "batch_T": SAC_HP["T"], "batch_B": 1,
                 "max_decorrelation_steps": 0},
    ),
    sb3=lambda env, seed: SAC(
        "MlpPolicy", env, learning_rate=SAC_HP["lr"], buffer_size=SAC_HP["buffer"],
        learning_starts=SAC_HP["starts"], batch_size=SAC_HP["batch"], tau=0.005, gamma=0.99,
        train_freq=SAC_HP["T"], gradient_steps=1, ent_coef="auto", seed=seed, device="cpu",
        policy_kwargs=dict(net_arch=SAC_HP["hidden"], activation_fn=nn.ReLU),
    ),
    sb3_deterministic=True,
)

# DQN: the cartpole_dqn preset's settings without the parts SB3 lacks (double, dueling,
# prioritized): T8 x B4 with 4 updates of 64 per batch (replay_ratio 8), 3-step returns,
# target copy every 100 updates (= 800 env steps, SB3's unit), epsilon 1 -> 0.01 over 10k
# steps, Adam with rlpyt's eps 0.01 / batch_size on both sides, Huber loss, clip 10.
DQN_HP = dict(T=8, B=4, batch=64, lr=1e-3, starts=1_000, buffer=50_000, n_step=3,
              target_updates=100, eps_steps=10_000, n_steps=50_000)
DQN_UPDATES_PER_ITR = 8 * DQN_HP["T"] * DQN_HP["B"] // DQN_HP["batch"]
DQN_CASE = Case(
    "DQN CartPole-v1",
    "CartPole-v1",
    DQN_HP["n_steps"],
    spec=dict(
        env={"id": "CartPole-v1"},
        algo={"name": "DQN", "params": dict(
            discount=0.99, batch_size=DQN_HP["batch"], min_steps_learn=DQN_HP["starts"],
            replay_size=DQN_HP["buffer"], replay_ratio=8,
            target_update_interval=DQN_HP["target_updates"], n_step_return=DQN_HP["n_step"],
            learning_rate=DQN_HP["lr"], eps_steps=DQN_HP["eps_steps"], double_dqn=False,
            prioritized_replay=False)},
        model={"hidden_sizes": [64, 64], "nonlinearity": "relu"},
        sampler={"kind": "serial", "batch_T": DQN_HP["T"], "batch_B": DQN_HP["B"]},
    ),
    sb3=lambda env, seed: DQN(
        "MlpPolicy", env, learning_rate=DQN_HP["lr"], buffer_size=DQN_HP["buffer"],
        learning_starts=DQN_HP["starts"], batch_size=DQN_HP["batch"], gamma=0.99,
        train_freq=DQN_HP["T"], gradient_steps=DQN_UPDATES_PER_ITR, n_steps=DQN_HP["n_step"],
        target_update_interval=DQN_HP["target_updates"] // DQN_UPDATES_PER_ITR
        * DQN_HP["T"] * DQN_HP["B"],
        exploration_fraction=DQN_HP["eps_steps"] / DQN_HP["n_steps"],
        exploration_initial_eps=1.0, exploration_final_eps=0.01, max_grad_norm=10,
        seed=seed, device="cpu",
        policy_kwargs=dict(net_arch=[64, 64], activation_fn=nn.ReLU,
                           optimizer_kwargs=dict(eps=0.01 / DQN_HP["batch"])),
    ),
    sb3_deterministic=True,
)

CASES = [PPO_CASE, A2C_CASE, DQN_CASE, SAC_CASE]


def run_rlboard(case: Case, seed: int) -> tuple[float, float]:
    """Train in this process; ``(training seconds, final eval return)``."""
    spec = ExperimentSpec.model_validate({
        **case.spec,
        "name": case.name,
        "runner": {"kind": "minibatch_eval", "n_steps": case.n_steps,
                   "log_interval_steps": case.n_steps},
        "sampler": {**case.spec["sampler"], "eval_n_envs": 1, "eval_max_steps": 100_000,
                    "eval_max_trajectories": EVAL_EPISODES},
        "device": "cpu",
        "seeds": [seed],
    })
    with tempfile.TemporaryDirectory() as out:
        runner = build_runner(spec, seed, out)
        evaluate, eval_seconds = runner.evaluate, [0.0]

        def timed_evaluate(itr: int) -> dict[str, float]:
            start = time.perf_counter()
            row = evaluate(itr)
            eval_seconds[0] += time.perf_counter() - start
            return row

        runner.evaluate = timed_evaluate  # type: ignore[method-assign]
        start = time.perf_counter()
        summary = runner.train()
        seconds = time.perf_counter() - start - eval_seconds[0]
    return seconds, summary["eval_return_mean"]


def run_sb3(case: Case, seed: int) -> tuple[float, float]:
    """Train in this process; ``(training seconds, final eval return)``."""
    n_envs = case.spec["sampler"]["batch_B"]
    env = make_vec_env(case.env_id, n_envs=n_envs, seed=seed)
    model = case.sb3(env, seed)
    start = time.perf_counter()
    model.learn(total_timesteps=case.n_steps)
    seconds = time.perf_counter() - start
    eval_env = make_vec_env(case.env_id, n_envs=1, seed=seed + 1_000)
    mean_return, _ = evaluate_policy(
        model, eval_env, n_eval_episodes=EVAL_EPISODES, deterministic=case.sb3_deterministic
    )
    return seconds, float(mean_return)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each library per case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", nargs="*", help="substrings of case names to run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    # A process's first optimiser imports torch._dynamo (about 1.5 s), which would land in the
    # timed part of whichever library runs first: pay it here, outside both timers.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])

    print("| case | rlboard s | SB3 s | speed-up | rlboard return | SB3 return |")
    print("|---|---:|---:|---:|---:|---:|")
    final_returns: dict[str, dict[str, list[float]]] = {}  # case -> library -> per seed
    for case in CASES:
        if args.cases and not any(s in case.name for s in args.cases):
            continue
        times: dict[str, list[float]] = {"rlboard": [], "sb3": []}
        returns: dict[str, list[float]] = {"rlboard": [], "sb3": []}
        for repeat in range(args.repeats):
            order = [("rlboard", run_rlboard), ("sb3", run_sb3)]
            for name, run in order if repeat % 2 == 0 else order[::-1]:
                seconds, final = run(case, args.seed + repeat)
                times[name].append(seconds)
                returns[name].append(final)
        ours, theirs = np.median(times["rlboard"]), np.median(times["sb3"])
        print(f"| {case.name} {case.n_steps // 1000}k | {ours:.1f} | {theirs:.1f} | "
              f"{theirs / ours:.2f}x | {np.mean(returns['rlboard']):.1f} | "
              f"{np.mean(returns['sb3']):.1f} |")
        final_returns[case.name] = returns

    seeds = ", ".join(str(args.seed + repeat) for repeat in range(args.repeats))
    print(f"\nFinal returns of seeds {seeds}:\n")
    print("| case | rlboard | SB3 | P(rlboard > SB3) [95% CI] |")
    print("|---|---|---|---|")
    for name, returns in final_returns.items():
        ours, theirs = np.array(returns["rlboard"]), np.array(returns["sb3"])
        lower, upper = probability_of_improvement_ci([ours], [theirs])
        print(f"| {name} | {' '.join(f'{r:.0f}' for r in ours)} | "
              f"{' '.join(f'{r:.0f}' for r in theirs)} | "
              f"{float(probability_of_improvement(ours, theirs)):.2f} [{lower:.2f}, {upper:.2f}] |")
    print(f"\nload average {os.getloadavg()[0]:.1f}; torch threads 1; repeats {args.repeats}")


if __name__ == "__main__":
    main()
