"""Parameters of the deep Q-learning family (rlpyt ``algos/dqn``: DQN, CategoricalDQN): names
and defaults are rlpyt's; where a default differs, a comment says why.

rlpyt gives the epsilon-greedy settings to the agent (its ``agent`` config section) and C51's
``n_atoms`` to the agent too; the spec has no agent section, so they sit with the algorithm
(``eps_init``, ``eps_final``, ``eps_eval``, ``n_atoms``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.spec.base import MAX_BATCH, MAX_REPLAY, MAX_STEPS, MAX_UPDATES, Section

FAMILY = "dqn"
BUILDER = "engine.build.dqn"


class DQNParams(Section):
    """DQN with double, prioritized and n-step options (rlpyt ``algos/dqn/dqn.py``,
    ``DqnAgent``); dueling is the model option ``model.dueling``."""

    discount: float = Field(0.99, gt=0, le=1, description="Reward discount factor gamma.")
    batch_size: int = Field(32, ge=1, le=MAX_BATCH, description="Transitions per gradient update.")
    min_steps_learn: int = Field(
        50_000, ge=0, le=MAX_STEPS, description="Environment steps collected before the "
        "first update."
    )
    delta_clip: float | None = Field(
        1.0, gt=0, description="Huber loss threshold; null: squared error."
    )
    replay_size: int = Field(1_000_000, ge=1, le=MAX_REPLAY, description="Transitions the replay buffer holds.")
    replay_ratio: float = Field(
        8,
        gt=0,
        description="Transitions consumed per transition generated: updates per iteration "
        "= round(replay_ratio * batch_T * batch_B / batch_size), at least 1.",
    )
    target_update_tau: float = Field(
        1.0, gt=0, le=1, description="Weight of the online net in target updates (1: copy)."
    )
    target_update_interval: int = Field(
        312, ge=1, le=MAX_UPDATES, description="Updates between target-network updates."
    )
    n_step_return: int = Field(1, ge=1, le=1000, description="Steps of the bootstrapped return.")
    learning_rate: float = Field(2.5e-4, gt=0, description="Adam learning rate.")
    clip_grad_norm: float = Field(10.0, gt=0, description="Global gradient-norm clip.")
    eps_steps: int = Field(
        1_000_000,
        ge=1,
        le=MAX_STEPS,
        description="Environment step at which the sampling epsilon reaches eps_final, "
        "decaying linearly from eps_init at min_steps_learn.",
    )
    eps_init: float = Field(1.0, ge=0, le=1, description="Sampling epsilon before learning.")
    eps_final: float = Field(0.01, ge=0, le=1, description="Sampling epsilon after eps_steps.")
    eps_eval: float = Field(
        0.001, ge=0, le=1, description="Evaluation epsilon (1 at the step-0 evaluation)."
    )
    double_dqn: bool = Field(
        False, description="Choose the target's action with the online net (double DQN)."
    )
    prioritized_replay: bool = Field(False, description="Prioritized experience replay.")
    pri_alpha: float = Field(0.6, ge=0, description="Priority exponent alpha.")
    pri_beta_init: float = Field(
        0.4, ge=0, le=1, description="Importance-sampling exponent beta at the first update."
    )
    pri_beta_final: float = Field(1.0, ge=0, le=1, description="Final beta.")
    pri_beta_steps: int = Field(
        50_000_000, ge=1, le=MAX_STEPS, description="Environment step at which beta reaches "
        "pri_beta_final."
    )
    default_priority: float | None = Field(
        None, gt=0, description="Priority of new transitions; null: delta_clip (or 1)."
    )
    # Not in rlpyt's DQN (its QPG option): without it, a time-limit cut trains Q towards 0.
    bootstrap_timelimit: bool = Field(
        True,
        description="Leave out of the loss every transition whose n-step window hits a "
        "time-limit cut (its bootstrap target would be wrong).",
    )

    @model_validator(mode="after")
    def _eps_order(self) -> DQNParams:
        if self.eps_final > self.eps_init:
            raise ValueError(f"eps_final {self.eps_final} > eps_init {self.eps_init}")
        return self


class DQNAlgo(Section):
    name: Literal["DQN"]
    params: DQNParams = Field(default_factory=DQNParams)


class CategoricalDQNParams(DQNParams):
    """C51 (rlpyt ``algos/dqn/cat_dqn.py``, ``CatDqnAgent``); with ``double_dqn``, a dueling
    model, ``prioritized_replay`` and ``n_step_return`` 3 it is "Rainbow minus noisy nets"."""

    V_min: float = Field(-10.0, description="Lowest atom of the return distribution.")
    V_max: float = Field(10.0, description="Highest atom of the return distribution.")
    n_atoms: int = Field(51, ge=2, le=1001, description="Atoms of the return distribution.")

    @model_validator(mode="after")
    def _atoms_span(self) -> CategoricalDQNParams:
        if self.V_min >= self.V_max:
            raise ValueError(f"V_min {self.V_min} must be below V_max {self.V_max}")
        return self


class CategoricalDQNAlgo(Section):
    name: Literal["CategoricalDQN"]
    params: CategoricalDQNParams = Field(default_factory=CategoricalDQNParams)


#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = [DQNAlgo, CategoricalDQNAlgo]
