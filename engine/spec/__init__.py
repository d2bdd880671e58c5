"""The experiment spec: the one contract shared by the engine, the backend and the dashboard.

This module is torch-free on purpose: the backend imports it (and nothing else of the engine)
to validate specs and to publish their JSON Schema, from which the dashboard builds its form.
Parameter names and defaults follow rlpyt; where a default differs, a comment says why.

A spec is YAML or JSON::

    name: ppo-cartpole
    env: {id: CartPole-v1, kwargs: {}}
    algo: {name: PPO, params: {learning_rate: 1.0e-3}}
    model: {hidden_sizes: [64, 64]}
    sampler: {kind: serial, batch_T: 128, batch_B: 8}
    runner: {kind: minibatch, n_steps: 100000, log_interval_steps: 10000}
    device: auto
    seeds: [0, 1, 2]
"""

from __future__ import annotations

import importlib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

import yaml
from pydantic import Field, field_validator, model_validator

from engine.spec import dqn, pg, qpg, r2d1
from engine.spec.base import Section, check_json

# --------------------------------------------------------------------------------------------
# Environment

#: Whether ``module:Name`` environment ids are accepted: validating one imports ``module``,
#: i.e. runs its code. The engine and CLI accept them; the backend sets this per request from
#: its RLBOARD_ALLOW_ENTRY_POINT_ENVS (off by default).
entry_point_envs_allowed: ContextVar[bool] = ContextVar("entry_point_envs_allowed", default=True)
#: The engine's own environment modules, accepted even where entry points are not.
TRUSTED_ENV_PACKAGE = "engine.envs"


def ensure_env_registered(env_id: str) -> None:
    """Import whatever registers ``env_id`` with gymnasium (ALE games, ``module:Name`` ids)."""
    if ":" in env_id:
        importlib.import_module(env_id.split(":", 1)[0])
    elif env_id.startswith("ALE/"):
        import ale_py
        import gymnasium

        gymnasium.register_envs(ale_py)


def check_env_id(env_id: str) -> str:
    """Return the gymnasium id that ``gymnasium.make(env_id)`` would build, or raise ValueError."""
    import gymnasium

    module = env_id.split(":", 1)[0] if ":" in env_id else None
    if (module is not None and not entry_point_envs_allowed.get()
            and module != TRUSTED_ENV_PACKAGE
            and not module.startswith(TRUSTED_ENV_PACKAGE + ".")):
        raise ValueError(
            f"environment id {env_id!r} would import the module {module!r}; this server "
            "accepts registered gymnasium ids only (its admin may allow module:Name ids)"
        )
    try:
        ensure_env_registered(env_id)
    except ImportError as exc:
        raise ValueError(f"cannot import the module of environment {env_id!r}: {exc}") from exc
    name = env_id.split(":", 1)[1] if ":" in env_id else env_id
    try:
        gymnasium.spec(name)
    except gymnasium.error.Error as exc:
        raise ValueError(f"unknown environment id {env_id!r}: {exc}") from exc
    return env_id


