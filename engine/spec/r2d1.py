"""Parameters of R2D1, the recurrent member of the deep Q-learning family (rlpyt
``algos/dqn/r2d1.py``): names and defaults are rlpyt's; where one differs, a comment says why.

rlpyt gives the epsilon-greedy settings to the agent (its ``agent`` config section); the spec
has no agent section, so they sit here (``eps_*``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.spec.base import MAX_BATCH, MAX_REPLAY, MAX_STEPS, MAX_UPDATES, Section

FAMILY = "dqn"
BUILDER = "engine.build.r2d1"


class R2D1Params(Section):
    """Recurrent replay DQN: double DQN, dueling option (``model.dueling``), n-step returns,
    prioritized replay of sequences with LSTM burn-in, value rescaling."""

    discount: float = Field(0.997, gt=0, le=1, description="Reward discount factor gamma.")
    batch_T: int = Field(80, ge=1, le=10_000, description="Trained steps of each replayed sequence.")
    batch_B: int = Field(64, ge=1, le=MAX_BATCH, description="Replayed sequences per update.")
    warmup_T: int = Field(
        40, ge=0, le=10_000, description="Burn-in steps before the trained ones, from the stored RNN state."
    )
    store_rnn_state_interval: int = Field(
        40,
        ge=0,
        le=10_000,
        description="Store the agent's RNN state every this many steps; sequences start only "
        "there (0: store none, start from zeros anywhere).",
    )
    min_steps_learn: int = Field(
        100_000, ge=0, le=MAX_STEPS, description="Environment steps collected before the "
        "first update."
    )
    delta_clip: float | None = Field(
        None, gt=0, description="Huber loss threshold; null: squared error (R2D2)."
    )
    replay_size: int = Field(1_000_000, ge=1, le=MAX_REPLAY, description="Steps the replay buffer holds.")
    replay_ratio: float = Field(
        1,
        gt=0,
        description="Steps replayed per step sampled: updates per iteration = "
        "round(replay_ratio * sampler batch / ((warmup_T + batch_T) * batch_B)), at least 1.",
    )
    target_update_interval: int = Field(
        2500, ge=1, le=MAX_UPDATES, description="Updates between copies of the online net into the target."
    )
    n_step_return: int = Field(5, ge=1, le=1000, description="Steps of the bootstrapped return.")
    learning_rate: float = Field(1e-4, gt=0, description="Adam learning rate.")
    adam_eps: float = Field(
        1e-3, gt=0, description="Adam epsilon (rlpyt: optim_kwargs eps=1e-3 for R2D1)."
    )
    clip_grad_norm: float = Field(80.0, gt=0, description="Global gradient-norm clip.")
    double_dqn: bool = Field(True, description="Pick the target action with the online net.")
    prioritized_replay: bool = Field(True, description="Replay sequences by priority.")
    pri_alpha: float = Field(0.6, ge=0, description="Priority exponent alpha.")
    pri_beta_init: float = Field(0.9, ge=0, le=1, description="Importance-weight exponent beta.")
    pri_beta_final: float = Field(0.9, ge=0, le=1, description="beta at pri_beta_steps.")
    pri_beta_steps: int = Field(
        50_000_000, ge=1, le=MAX_STEPS, description="Steps of the linear beta schedule."
    )
    pri_eta: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Sequence priority = eta * max |TD error| + (1 - eta) * mean |TD error|.",
    )
    default_priority: float | None = Field(
        None, gt=0, description="Priority of new sequences; null: delta_clip, or 1."
    )
    input_priorities: bool = Field(
        True,
        description="Give new sequences priorities from the TD errors of the Q values the "
        "sampler recorded, not the default.",
    )
    input_priority_shift: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Which stored-state slot before a batch gets that batch's input priority; "
        "null: warmup_T // store_rnn_state_interval (the sequence trained on the batch).",
    )
    value_scale_eps: float = Field(
        1e-3, gt=0, description="epsilon of h(x) = sign(x)(sqrt(|x|+1)-1) + epsilon x."
    )
    # Not in rlpyt's R2D1 (rlpyt's name from its QPG algorithms): without it a time-limit cut
    # is learnt as the end of the game.
    bootstrap_timelimit: bool = Field(
        True,
        description="Leave out of the loss every step whose n-step window hits a time-limit cut.",
    )
    eps_init: float = Field(1.0, ge=0, le=1, description="Exploration epsilon at the start.")
    eps_final: float = Field(0.01, ge=0, le=1, description="Epsilon after eps_steps.")
    eps_steps: int = Field(
        1_000_000, ge=1, le=MAX_STEPS, description="Environment steps of the linear epsilon "
        "decay."
    )
    eps_eval: float = Field(0.001, ge=0, le=1, description="Epsilon in evaluation.")

    @model_validator(mode="after")
    def _priority_shift_fits(self) -> R2D1Params:
        interval = max(1, self.store_rnn_state_interval)
        shift = self.input_priority_shift
        if shift is not None and shift * interval >= self.warmup_T + self.batch_T:
            raise ValueError(
                f"input_priority_shift {shift} puts a batch's priority on a sequence that "
                "does not contain it"
            )
        return self


class R2D1Algo(Section):
    name: Literal["R2D1"]
    params: R2D1Params = Field(default_factory=R2D1Params)


#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = [R2D1Algo]
