"""Leading-dimension handling and masked means (rlpyt ``utils/tensor.py``).

Models accept inputs shaped ``[T, B, *shape]``, ``[B, *shape]`` or ``[*shape]``: they fold the
leading dims into one batch dim, compute, and restore the caller's leading dims on the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def infer_leading_dims(tensor: torch.Tensor, dim: int) -> tuple[int, int, int, torch.Size]:
    """Split ``tensor.shape`` into leading dims and the trailing ``dim`` data dims.

    Returns ``(lead_dim, T, B, shape)`` with ``lead_dim`` in {0, 1, 2}, ``T = B = 1`` where the
    dim is absent, and ``shape`` the trailing ``dim`` dims.
    """
    lead_dim = tensor.dim() - dim
    if lead_dim not in (0, 1, 2):
        raise ValueError(
            f"expected 0, 1 or 2 leading dims before {dim} data dims, got {tuple(tensor.shape)}"
        )
    T, B = 1, 1
    if lead_dim == 2:
        T, B = tensor.shape[:2]
    elif lead_dim == 1:
        B = tensor.shape[0]
    return lead_dim, T, B, tensor.shape[lead_dim:]


def restore_leading_dims(
    tensors: torch.Tensor | Sequence[torch.Tensor], lead_dim: int, T: int = 1, B: int = 1
) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """Reshape outputs computed on ``[T * B, ...]`` back to ``lead_dim`` leading dims."""
    is_seq = isinstance(tensors, (tuple, list))
    tensors = tuple(tensors) if is_seq else (tensors,)
    if lead_dim == 2:
        tensors = tuple(t.view((T, B) + t.shape[1:]) for t in tensors)
    elif lead_dim == 0:
        assert B == 1, "a [*shape] input folds to a batch of one"
        tensors = tuple(t.squeeze(0) for t in tensors)
    return tensors if is_seq else tensors[0]


def valid_mean(tensor: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean of ``tensor`` over the entries where ``valid`` is 1 (all if ``valid`` is None)."""
    if valid is None:
        return tensor.mean()
    return (tensor * valid).sum() / valid.sum().clamp(min=1)
