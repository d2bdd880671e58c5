"""Return and advantage estimators over ``[T, B]`` batches (rlpyt ``algos/utils.py``).

``done[t]`` means the episode ended with the transition at ``t``: nothing after it is
bootstrapped. ``timeout[t]`` (a subset of ``done``) means it ended by a time limit: the true
next state was replaced by the reset observation, so the transition at ``t`` cannot be
evaluated. Its advantage is set to 0 and its return to ``value[t]`` (callers should mask it out
of losses), and step ``t - 1`` bootstraps from ``value[t]``, the value of its true next state
(rlpyt's ``*_tl`` estimators). Cost: one transition per time-limited episode is not trained on.
"""

from __future__ import annotations

import torch


def discount_return(
    reward: torch.Tensor,
    done: torch.Tensor,
    bootstrap_value: torch.Tensor,
    discount: float,
    timeout: torch.Tensor | None = None,
    value: torch.Tensor | None = None,
) -> torch.Tensor:
    """Discounted return ``[T, B]``, bootstrapped with ``bootstrap_value`` ``[B]`` after the batch.

    ``timeout`` needs ``value`` ``[T, B]``, the value estimates of the batch's observations.
    """
    if timeout is not None and value is None:
        raise ValueError("time-limit bootstrapping needs value")
    not_done = 1 - done.to(reward.dtype)
    return_ = torch.empty_like(reward)
    running = bootstrap_value
    for t in reversed(range(len(reward))):
        running = reward[t] + discount * not_done[t] * running
        if timeout is not None:
            running = torch.where(timeout[t].bool(), value[t], running)
        return_[t] = running
    return return_


def generalized_advantage_estimation(
    reward: torch.Tensor,
    value: torch.Tensor,
    done: torch.Tensor,
    bootstrap_value: torch.Tensor,
    discount: float,
    gae_lambda: float,
    timeout: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE(lambda) (Schulman et al. 2016): ``(advantage, return_)``, both ``[T, B]``.

    ``return_ = advantage + value`` is the lambda-return, the value target.
    """
    not_done = 1 - done.to(reward.dtype)
    valid = None if timeout is None else 1 - timeout.to(reward.dtype)
    advantage = torch.empty_like(reward)
    next_value, last_advantage = bootstrap_value, torch.zeros_like(bootstrap_value)
    for t in reversed(range(len(reward))):
        delta = reward[t] + discount * not_done[t] * next_value - value[t]
        last_advantage = delta + discount * gae_lambda * not_done[t] * last_advantage
        if valid is not None:
            last_advantage = last_advantage * valid[t]
        advantage[t] = last_advantage
        next_value = value[t]
    return advantage, advantage + value
