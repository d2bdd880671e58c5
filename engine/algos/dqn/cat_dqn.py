"""Distributional DQN, C51 (Bellemare et al. 2017; rlpyt ``algos/dqn/cat_dqn.py``).

With ``double_dqn``, a dueling model, ``prioritized_replay`` and ``n_step_return`` 3 it is
rlpyt's "Rainbow minus noisy nets" (config ``ernbw``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from engine.agents.dqn.cat_dqn_agent import CatDqnAgent
from engine.algos.dqn.dqn import DQN
from engine.samplers.collections import BatchSpec
from engine.utils.tensor import valid_mean

EPS = 1e-6  # keeps logs finite where a projected probability is 0


def project_distribution(
    target_p: torch.Tensor, return_: torch.Tensor, next_discount: torch.Tensor, z: torch.Tensor
) -> torch.Tensor:
    """Project the distribution of ``return_ + next_discount * Z`` onto the atoms ``z``.

    ``target_p [B, P]``: probabilities of the next state's return on ``z [P]`` (evenly spaced
    from ``V_min`` to ``V_max``); ``return_ [B]``: n-step returns; ``next_discount [B]``:
    ``discount ** n`` (0 after a done). Each shifted atom, clipped to ``[V_min, V_max]``, splits
    its mass between its two neighbouring atoms in proportion to closeness. Returns ``[B, P]``.
    """
    delta_z = z[1] - z[0]
    next_z = (return_.unsqueeze(1) + next_discount.unsqueeze(1) * z).clamp(z[0], z[-1])  # [B, P']
    # weight of shifted atom j on atom i: max(0, 1 - |next_z_j - z_i| / delta_z), [B, P, P']
    weights = (1 - (next_z.unsqueeze(1) - z.view(1, -1, 1)).abs() / delta_z).clamp(min=0)
    return (weights * target_p.unsqueeze(1)).sum(dim=-1)


class CategoricalDQN(DQN):
    """C51: the return distribution on ``n_atoms`` atoms from ``V_min`` to ``V_max`` (the
    agent's ``n_atoms``, 51), trained by cross-entropy to the projected n-step target
    distribution. Priorities are the KL divergence from target to prediction. Every other
    parameter is ``DQN``'s."""

    agent: CatDqnAgent

    def __init__(self, V_min: float = -10.0, V_max: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.V_min = V_min
        self.V_max = V_max

    def initialize(
        self,
        agent: CatDqnAgent,
        n_itr: int,
        batch_spec: BatchSpec,
        mid_batch_reset: bool,
        examples: Mapping[str, Any],
    ) -> None:
        if (agent.V_min, agent.V_max) != (self.V_min, self.V_max):
            raise ValueError(
                f"the agent's atoms span [{agent.V_min}, {agent.V_max}], the algorithm's "
                f"[{self.V_min}, {self.V_max}]"
            )
        super().initialize(agent, n_itr, batch_spec, mid_batch_reset, examples)
        self.z = torch.linspace(self.V_min, self.V_max, agent.n_atoms, device=agent.device)

    def loss(self, samples: Any) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Cross-entropy of the predicted distribution of ``(s_t, a_t)`` to the projected target
        ``return_ + (1 - done_n) discount^n Z_target(s_{t+n}, a*)``, ``a*`` greedy in the
        target's (or, under ``double_dqn``, the online net's) mean. Weighted by ``is_weights``
        under prioritized replay; transitions cut by a time limit are masked out. Returns
        ``(loss, priorities = KL(target || prediction), stats)``."""
        agent, z = self.agent, self.z
        device = agent.device
        action = samples.action.to(device)
        return_, done_n = samples.return_.to(device), samples.done_n.to(device)
        if self.double_dqn:  # one forward pass of the online net for both inputs
            both = [torch.cat(pair) for pair in zip(samples.agent_inputs, samples.target_inputs)]
            logits, next_logits = agent(*both).split(len(action))
        else:
            logits = agent(*samples.agent_inputs)  # [B, A, P]
        arange = torch.arange(len(action), device=device)
        log_p = F.log_softmax(logits[arange, action], dim=-1)  # [B, P]
        with torch.no_grad():
            target_ps = torch.softmax(agent.target(*samples.target_inputs), dim=-1)  # [B, A, P]
            next_ps = torch.softmax(next_logits, dim=-1) if self.double_dqn else target_ps
            next_a = torch.tensordot(next_ps, z, dims=1).argmax(dim=-1)
            next_discount = (1 - done_n) * (self.discount**self.n_step_return)
            target_p = project_distribution(target_ps[arange, next_a], return_, next_discount, z)
        losses = -(target_p * log_p).sum(dim=-1)
        if self.prioritized_replay:
            losses = losses * samples.is_weights.to(device)
        valid = 1 - samples.timeout_n.to(device) if "timeout_n" in samples._fields else None
        loss = valid_mean(losses, valid)
        with torch.no_grad():
            kl = (target_p * (target_p.clamp(min=EPS).log() - log_p)).sum(dim=-1)
            priorities = kl.clamp(EPS, 1 / EPS)
            if valid is not None:
                priorities = priorities * valid
            q = (log_p.exp() * z).sum(dim=-1)
            stats = dict(kl=valid_mean(kl, valid), q_mean=valid_mean(q, valid))
        return loss, priorities, stats
