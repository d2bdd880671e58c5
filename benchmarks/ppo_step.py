"""PPO's gradient step in rlboard, in SB3 and as plain PyTorch: what bounds a speed-up.

All three take gradient steps on one CartPole-v1 batch with ``benchmarks.vs_sb3``'s PPO settings
(T32 x B8 = 256 samples, full-batch, two [64, 64] tanh MLPs, Adam, gradient clip 0.5): rlboard's
``PPO.optimize_agent``, SB3's ``PPO.train`` and the same loss written out in a dozen lines of
plain PyTorch (per-tensor Adam and clip, nothing around them). When rlboard's step costs what
the plain loop costs, what is left is the networks' eager PyTorch ops themselves, and SB3's
time over rlboard's is the most the update can gain over SB3 without changing that math (for
example fusing the policy and value networks into batched matmuls).

    .venv/bin/python -m benchmarks.ppo_step [--updates 200]

Needs the ``bench`` extra (``pip install -e .[bench]``) for stable-baselines3.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from stable_baselines3.common.env_util import make_vec_env
from torch import nn

from benchmarks.vs_sb3 import PPO_CASE, PPO_HP
from engine.build import build_runner
from engine.spec import ExperimentSpec
from engine.utils.buffer import flatten_leading_dims

EPOCHS = PPO_HP["epochs"]  # gradient steps per update: one minibatch per epoch


def seconds_per_call(call: Callable[[], object], calls: int) -> float:
    call()  # warm-up
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def rlboard_update(spec: dict, out: str) -> tuple[Callable[[], object], dict[str, torch.Tensor]]:
    """rlboard's update on one sampled batch, and that batch's flat tensors (advantages
    normalised, as rlboard's ``process_returns`` gives them) for the plain loop."""
    runner = build_runner(ExperimentSpec.model_validate({**spec, "name": "ppo-step"}), 0, out)
    runner.startup()
    runner.agent.sample_mode(0)
    samples, _ = runner.sampler.obtain_samples(0)
    runner.agent.train_mode(0)
    algo = runner.algo
    return_, advantage, _ = algo.process_returns(samples)
    batch = dict(
        observation=samples.env.observation,
        action=samples.agent.action,
        old_logits=samples.agent.agent_info.dist_info.logits,
        return_=return_,
        advantage=advantage,
    )
    flat = {key: flatten_leading_dims(value) for key, value in batch.items()}
    return (lambda: algo.optimize_agent(0, samples)), flat


def plain_loss(
    pi: nn.Module,
    value: nn.Module,
    observation: torch.Tensor,
    action: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantage: torch.Tensor,
    return_: torch.Tensor,
) -> torch.Tensor:
    """PPO's clipped surrogate plus the weighted value loss, with ``PPO_HP``'s settings."""
    clip = PPO_HP["clip"]
    log_prob = F.log_softmax(pi(observation), -1).gather(1, action[:, None]).squeeze(1)
    ratio = torch.exp(log_prob - old_log_prob)
    surrogate = torch.min(ratio * advantage, ratio.clamp(1 - clip, 1 + clip) * advantage)
    value_loss = 0.5 * (value(observation).squeeze(-1) - return_).pow(2).mean()
    return -surrogate.mean() + PPO_HP["vf"] * value_loss


def plain_update(batch: dict[str, torch.Tensor]) -> Callable[[], None]:
    """The same PPO update as plain PyTorch: two MLPs, the clipped loss, backward, clip, Adam."""

    def mlp(out: int) -> nn.Module:
        return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                             nn.Linear(64, out))

    pi, value = mlp(2), mlp(1)
    params = [*pi.parameters(), *value.parameters()]
    optimizer = torch.optim.Adam(params, lr=PPO_HP["lr"])
    obs, action, advantage, return_ = (batch[k] for k in ("observation", "action", "advantage",
                                                          "return_"))
    old_log_prob = F.log_softmax(batch["old_logits"], -1).gather(1, action[:, None]).squeeze(1)

    def update() -> None:
        for _ in range(EPOCHS):
            loss = plain_loss(pi, value, obs, action, old_log_prob, advantage, return_)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, PPO_HP["max_grad"])
            optimizer.step()

    return update


def sb3_update() -> Callable[[], None]:
    """SB3's ``train`` (EPOCHS gradient steps) on one collected rollout."""
    env = make_vec_env("CartPole-v1", n_envs=PPO_HP["B"], seed=0)
    model = PPO_CASE.sb3(env, 0)
    model.learn(total_timesteps=PPO_HP["T"] * PPO_HP["B"])  # one rollout and one update
    return model.train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200, help="updates timed per library")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    spec = {**PPO_CASE.spec, "runner": {"n_steps": 100_000}, "device": "cpu", "seeds": [0]}
    with tempfile.TemporaryDirectory() as out:
        rlboard, batch = rlboard_update(spec, out)
        timings = {
            "plain PyTorch": seconds_per_call(plain_update(batch), args.updates),
            "rlboard": seconds_per_call(rlboard, args.updates),
            "stable-baselines3": seconds_per_call(sb3_update(), args.updates),
        }
    plain = timings["plain PyTorch"]
    print(f"PPO gradient step, CartPole-v1 batch of {PPO_HP['T'] * PPO_HP['B']}, one torch "
          f"thread, {args.updates} updates of {EPOCHS} steps each\n")
    print("| implementation | ms per gradient step | / plain PyTorch |")
    print("|---|---:|---:|")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds / EPOCHS * 1e3:.3f} | {seconds / plain:.2f}x |")


if __name__ == "__main__":
    main()