class EnvSpec(Section):
    id: str = Field(
        min_length=1,
        max_length=200,
        description="Any id gymnasium.make accepts, e.g. CartPole-v1, ALE/Pong-v5, "
        "HalfCheetah-v5 or package.module:MyEnv-v0.",
    )
    kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments passed to gymnasium.make; for ALE/ ids, to the Atari "
        "preprocessing (frame_skip, num_img_obs, clip_reward, episodic_lives, fire_on_reset, "
        "max_start_noops, repeat_action_probability, horizon) and the rest to gymnasium.make. "
        "JSON at most 8 levels deep, 1000 values.",
    )

    @field_validator("id")
    @classmethod
    def _known(cls, env_id: str) -> str:
        return check_env_id(env_id)

    @field_validator("kwargs")
    @classmethod
    def _bounded(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        return check_json(kwargs)


# --------------------------------------------------------------------------------------------
# Algorithms: one module per family (engine/spec/pg.py, dqn.py, r2d1.py, qpg.py), each listing
# the ``algo`` sections of its algorithms and naming the builder module that turns them into
# an agent and an algorithm; the discriminated union below is built from them.

_FAMILIES = (pg, dqn, r2d1, qpg)

#: Algorithm name -> (family, params model); the catalog reads this.
ALGORITHMS: dict[str, tuple[str, type[Section]]] = {
    get_args(section.model_fields["name"].annotation)[0]: (
        family.FAMILY,
        section.model_fields["params"].annotation,
    )
    for family in _FAMILIES
    for section in family.ALGO_SECTIONS
}

#: Algorithm name -> the module whose ``build_agent_and_algo`` builds it (engine.build.*).
BUILDERS: dict[str, str] = {
    get_args(section.model_fields["name"].annotation)[0]: family.BUILDER
    for family in _FAMILIES
    for section in family.ALGO_SECTIONS
}

AlgoSpec = Annotated[
    Union[tuple(section for family in _FAMILIES for section in family.ALGO_SECTIONS)],  # noqa: UP007
    Field(discriminator="name"),
]


# --------------------------------------------------------------------------------------------
# Model, sampler, runner


class ModelSpec(Section):
    """Options of the model; its class follows from the algorithm and the env's spaces (images
    get rlpyt's conv nets, vectors MLPs). Options left at ``null`` take the family's default,
    which is rlpyt's for that kind of model."""

    hidden_sizes: list[Annotated[int, Field(ge=1, le=4096)]] | None = Field(
        None,
        max_length=8,
        description="Units per hidden layer of the MLPs (after the conv layers for images); "
        "default: the family's ([64, 64] policy gradient, [256, 256] SAC, [400, 300] "
        "DDPG/TD3, [64, 64] DQN on vectors).",
    )
    nonlinearity: Literal["tanh", "relu"] | None = Field(
        None, description="Hidden activation; default: tanh for policy gradient, else relu."
    )
    normalize_observation: bool = Field(
        False,
        description="Standardise observations by their running mean and std, clipped to "
        "+-10 (statistics update in training and are saved with the model).",
    )
    recurrent: bool = Field(
        False, description="Put an LSTM after the feed-forward layers (recurrent PPO / A2C; "
        "R2D1 is always recurrent)."
    )
    lstm_size: int | None = Field(
        None, ge=1, le=4096, description="LSTM units; default: 256 for policy gradient; "
        "R2D1 512 on images, 64 on vectors."
    )
    dueling: bool = Field(
        False, description="Dueling value/advantage head (DQN family)."
    )


#: Core ids and how many a list of them may name.
MAX_CORES = 4096
Core = Annotated[int, Field(ge=0, lt=MAX_CORES)]
#: Environment steps one sampler batch may hold (batch_T x batch_B): its buffers are
#: allocated whole, so this bounds what one spec can make a worker allocate.
MAX_BATCH_STEPS = 2**24


class SamplerAffinitySpec(Section):
    """Where the sampler's processes run; anything left out is worked out from the machine."""

    master_cpus: list[Core] | None = Field(
        None, min_length=1, max_length=MAX_CORES, description="Cores of the training (master) "
        "process."
    )
    workers_cpus: list[Annotated[list[Core], Field(max_length=MAX_CORES)]] | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="Cores of each worker, one list per worker (e.g. [[0], [1]]); its length "
        "is the number of workers (per group for the alternating sampler).",
    )
    # rlpyt pins by default; a worker here may run several experiments on one machine, and
    # every run pinning its worker 0 to core 0 would pile them all onto the same cores.
    set_affinity: bool = Field(
        False, description="Pin processes to these cores (otherwise the OS schedules them)."
    )


class SamplerSpec(Section):
    """How environments are stepped.

    * ``serial``: every env and the agent in the training process.
    * ``cpu``: ``workers`` processes step their share of the ``batch_B`` envs, each choosing
      actions with its own copy of the model (parameters in shared memory, synced every batch).
    * ``gpu``: workers step envs; the training process chooses all actions in one batched
      forward pass (on the GPU if the run has one, else on the CPU).
    * ``alternating``: as ``gpu`` with two groups of ``workers``, each stepping half of the
      envs while the other group's actions are chosen; needs an even ``batch_B``.

    Each worker uses one torch thread.
    """

    kind: Literal["serial", "cpu", "gpu", "alternating"] = Field(
        "serial", description="How environments are stepped: in this process or in workers."
    )
    batch_T: int = Field(128, ge=1, le=100_000, description="Time steps per sampler batch.")
    batch_B: int = Field(8, ge=1, le=4096, description="Parallel environment instances.")
    max_decorrelation_steps: int = Field(
        100, ge=0, le=10**7, description="Random-action steps per env at start, to decorrelate "
        "envs."
    )
    mid_batch_reset: bool = Field(
        True,
        description="Reset an env as soon as its episode ends; false: record zeros for the "
        "rest of the batch and reset between batches (for training on whole sequences).",
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="Worker processes of the cpu, gpu and alternating samplers (per group for "
        "alternating); default: one per available core, at most one per env.",
    )
    affinity: SamplerAffinitySpec | None = Field(
        None, description="Cores of the master and workers; default: worked out automatically."
    )
    # rlpyt defaults eval_n_envs to 0, which leaves the eval runner unusable without further
    # settings; a small eval pool is the useful default here.
    eval_n_envs: int = Field(4, ge=0, le=256, description="Environments for offline evaluation.")
    eval_max_steps: int = Field(
        20_000, ge=1, le=10**9, description="Step budget of one evaluation, over all eval envs."
    )
    eval_max_trajectories: int | None = Field(
        20, ge=1, le=10**6, description="Stop evaluating once this many episodes have completed."
    )

    @model_validator(mode="after")
    def _workers_fit(self) -> SamplerSpec:
        if self.batch_T * self.batch_B > MAX_BATCH_STEPS:
            raise ValueError(
                f"batch_T x batch_B is {self.batch_T * self.batch_B} steps; at most "
                f"{MAX_BATCH_STEPS} fit one sampler batch"
            )
        groups = 2 if self.kind == "alternating" else 1
        if self.batch_B % groups:
            raise ValueError(f"sampler kind alternating needs an even batch_B, got {self.batch_B}")
        layout = self.affinity.workers_cpus if self.affinity else None
        if layout is not None and self.workers is not None and len(layout) != self.workers:
            raise ValueError(
                f"workers is {self.workers} but affinity.workers_cpus lists {len(layout)}"
            )
        workers = self.workers if layout is None else len(layout)
        if self.kind != "serial" and workers is not None and workers > self.batch_B // groups:
            raise ValueError(
                f"{workers} workers{' per group' if groups > 1 else ''} but only "
                f"{self.batch_B // groups} envs for them (batch_B {self.batch_B})"
            )
        return self


