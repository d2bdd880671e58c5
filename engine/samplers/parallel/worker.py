"""The sampler worker process: steps its share of the environments on the master's command.

A worker owns envs ``env_slice`` of the ``[T, B]`` batch (and eval envs ``eval_slice``) and
writes straight into the shared samples and step buffers. With an ``agent`` (``CpuSampler``)
it also chooses the actions; without one (``GpuSampler``) it hands each observation to the
master (``obs_ready``) and waits for the actions (``act_ready``).

Protocol, over the worker's pipe: the master sends ``(command, argument)``, the worker answers
``("ok", result)`` or ``("error", traceback)`` and exits. A worker whose master is gone (its
pipe closed, or no longer alive while the worker waits on a semaphore) exits by itself, so
workers never outlive a killed master.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from engine.agents.base import BaseAgent
from engine.envs.base import Env
from engine.samplers.base import EVAL_SEED_OFFSET
from engine.samplers.buffer import slice_samples
from engine.samplers.collections import Samples, StepBuffer, TrajInfo
from engine.samplers.collectors import (
    ActionServer,
    BaseCollector,
    EvalCollector,
    collect_batch,
    collect_evaluation,
)
from engine.samplers.serial import collector_state, load_collector_state
from engine.utils.affinity import apply_affinity
from engine.utils.buffer import numpify_buffer
from engine.utils.seed import get_rng_state, set_rng_state, set_seed

# Seconds between checks that the master is alive while waiting for it.
PARENT_POLL_S = 1.0


@dataclass
class WorkerConfig:
    """Everything a worker needs; pickled to the new process (shared buffers as torch views,
    whose memory torch passes by handle)."""

    rank: int
    cpus: tuple[int, ...]
    set_affinity: bool
    torch_threads: int
    EnvCls: Callable[..., Env]
    env_kwargs: Mapping[str, Any]
    eval_env_kwargs: Mapping[str, Any]
    CollectorCls: type[BaseCollector]
    TrajInfoCls: Callable[[], TrajInfo]
    seed: int
    env_slice: slice
    decorrelation_steps: np.ndarray  # [len(env_slice)]
    samples_pyt: Samples  # [T, B], all envs
    step_pyt: StepBuffer  # [B], all envs
    eval_slice: slice
    eval_step_pyt: StepBuffer | None  # [eval_n_envs]
    eval_max_T: int
    eval_max_trajectories: int | None
    eval_counter: Any  # multiprocessing.Value: trajectories completed by all workers
    stop_eval: Any  # multiprocessing.RawArray [n_workers]: the master ends a remote evaluation
    agent: BaseAgent | None  # own copy, parameters in shared memory; None: the master acts
    obs_ready: Any = None  # multiprocessing.Semaphore, worker -> master
    act_ready: Any = None  # multiprocessing.Semaphore, master -> worker


def _acquire(semaphore: Any) -> None:
    """Wait for the master; exit if it died meanwhile."""
    parent = mp.parent_process()
    while not semaphore.acquire(timeout=PARENT_POLL_S):
        if parent is not None and not parent.is_alive():
            raise SystemExit("sampler master is gone")


def _remote_batch(collector: BaseCollector, config: WorkerConfig) -> list[TrajInfo]:
    """The env side of ``collect_batch``, with the master choosing every action."""
    collector.start_batch()
    for t in range(collector.batch_T):
        config.obs_ready.release()
        _acquire(config.act_ready)
        collector.step(t)
    config.obs_ready.release()
    return collector.pop_completed()


def _remote_evaluation(collector: EvalCollector, config: WorkerConfig) -> list[TrajInfo]:
    """The env side of ``collect_evaluation``; the master decides when it ends."""
    collector.start()
    while True:
        config.obs_ready.release()
        _acquire(config.act_ready)
        if config.stop_eval[config.rank]:
            return collector.pop_completed()
        collector.step()


def worker_main(config: WorkerConfig, conn: Connection) -> None:
    """Entry point of a sampler worker process."""
    # Ctrl-C reaches the whole process group: the master handles it and shuts workers down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    envs: list[Env] = []
    eval_envs: list[Env] = []
    try:
        apply_affinity(config.cpus, config.torch_threads, config.set_affinity)
        # Each worker draws its own exploration noise: spawned, they would all start from
        # torch's one default seed and draw the same numbers. Checkpointed with the envs.
        set_seed(int(np.random.SeedSequence([config.seed, config.rank]).generate_state(1)[0]))
        env_ranks = range(*config.env_slice.indices(config.samples_pyt.env.done.shape[1]))
        envs = [config.EnvCls(**config.env_kwargs) for _ in env_ranks]
        for b, env in zip(env_ranks, envs):
            env.seed(config.seed + b)
        samples_np = slice_samples(numpify_buffer(config.samples_pyt), config.env_slice)
        step_np = numpify_buffer(config.step_pyt)[config.env_slice]
        collector = config.CollectorCls(envs, step_np, samples_np.env, config.TrajInfoCls)
        agent = config.agent
        if agent is not None:
            server = ActionServer(agent, step_np, samples_np.agent, collector.mid_batch_reset)
        collector.start_envs(config.decorrelation_steps)

        if config.eval_step_pyt is not None:
            n_eval = config.eval_step_pyt.done.shape[0]
            eval_ranks = range(*config.eval_slice.indices(n_eval))
            eval_envs = [config.EnvCls(**config.eval_env_kwargs) for _ in eval_ranks]
            for j, env in zip(eval_ranks, eval_envs):
                env.seed(config.seed + EVAL_SEED_OFFSET + j)
            eval_step_np = numpify_buffer(config.eval_step_pyt)[config.eval_slice]
            eval_collector = EvalCollector(
                eval_envs,
                eval_step_np,
                config.TrajInfoCls,
                config.eval_max_trajectories,
                config.eval_counter,
            )
            if agent is not None:
                eval_server = ActionServer(agent, eval_step_np)
        conn.send(("ok", None))  # ready

        while True:
            try:
                command, arg = conn.recv()
            except EOFError:  # the master is gone
                return
            if command == "sample":
                if agent is None:
                    result: Any = _remote_batch(collector, config)
                else:
                    agent.sample_mode(arg)
                    result = collect_batch(collector, server)
            elif command == "evaluate":
                if agent is None:
                    result = _remote_evaluation(eval_collector, config)
                else:
                    agent.eval_mode(arg)
                    result = collect_evaluation(eval_collector, eval_server, config.eval_max_T)
            elif command == "state_dict":
                result = collector_state(collector, envs, eval_envs)
                result["rng"] = get_rng_state()
                if agent is not None and agent.recurrent:  # this worker's envs' LSTM states
                    result["rnn_state"] = agent.rnn_state_dict()
            elif command == "load_state_dict":
                result = load_collector_state(collector, envs, eval_envs, arg)
                set_rng_state(arg["rng"])
                if agent is not None and agent.recurrent:
                    agent.load_rnn_state_dict(arg["rnn_state"])
            elif command == "quit":
                conn.send(("ok", None))
                return
            else:
                raise ValueError(f"unknown sampler command {command!r}")
            conn.send(("ok", result))
    except Exception:
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
        raise SystemExit(1) from None
    finally:
        for env in envs + eval_envs:
            env.close()
