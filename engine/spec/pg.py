"""Parameters of the on-policy policy-gradient family (rlpyt ``algos/pg``): names and defaults
are rlpyt's; where a default differs, a comment says why."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.spec.base import MAX_BATCH, MAX_UPDATES, Section

FAMILY = "pg"
BUILDER = "engine.build.pg"


class PPOParams(Section):
    """Clipped-ratio PPO (rlpyt ``algos/pg/ppo.py``)."""

    discount: float = Field(0.99, gt=0, le=1, description="Reward discount factor gamma.")
    learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate.")
    value_loss_coeff: float = Field(1.0, ge=0, description="Weight of the value loss.")
    entropy_loss_coeff: float = Field(0.01, ge=0, description="Weight of the entropy bonus.")
    clip_grad_norm: float = Field(1.0, gt=0, description="Global gradient-norm clip.")
    gae_lambda: float = Field(1.0, ge=0, le=1, description="GAE lambda (1 = discounted return).")
    minibatches: int = Field(4, ge=1, le=MAX_BATCH, description="Minibatches per epoch over the [T, B] batch.")
    epochs: int = Field(4, ge=1, le=MAX_UPDATES, description="Passes over each sampled batch.")
    ratio_clip: float = Field(0.1, gt=0, description="PPO likelihood-ratio clip epsilon.")
    linear_lr_schedule: bool = Field(
        True, description="Anneal learning rate and ratio_clip linearly to 0 over the run."
    )
    normalize_advantage: bool = Field(False, description="Normalize advantages per batch.")


class PPOAlgo(Section):
    name: Literal["PPO"]
    params: PPOParams = Field(default_factory=PPOParams)


class A2CParams(Section):
    """Advantage actor-critic, one gradient step per batch (rlpyt ``algos/pg/a2c.py``)."""

    discount: float = Field(0.99, gt=0, le=1, description="Reward discount factor gamma.")
    learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate.")
    value_loss_coeff: float = Field(0.5, ge=0, description="Weight of the value loss.")
    entropy_loss_coeff: float = Field(0.01, ge=0, description="Weight of the entropy bonus.")
    clip_grad_norm: float = Field(1.0, gt=0, description="Global gradient-norm clip.")
    gae_lambda: float = Field(1.0, ge=0, le=1, description="GAE lambda (1 = discounted return).")
    normalize_advantage: bool = Field(False, description="Normalize advantages per batch.")
    # Not in rlpyt's A2C (whose learning rate is constant, the default here): annealing it, as
    # PPO does, keeps A2C from drifting away from a solved task late in a run.
    linear_lr_schedule: bool = Field(
        False, description="Anneal the learning rate linearly to 0 over the run."
    )


class A2CAlgo(Section):
    name: Literal["A2C"]
    params: A2CParams = Field(default_factory=A2CParams)


#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = [PPOAlgo, A2CAlgo]
