"""Parameters of the Q-value policy-gradient family (rlpyt ``algos/qpg``: DDPG, TD3, SAC): names
and defaults are rlpyt's; where a default differs, a comment says why.

rlpyt gives the exploration settings to the agent (its ``agent`` config section); the spec has
no agent section, so they sit with the algorithm that needs them (``action_std``,
``pretrain_std``, ``target_noise_std``, ``target_noise_clip``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.spec.base import MAX_BATCH, MAX_REPLAY, MAX_STEPS, MAX_UPDATES, Section

FAMILY = "qpg"
BUILDER = "engine.build.qpg"


# Fields whose defaults differ between the algorithms (pydantic needs the whole Field again).


def _batch_size(default: int) -> Any:
    return Field(default, ge=1, le=MAX_BATCH, description="Transitions per gradient update.")


def _replay_ratio(default: float) -> Any:
    return Field(
        default,
        gt=0,
        description="Transitions consumed per transition generated: updates per iteration "
        "= round(replay_ratio * batch_T * batch_B / batch_size), at least 1.",
    )


def _tau(default: float) -> Any:
    return Field(
        default, gt=0, le=1, description="Polyak weight of the online nets in target updates."
    )


def _interval(default: int, description: str) -> Any:
    return Field(default, ge=1, le=MAX_UPDATES, description=description)


class _ReplayParams(Section):
    """What every algorithm of the family shares: the replay and its use."""

    discount: float = Field(0.99, gt=0, le=1, description="Reward discount factor gamma.")
    min_steps_learn: int = Field(
        10_000, ge=0, le=MAX_STEPS, description="Environment steps collected before the "
        "first update."
    )
    replay_size: int = Field(1_000_000, ge=1, le=MAX_REPLAY, description="Transitions the replay buffer holds.")
    n_step_return: int = Field(1, ge=1, le=1000, description="Steps of the bootstrapped return.")
    bootstrap_timelimit: bool = Field(
        True,
        description="Leave out of the loss every sample whose n-step window hits a time-limit "
        "cut (its bootstrap target would be wrong).",
    )


class _DpgParams(_ReplayParams):
    """What DDPG and TD3 share."""

    q_learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate of Q.")
    clip_grad_norm: float = Field(1e8, gt=0, description="Gradient-norm clip of each network.")
    q_target_clip: float = Field(1e6, gt=0, description="Clamp of the Q target's magnitude.")
    action_std: float = Field(0.1, ge=0, description="Std of the Gaussian exploration noise.")


_TARGET_INTERVAL = "Updates between target-network updates."
_POLICY_INTERVAL = "Q updates per policy update."


class DDPGParams(_DpgParams):
    """Deep deterministic policy gradient (rlpyt ``algos/qpg/ddpg.py``, ``DdpgAgent``)."""

    batch_size: int = _batch_size(64)
    replay_ratio: float = _replay_ratio(64)
    target_update_tau: float = _tau(0.01)
    target_update_interval: int = _interval(1, _TARGET_INTERVAL)
    policy_update_interval: int = _interval(1, _POLICY_INTERVAL)
    learning_rate: float = Field(1e-4, gt=0, description="Adam learning rate of the policy mu.")


class DDPGAlgo(Section):
    name: Literal["DDPG"]
    params: DDPGParams = Field(default_factory=DDPGParams)


class TD3Params(_DpgParams):
    """Twin delayed DDPG (rlpyt ``algos/qpg/td3.py``, ``Td3Agent``).

    rlpyt's TD3 declared ``mu_learning_rate`` but its optimiser read DDPG's ``learning_rate``
    (1e-4); here ``mu_learning_rate`` is the policy's learning rate.
    """

    batch_size: int = _batch_size(100)
    replay_ratio: float = _replay_ratio(100)
    target_update_tau: float = _tau(0.005)
    target_update_interval: int = _interval(2, _TARGET_INTERVAL)
    policy_update_interval: int = _interval(2, _POLICY_INTERVAL)
    mu_learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate of mu.")
    pretrain_std: float = Field(
        0.5, ge=0, description="Exploration std before min_steps_learn (then action_std)."
    )
    target_noise_std: float = Field(
        0.2, ge=0, description="Std of the target policy smoothing noise."
    )
    target_noise_clip: float = Field(
        0.5, ge=0, description="Clip of the target policy smoothing noise."
    )


class TD3Algo(Section):
    name: Literal["TD3"]
    params: TD3Params = Field(default_factory=TD3Params)


class SACParams(_ReplayParams):
    """Soft actor-critic with twin Q and no value network (rlpyt ``algos/qpg/sac.py``,
    ``SacAgent``)."""

    batch_size: int = _batch_size(256)
    replay_ratio: float = _replay_ratio(256)
    target_update_tau: float = _tau(0.005)
    target_update_interval: int = _interval(1, _TARGET_INTERVAL)
    learning_rate: float = Field(
        3e-4, gt=0, description="Adam learning rate of pi, both Qs and alpha."
    )
    action_prior: Literal["uniform", "gaussian"] = Field(
        "uniform", description="Prior over actions in the policy loss."
    )
    reward_scale: float = Field(1.0, gt=0, description="Multiplies rewards in the Q target.")
    target_entropy: Literal["auto"] | float = Field(
        "auto", description="Entropy target of the alpha tuning; auto: -(action dims)."
    )
    # Not in rlpyt's last SAC (which always tuned alpha); the usual switch to a fixed weight.
    fixed_alpha: float | None = Field(
        None, gt=0, description="Fixed entropy weight alpha instead of tuning it."
    )
    reparameterize: bool = Field(
        True,
        description="Reparameterised policy gradient; false: the likelihood-ratio gradient "
        "(rlpyt raised NotImplementedError).",
    )
    clip_grad_norm: float = Field(1e9, gt=0, description="Gradient-norm clip of each network.")
    pretrain_std: float = Field(
        0.75,
        ge=0,
        description="Pre-squash std of the exploration before min_steps_learn (near-uniform "
        "actions); afterwards the policy's learned std.",
    )


class SACAlgo(Section):
    name: Literal["SAC"]
    params: SACParams = Field(default_factory=SACParams)


#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = [DDPGAlgo, TD3Algo, SACAlgo]
