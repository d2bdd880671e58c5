"""Build a ready-to-train runner from an ``ExperimentSpec``.

The spec names an algorithm, an environment and options; the classes follow from them: the
algorithm's family and the environment's action space pick the agent and its model, so a spec
never names agent or model classes.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.envs.atari import AtariTrajInfo
from engine.envs.base import EnvSpaces
from engine.envs.gym import is_atari, make
from engine.logging.logger import Logger
from engine.logging.sinks import CsvSink, JsonlSink, Sink, TensorBoardSink
from engine.runners.async_rl import AsyncRl, AsyncRlEval
from engine.runners.base import BaseRunner
from engine.runners.minibatch_rl import MinibatchRl, MinibatchRlEval
from engine.runners.sync_rl import SyncRl, SyncRlEval, node_first_rank
from engine.samplers.base import BaseSampler
from engine.samplers.collections import TrajInfo
from engine.samplers.collectors import ResetCollector, WaitResetCollector
from engine.samplers.parallel import AlternatingSampler, CpuSampler, GpuSampler
from engine.samplers.serial import SerialSampler
from engine.spec import BUILDERS, ExperimentSpec, SamplerAffinitySpec
from engine.utils.affinity import make_affinity

SAMPLERS: dict[str, type[BaseSampler]] = {
    "serial": SerialSampler,
    "cpu": CpuSampler,
    "gpu": GpuSampler,
    "alternating": AlternatingSampler,
}
RUNNERS: dict[str, type[MinibatchRl]] = {
    "minibatch": MinibatchRl,
    "minibatch_eval": MinibatchRlEval,
    "sync": SyncRl,
    "sync_eval": SyncRlEval,
    "async": AsyncRl,
    "async_eval": AsyncRlEval,
}


def resolve_device(device: str) -> torch.device:
    """``auto`` takes the GPU when there is one."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def build_agent_and_algo(
    spec: ExperimentSpec, env_spaces: EnvSpaces
) -> tuple[BaseAgent, BaseAlgorithm]:
    """The algorithm's family builds both (``engine.build.<family>``): the family knows which
    agent and model its algorithms need for these spaces and model options."""
    builder = importlib.import_module(BUILDERS[spec.algo.name])
    return builder.build_agent_and_algo(spec, env_spaces)


def parallel_sampler_kwargs(spec: ExperimentSpec) -> dict[str, Any]:
    """The parallel samplers' ``affinity``: the spec's workers and cores, the rest automatic."""
    if spec.sampler.kind == "serial":
        return {}
    groups = 2 if spec.sampler.kind == "alternating" else 1
    layout = spec.sampler.affinity or SamplerAffinitySpec()
    affinity = make_affinity(
        n_workers=spec.sampler.workers,
        master_cpus=layout.master_cpus,
        workers_cpus=layout.workers_cpus,
        set_affinity=layout.set_affinity,
        max_workers=spec.sampler.batch_B // groups,
    )
    return {"affinity": affinity}


def build_runner(
    spec: ExperimentSpec,
    seed: int,
    out_dir: str | Path,
    sinks: Sequence[Sink] = (),
    resume_step: int | None = None,
    rank: int | None = None,
) -> BaseRunner:
    """Assemble env factory, agent, model, algorithm, sampler, runner and logger for one seed.

    Metrics go to ``progress.csv``, ``metrics.jsonl`` and TensorBoard event files in
    ``out_dir``, and to ``sinks``; checkpoints to ``out_dir/checkpoint.pt``. ``resume_step``:
    the step of the checkpoint the run will continue from; the metric files keep their rows up
    to it and are appended to. ``rank``: the rank of a sync run this process is (default: the
    first of this machine's, see ``engine.runners.sync_rl``); only rank 0 logs and checkpoints.
    Seeding (python, numpy, torch, env ``b`` with ``seed + b``, eval envs a disjoint range)
    happens when the runner starts, so two runners built with the same seed train identically.
    """
    if rank is None:  # the first process of a sync run on this machine, else the only one
        sync = spec.runner.kind.startswith("sync")
        rank = node_first_rank(spec.runner.world_size) if sync else 0
    env_kwargs = dict(env_id=spec.env.id, **spec.env.kwargs)
    probe_env = make(**env_kwargs)
    env_spaces = probe_env.spaces
    probe_env.close()
    atari = is_atari(spec.env.id)

    agent, algo = build_agent_and_algo(spec, env_spaces)
    sampler_spec = spec.sampler
    # Eval environments are built only for a runner that evaluates (in a sync run, rank 0).
    use_eval = spec.runner.kind.endswith("_eval") and rank == 0
    sampler = SAMPLERS[sampler_spec.kind](
        EnvCls=make,
        env_kwargs=env_kwargs,
        batch_T=sampler_spec.batch_T,
        batch_B=sampler_spec.batch_B,
        CollectorCls=ResetCollector if sampler_spec.mid_batch_reset else WaitResetCollector,
        max_decorrelation_steps=sampler_spec.max_decorrelation_steps,
        TrajInfoCls=AtariTrajInfo if atari else TrajInfo,
        eval_n_envs=sampler_spec.eval_n_envs if use_eval else 0,
        # Atari evaluates whole games, as rlpyt's eval configs do.
        eval_env_kwargs={**env_kwargs, "episodic_lives": False} if atari else None,
        eval_max_steps=sampler_spec.eval_max_steps,
        eval_max_trajectories=sampler_spec.eval_max_trajectories,
        **parallel_sampler_kwargs(spec),
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # In a sync run, rank 0 alone logs and checkpoints.
    file_sinks = [
        CsvSink(out_dir / "progress.csv", resume_step),
        JsonlSink(out_dir / "metrics.jsonl", resume_step),
        TensorBoardSink(out_dir, resume_step),
    ] if rank == 0 else []
    sync_kwargs = dict(
        world_size=spec.runner.world_size,
        rank=rank,
        spec_document=spec.model_dump(mode="json"),
        out_dir=out_dir,
    ) if spec.runner.kind.startswith("sync") else {}
    return RUNNERS[spec.runner.kind](
        algo=algo,
        agent=agent,
        sampler=sampler,
        n_steps=spec.runner.n_steps,
        seed=seed,
        logger=Logger([*file_sinks, *sinks] if rank == 0 else []),
        log_interval_steps=spec.runner.log_interval_steps,
        log_traj_window=spec.runner.log_traj_window,
        device=resolve_device(spec.device),
        checkpoint_dir=out_dir if rank == 0 else None,
        checkpoint_interval_steps=spec.runner.checkpoint_interval_steps,
        checkpoint_keep_interval_steps=spec.runner.checkpoint_keep_interval_steps,
        **sync_kwargs,
    )
