"""Sampler throughput: env steps per second of each sampler, as a ratio to raw gymnasium.

For each environment the reference is ``gymnasium.vector.SyncVectorEnv`` of plain
``gymnasium.make(id)`` with the same B and random actions, the physical limit of stepping B envs
in one process. The samplers step the engine's envs (``engine.envs.gym.make``): for ``ALE/``
ids that is ``AtariEnv``, whose frame skipping, max-pooling and resizing to 84x84 in numpy cost
more per step than plain ALE's built-in frame skip (gymnasium's ``AtariPreprocessing`` would be
the closer reference, but it needs OpenCV, which is not installed). Then every sampler
(serial, cpu, gpu on this machine's device, alternating) with a random agent, and with the
default policy network where ``engine.build.build_agent_and_algo`` has one for the env.

    .venv/bin/python benchmarks/sampler_throughput.py [--seconds 3] [--workers 2] [--repeats 3]

Timings are wall clock over whole batches after one warm-up batch. Each rate is the best of
``--repeats`` measurements, and the repeats cycle through the raw reference and every sampler
in turn, so a burst of load elsewhere on a shared machine hits a ratio's two sides alike; the
load average is printed at the end.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import nn

from engine.agents.base import AgentStep, BaseAgent
from engine.build import build_agent_and_algo
from engine.envs.gym import make
from engine.samplers.base import BaseSampler
from engine.samplers.parallel import AlternatingSampler, CpuSampler, GpuSampler
from engine.samplers.serial import SerialSampler
from engine.spec import ExperimentSpec, ensure_env_registered
from engine.utils.affinity import make_affinity
from engine.utils.collections import namedarraytuple

# (env id, batch_T, batch_B): B divisible by 2 workers and by the two alternating groups.
ENVS = [("CartPole-v1", 128, 8), ("ALE/Pong-v5", 32, 8), ("HalfCheetah-v5", 64, 8)]
RandomInfo = namedarraytuple("RandomInfo", ["value"])


class RandomAgent(BaseAgent):
    """Uniform random actions drawn in numpy, as the raw reference's ``action_space.sample()``
    draws them: the random rows measure what a sampler adds to stepping the envs, the policy
    rows add a network's forward pass on top."""

    def initialize(self, env_spaces: Any) -> None:
        super().initialize(env_spaces)
        self.rng = np.random.default_rng(0)

    def __call__(self, *inputs: torch.Tensor) -> Any:
        raise NotImplementedError("a random agent does not train")

    def step(self, observation: Any, prev_action: Any, prev_reward: torch.Tensor) -> AgentStep:
        space, lead = self.env_spaces.action, tuple(prev_reward.shape)  # [B] or [] (example)
        if isinstance(space, gymnasium.spaces.Discrete):
            action = self.rng.integers(int(space.n), size=lead)
        else:
            action = self.rng.uniform(space.low, space.high, (*lead, *space.shape))
            action = action.astype(space.dtype)
        return AgentStep(action, RandomInfo(value=np.zeros(lead, np.float32)))


def raw_rate(env_id: str, B: int, seconds: float) -> float:
    """Steps per second of ``SyncVectorEnv`` with random actions."""
    ensure_env_registered(env_id)

    envs = gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make(env_id) for _ in range(B)])
    envs.reset(seed=0)
    envs.action_space.seed(0)
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            envs.step(envs.action_space.sample())
        steps += 50 * B
    envs.close()
    return steps / elapsed


def sampler_rate(
    SamplerCls: type[BaseSampler],
    make_agent: Callable[[], BaseAgent],
    env_id: str,
    T: int,
    B: int,
    seconds: float,
    workers: int,
) -> float:
    kwargs: dict[str, Any] = {}
    if SamplerCls is not SerialSampler:
        kwargs["affinity"] = make_affinity(n_workers=workers)  # per group for alternating
    sampler = SamplerCls(
        EnvCls=make, env_kwargs=dict(env_id=env_id), batch_T=T, batch_B=B, **kwargs
    )
    agent = make_agent()
    sampler.initialize(agent, seed=0)
    try:
        agent.sample_mode(0)
        sampler.obtain_samples(0)  # warm-up
        itr, start = 1, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            sampler.obtain_samples(itr)
            itr += 1
        return (itr - 1) * T * B / elapsed
    finally:
        sampler.shutdown()


def policy_agent_factory(env_id: str) -> Callable[[], BaseAgent] | None:
    """The agent ``python -m engine train`` would build for PPO on ``env_id``, if any."""
    spec = ExperimentSpec.model_validate({"env": {"id": env_id}, "algo": {"name": "PPO"}})
    probe = make(env_id)
    spaces = probe.spaces
    probe.close()
    try:
        build_agent_and_algo(spec, spaces)
    except NotImplementedError:
        return None
    return lambda: build_agent_and_algo(spec, spaces)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per measurement")
    parser.add_argument("--workers", type=int, default=2, help="workers (per group)")
    parser.add_argument("--envs", nargs="*", default=[e for e, _, _ in ENVS])
    parser.add_argument("--repeats", type=int, default=3, help="measurements per rate (best)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as python -m engine train does
    samplers = {
        "serial": SerialSampler,
        f"cpu x{args.workers}": CpuSampler,
        "gpu (master on cpu)" if not torch.cuda.is_available() else "gpu": GpuSampler,
        f"alternating 2x{args.workers}": AlternatingSampler,
    }
    rows = []
    load_start = os.getloadavg()[0]
    for env_id, T, B in ENVS:
        if env_id not in args.envs:
            continue
        agents: dict[str, Callable[[], BaseAgent] | None] = {
            "random": lambda: RandomAgent(nn.Identity),
            "policy": policy_agent_factory(env_id),
        }
        measures: dict[tuple[str, str], Callable[[], float]] = {
            (f"raw SyncVectorEnv B={B}", "random"): functools.partial(
                raw_rate, env_id, B, args.seconds
            )
        }
        for agent_name, make_agent in agents.items():
            for sampler_name, SamplerCls in samplers.items():
                if make_agent is not None:
                    measures[sampler_name, agent_name] = functools.partial(
                        sampler_rate, SamplerCls, make_agent, env_id, T, B, args.seconds,
                        args.workers,
                    )
        best = dict.fromkeys(measures, 0.0)
        for repeat in range(args.repeats):
            for key, measure in measures.items():
                best[key] = max(best[key], measure())
                print(f"{env_id} repeat {repeat + 1}: {key[0]:24s} {key[1]:7s} "
                      f"{best[key]:10,.0f} steps/s (best so far)", flush=True)
        raw = best[f"raw SyncVectorEnv B={B}", "random"]
        rows += [(env_id, *key, rate, rate / raw) for key, rate in best.items()]
        rows += [(env_id, name, "policy", float("nan"), float("nan"))
                 for name in samplers if agents["policy"] is None]
    print()
    print("| env | sampler | agent | steps/s | / raw |")
    print("|---|---|---|---:|---:|")
    for env_id, sampler_name, agent_name, rate, ratio in rows:
        if np.isnan(rate):
            print(f"| {env_id} | {sampler_name} | {agent_name} | n/a (no agent) | |")
        else:
            print(f"| {env_id} | {sampler_name} | {agent_name} | {rate:,.0f} | {ratio:.2f} |")
    print(f"\ncores: {len(os.sched_getaffinity(0))}, load average at start {load_start:.2f}, "
          f"at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
