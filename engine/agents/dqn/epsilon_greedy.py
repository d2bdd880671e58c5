"""The epsilon schedule of Q-learning agents (rlpyt ``agents/dqn/epsilon_greedy.py``)."""

from __future__ import annotations

from typing import Any

from engine.distributions.epsilon_greedy import EpsilonGreedy


class EpsilonGreedyAgentMixin:
    """Sampling epsilon: ``eps_init`` until iteration ``eps_itr_min``, then linear to
    ``eps_final`` at ``eps_itr_max`` and after; evaluation: ``eps_eval`` (1 at iteration 0,
    rlpyt's random-policy baseline).

    The schedule is a function of ``itr`` and of constructor arguments only: parallel samplers
    pickle the agent into their workers before the algorithm is initialised and call
    ``sample_mode(itr)`` / ``eval_mode(itr)`` there, and a resumed run continues it exactly.
    The builder computes ``eps_itr_min = min_steps_learn // (batch_T * batch_B)`` and
    ``eps_itr_max = max(1, eps_steps // (batch_T * batch_B))`` from the algorithm's settings.
    """

    distribution: EpsilonGreedy

    def __init__(
        self,
        *args: Any,
        eps_init: float = 1.0,
        eps_final: float = 0.01,
        eps_eval: float = 0.001,
        eps_itr_min: int = 0,
        eps_itr_max: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.eps_init = eps_init
        self.eps_final = eps_final
        self.eps_eval = eps_eval
        self.eps_itr_min = eps_itr_min
        self.eps_itr_max = max(eps_itr_max, eps_itr_min + 1)

    def sample_epsilon(self, itr: int) -> float:
        progress = min(1.0, max(0, itr - self.eps_itr_min) / (self.eps_itr_max - self.eps_itr_min))
        return progress * self.eps_final + (1 - progress) * self.eps_init

    def sample_mode(self, itr: int) -> None:
        super().sample_mode(itr)  # type: ignore[misc]
        self.distribution.set_epsilon(self.sample_epsilon(itr))

    def eval_mode(self, itr: int) -> None:
        super().eval_mode(itr)  # type: ignore[misc]
        self.distribution.set_epsilon(self.eps_eval if itr > 0 else 1.0)
