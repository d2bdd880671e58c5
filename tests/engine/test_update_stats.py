"""UpdateStats: the per-update diagnostics an optimize_agent call averages into opt_info."""

from __future__ import annotations

import pytest
import torch

from engine.algos.base import UpdateStats


def test_means_of_keys_logged_at_every_update() -> None:
    stats = UpdateStats()
    assert stats.means() == {}
    weight = torch.tensor(2.0, requires_grad=True)
    for update in range(4):
        stats.add({"loss": weight * update, "q_mean": torch.tensor([10.0 + update]).squeeze()})
    assert stats.means() == pytest.approx({"loss": 3.0, "q_mean": 11.5})


def test_a_key_logged_at_some_updates_is_averaged_over_those() -> None:
    """TD3 logs its policy loss only at its delayed policy updates."""
    stats = UpdateStats()
    for update in range(4):
        step = {"q_loss": torch.tensor(float(update))}
        if update % 2 == 1:
            step["mu_loss"] = torch.tensor(-float(update))
        stats.add(step)
    assert stats.means() == pytest.approx({"q_loss": 1.5, "mu_loss": -2.0})
