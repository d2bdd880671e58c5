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
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    """Unknown keys are errors, so a typo in a parameter name never silently uses a default."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------
# Environment


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


class EnvSpec(_Section):
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
        "max_start_noops, repeat_action_probability, horizon) and the rest to gymnasium.make.",
    )

    @field_validator("id")
    @classmethod
    def _known(cls, env_id: str) -> str:
        return check_env_id(env_id)


# --------------------------------------------------------------------------------------------
# Algorithms: one params model per algorithm, rlpyt's names and defaults.


class PPOParams(_Section):
    """Clipped-ratio PPO (rlpyt ``algos/pg/ppo.py``)."""

    discount: float = Field(0.99, gt=0, le=1, description="Reward discount factor gamma.")
    learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate.")
    value_loss_coeff: float = Field(1.0, ge=0, description="Weight of the value loss.")
    entropy_loss_coeff: float = Field(0.01, ge=0, description="Weight of the entropy bonus.")
    clip_grad_norm: float = Field(1.0, gt=0, description="Global gradient-norm clip.")
    gae_lambda: float = Field(1.0, ge=0, le=1, description="GAE lambda (1 = discounted return).")
    minibatches: int = Field(4, ge=1, description="Minibatches per epoch over the [T, B] batch.")
    epochs: int = Field(4, ge=1, description="Passes over each sampled batch.")
    ratio_clip: float = Field(0.1, gt=0, description="PPO likelihood-ratio clip epsilon.")
    linear_lr_schedule: bool = Field(
        True, description="Anneal learning rate and ratio_clip linearly to 0 over the run."
    )
    normalize_advantage: bool = Field(False, description="Normalize advantages per batch.")


class PPOAlgo(_Section):
    name: Literal["PPO"]
    params: PPOParams = Field(default_factory=PPOParams)


AlgoSpec = Annotated[Union[PPOAlgo], Field(discriminator="name")]

#: Algorithm name -> (family, params model); the catalog and the engine's builder read this.
ALGORITHMS: dict[str, tuple[str, type[_Section]]] = {
    "PPO": ("policy_gradient", PPOParams),
}


# --------------------------------------------------------------------------------------------
# Model, sampler, runner


class ModelSpec(_Section):
    hidden_sizes: list[Annotated[int, Field(ge=1, le=4096)]] = Field(
        default_factory=lambda: [64, 64],
        max_length=8,
        description="Units per hidden layer of the MLP trunk.",
    )
    nonlinearity: Literal["tanh", "relu"] = Field("tanh", description="Hidden activation.")
    normalize_observation: bool = Field(
        False,
        description="Standardise observations by their running mean and std, clipped to "
        "+-10 (statistics update in training and are saved with the model).",
    )


class SamplerAffinitySpec(_Section):
    """Where the sampler's processes run; anything left out is worked out from the machine."""

    master_cpus: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, min_length=1, description="Cores of the training (master) process."
    )
    workers_cpus: list[list[Annotated[int, Field(ge=0)]]] | None = Field(
        None,
        min_length=1,
        description="Cores of each worker, one list per worker (e.g. [[0], [1]]); its length "
        "is the number of workers (per group for the alternating sampler).",
    )
    # rlpyt pins by default; a worker here may run several experiments on one machine, and
    # every run pinning its worker 0 to core 0 would pile them all onto the same cores.
    set_affinity: bool = Field(
        False, description="Pin processes to these cores (otherwise the OS schedules them)."
    )


class SamplerSpec(_Section):
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
        100, ge=0, description="Random-action steps per env at start, to decorrelate envs."
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
        20_000, ge=1, description="Step budget of one evaluation, over all eval envs."
    )
    eval_max_trajectories: int | None = Field(
        20, ge=1, description="Stop evaluating once this many episodes have completed."
    )

    @model_validator(mode="after")
    def _workers_fit(self) -> SamplerSpec:
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


class RunnerSpec(_Section):
    kind: Literal["minibatch", "minibatch_eval"] = Field(
        "minibatch", description="minibatch logs training episodes; minibatch_eval adds "
        "offline evaluation at start and every log interval (eval_return_mean)."
    )
    n_steps: int = Field(100_000, ge=1, le=10**11, description="Environment steps to train.")
    log_interval_steps: int = Field(10_000, ge=1, description="Steps between metric rows.")
    log_traj_window: int = Field(
        100, ge=1, description="Completed training episodes averaged into return_mean."
    )
    # rlpyt snapshots at every log row; so does the default here: a killed run then loses at
    # most one log interval, and a checkpoint of a small model costs milliseconds.
    checkpoint_interval_steps: int | None = Field(
        None, ge=1, description="Steps between checkpoints (checkpoint.pt, read by --resume); "
        "default: log_interval_steps. The last iteration is always checkpointed."
    )
    checkpoint_keep_interval_steps: int | None = Field(
        None, ge=1, description="Also keep a copy every this many steps under checkpoints/; "
        "default: keep only the last."
    )


class ExperimentSpec(_Section):
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
    def _eval_needs_envs(self) -> ExperimentSpec:
        if self.runner.kind == "minibatch_eval" and self.sampler.eval_n_envs == 0:
            raise ValueError("runner.kind minibatch_eval needs sampler.eval_n_envs >= 1")
        return self

    @property
    def steps_per_iteration(self) -> int:
        return self.sampler.batch_T * self.sampler.batch_B


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read a YAML or JSON spec file (JSON is YAML) and validate it."""
    return ExperimentSpec.model_validate(yaml.safe_load(Path(path).read_text()))