class RunnerSpec(Section):
    """The training loop. ``sync`` and ``sync_eval`` run ``world_size`` data-parallel replicas
    (one process each, gradients averaged every step; see engine/runners/sync_rl.py).
    ``async`` and ``async_eval`` sample and optimise at the same time in separate processes
    around a shared replay buffer, holding the algorithm's replay_ratio (replay algorithms
    only; see engine/runners/async_rl.py)."""

    kind: Literal["minibatch", "minibatch_eval", "sync", "sync_eval", "async", "async_eval"] = (
        Field(
            "minibatch", description="minibatch logs training episodes; minibatch_eval adds "
            "offline evaluation at start and every log interval (eval_return_mean); sync and "
            "sync_eval are the same over world_size data-parallel processes; async and "
            "async_eval sample in one process while another optimises (replay algorithms)."
        )
    )
    world_size: int = Field(
        1, ge=1, le=256, description="Processes of a sync run (weak scaling: each collects "
        "the sampler's batch, so an iteration is world_size x batch_T x batch_B steps)."
    )
    n_steps: int = Field(100_000, ge=1, le=10**11, description="Environment steps to train.")
    log_interval_steps: int = Field(
        10_000, ge=1, le=10**11, description="Steps between metric rows."
    )
    log_traj_window: int = Field(
        100, ge=1, le=10**6, description="Completed training episodes averaged into return_mean."
    )
    # rlpyt snapshots at every log row; so does the default here: a killed run then loses at
    # most one log interval, and a checkpoint of a small model costs milliseconds.
    checkpoint_interval_steps: int | None = Field(
        None, ge=1, le=10**11, description="Steps between checkpoints (checkpoint.pt, read by --resume); "
        "default: log_interval_steps. The last iteration is always checkpointed."
    )
    checkpoint_keep_interval_steps: int | None = Field(
        None, ge=1, le=10**11, description="Also keep a copy every this many steps under checkpoints/; "
        "default: keep only the last."
    )


class ExperimentSpec(Section):
    name: str = Field("experiment", min_length=1, max_length=200)
    env: EnvSpec
    algo: AlgoSpec
    model: ModelSpec = Field(default_factory=ModelSpec)
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    runner: RunnerSpec = Field(default_factory=RunnerSpec)
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="auto takes a GPU when the worker has one."
    )
    seeds: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] = Field(
        default_factory=lambda: [0], min_length=1, max_length=100
    )

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be unique, got {seeds}")
        return seeds

    @model_validator(mode="after")
    def _runner_fits(self) -> ExperimentSpec:
        if self.runner.kind.endswith("_eval") and self.sampler.eval_n_envs == 0:
            raise ValueError(f"runner.kind {self.runner.kind} needs sampler.eval_n_envs >= 1")
        if self.runner.world_size > 1 and not self.runner.kind.startswith("sync"):
            raise ValueError(
                f"runner.world_size {self.runner.world_size} needs runner.kind sync or sync_eval"
            )
        if self.runner.kind.startswith("async") and ALGORITHMS[self.algo.name][0] == pg.FAMILY:
            raise ValueError(
                f"runner.kind {self.runner.kind} needs an algorithm with a replay buffer "
                f"(DQN family, R2D1, DDPG, TD3, SAC), not {self.algo.name}"
            )
        return self

    @property
    def steps_per_iteration(self) -> int:
        return self.sampler.batch_T * self.sampler.batch_B * self.runner.world_size



PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"
PRESET_PREFIX = "preset:"


def preset_names() -> list[str]:
    """Names of the shipped presets (``engine/presets/NAME.yaml``): rlpyt's reference
    experiments, usable as ``preset:NAME`` wherever a spec path is taken."""
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read a YAML or JSON spec file (JSON is YAML), or the preset ``preset:NAME``, and
    validate it."""
    text = str(path)
    if text.startswith(PRESET_PREFIX):
        name = text[len(PRESET_PREFIX) :]
        if name not in preset_names():
            raise ValueError(f"unknown preset {name!r}; presets: {', '.join(preset_names())}")
        path = PRESETS_DIR / f"{name}.yaml"
    return ExperimentSpec.model_validate(yaml.safe_load(Path(path).read_text()))
