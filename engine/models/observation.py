"""Observations as model inputs: flattening structured observations into one feature vector."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch

from engine.utils.collections import is_namedtuple
from engine.utils.tensor import infer_leading_dims


def _leaves(observation: Any, shape: Any) -> Iterator[tuple[torch.Tensor, tuple[int, ...]]]:
    if is_namedtuple(shape):
        for obs, sub_shape in zip(observation, shape):
            yield from _leaves(obs, sub_shape)
    else:
        yield observation, tuple(shape)


def observation_size(observation_shape: Any) -> int:
    """Features of a flattened observation of ``observation_shape``: a shape's product, or for
    a ``Composite`` space's namedtuple of shapes, the sum over its (nested) fields."""
    if is_namedtuple(observation_shape):
        return sum(observation_size(shape) for shape in observation_shape)
    return math.prod(observation_shape)


def flatten_observation(
    observation: Any, observation_shape: Any
) -> tuple[torch.Tensor, int, int, int]:
    """Fold leading dims and flatten: ``[T, B | B | (), *shape] -> [T * B, observation_size]``.

    ``observation`` is a tensor or a namedarraytuple of tensors (``Composite`` spaces), whose
    fields are concatenated in field order. Every field becomes float32; integer fields
    (``Discrete`` and the like) enter as their values, not one-hot, as the shape does not carry
    the number of categories. Returns ``(x, lead_dim, T, B)`` for ``restore_leading_dims``.
    """
    leaves = list(_leaves(observation, observation_shape))
    lead_dim, T, B, _ = infer_leading_dims(leaves[0][0], len(leaves[0][1]))
    flat = [obs.reshape(T * B, -1).float() for obs, _ in leaves]
    return (flat[0] if len(flat) == 1 else torch.cat(flat, dim=-1)), lead_dim, T, B
