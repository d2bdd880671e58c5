"""Gymnasium spaces as the engine sees them (rlpyt ``spaces/``, ``GymSpaceWrapper``).

Leaf spaces (``Discrete``, ``Box``, ``MultiDiscrete``, ``MultiBinary``) stay gymnasium spaces,
except that float64 ``Box`` becomes float32 (the dtype of the models and sample buffers).
``Dict`` and ``Tuple`` become ``Composite`` spaces whose values are namedarraytuples, so that
buffers, indexing and torch conversion treat a structured observation like any other:
``Dict`` fields are its keys in gymnasium's (sorted) order, ``Tuple`` fields are ``f0, f1, ...``.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from engine.utils.collections import namedarraytuple

LEAF_SPACES = (spaces.Discrete, spaces.Box, spaces.MultiDiscrete, spaces.MultiBinary)


class Composite(gymnasium.Space):
    """A namedarraytuple of sub-spaces (rlpyt ``Composite``).

    ``sample()`` and ``contains`` work on instances of ``NamedArrayTupleCls``; ``shape`` is the
    namedarraytuple of the sub-spaces' shapes, which is what models receive as
    ``observation_shape`` (see ``engine.models.observation.flatten_observation``).
    """

    def __init__(self, spaces: Sequence[gymnasium.Space], NamedArrayTupleCls: type) -> None:
        super().__init__()
        self.spaces = tuple(spaces)
        self.NamedArrayTupleCls = NamedArrayTupleCls

    @property
    def shape(self) -> tuple:  # type: ignore[override]
        return self.NamedArrayTupleCls(*(space.shape for space in self.spaces))

    @property
    def is_np_flattenable(self) -> bool:
        return all(space.is_np_flattenable for space in self.spaces)

    def seed(self, seed: int | None = None) -> list[int]:
        """Seed every sub-space from one generator, so a seed fixes all of their samples."""
        rng = np.random.default_rng(seed)
        return [space.seed(int(rng.integers(2**31))) for space in self.spaces]

    def sample(self, mask: Any = None, probability: Any = None) -> tuple:
        return self.NamedArrayTupleCls(*(space.sample() for space in self.spaces))

    def contains(self, x: Any) -> bool:
        return (
            isinstance(x, self.NamedArrayTupleCls)
            and all(space.contains(v) for space, v in zip(self.spaces, x))
        )

    def __repr__(self) -> str:
        names = self.NamedArrayTupleCls._fields
        fields = ", ".join(f"{name}: {space}" for name, space in zip(names, self.spaces))
        return f"Composite({self.NamedArrayTupleCls.__name__}({fields}))"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Composite)
            and self.NamedArrayTupleCls is other.NamedArrayTupleCls
            and self.spaces == other.spaces
        )


def _field_name(key: Any) -> str:
    """A namedtuple field name for a ``Dict`` key: other characters become ``_`` (rlpyt #127)."""
    name = re.sub(r"\W", "_", str(key))
    if not name or name[0].isdigit() or name[0] == "_" or keyword.iskeyword(name):
        name = "k" + name
    return name


class GymSpaceWrapper:
    """Converts values between a gymnasium space and its engine ``space`` (rlpyt's wrapper).

    ``convert``: gymnasium value -> engine value (observations). ``revert``: engine value ->
    gymnasium value (actions); ``Box`` actions are clipped to the bounds, as policies such as
    Gaussians sample outside them.
    """

    def __init__(self, gym_space: gymnasium.Space, name: str) -> None:
        self.gym_space = gym_space
        self._children: list[GymSpaceWrapper] = []
        self._keys: list[Any] = []
        if isinstance(gym_space, (spaces.Dict, spaces.Tuple)):
            if isinstance(gym_space, spaces.Dict):
                self._keys = list(gym_space.spaces)
                fields = [_field_name(key) for key in self._keys]
            else:
                self._keys = list(range(len(gym_space.spaces)))
                fields = [f"f{i}" for i in self._keys]
            if len(set(fields)) != len(fields):
                raise ValueError(f"keys of {gym_space} collide as field names {fields}")
            self._children = [
                GymSpaceWrapper(gym_space[key], f"{name}_{field}")
                for key, field in zip(self._keys, fields)
            ]
            self.space: gymnasium.Space = Composite(
                [child.space for child in self._children], namedarraytuple(name, fields)
            )
        elif isinstance(gym_space, spaces.Box) and gym_space.dtype == np.float64:
            self.space = spaces.Box(
                gym_space.low.astype(np.float32),
                gym_space.high.astype(np.float32),
                dtype=np.float32,
            )
        elif isinstance(gym_space, LEAF_SPACES):
            self.space = gym_space
        else:
            raise NotImplementedError(
                f"{name}: {type(gym_space).__name__} spaces are not supported "
                "(Discrete, Box, MultiDiscrete, MultiBinary, Dict and Tuple are)"
            )
        # Per-step hot path: a leaf's conversions, specialised once (same results as the
        # generic methods below, without their per-call branching and attribute lookups).
        if not self._children:
            as_engine = functools.partial(np.asarray, dtype=self.space.dtype)
            self.convert = as_engine  # type: ignore[method-assign]
            if isinstance(gym_space, spaces.Discrete):
                # A numpy scalar of the space's dtype, as ``Discrete.sample()`` gives (and
                # gymnasium's vector envs pass): cheaper for the env than a 0-d array.
                self.revert = gym_space.dtype.type  # type: ignore[method-assign]
            elif not isinstance(gym_space, spaces.Box):
                as_gym = functools.partial(np.asarray, dtype=gym_space.dtype)
                self.revert = as_gym  # type: ignore[method-assign]

    def convert(self, value: Any) -> Any:
        """A gymnasium value as a numpy array of the engine space's dtype, or a namedarraytuple."""
        if self._children:
            cls = self.space.NamedArrayTupleCls
            return cls(*(c.convert(value[k]) for c, k in zip(self._children, self._keys)))
        return np.asarray(value, dtype=self.space.dtype)

    def revert(self, value: Any) -> Any:
        """An engine value (numpy, or a namedarraytuple of them) as the gymnasium space takes it."""
        if self._children:
            values = [child.revert(v) for child, v in zip(self._children, value)]
            if isinstance(self.gym_space, spaces.Dict):
                return dict(zip(self._keys, values))
            return tuple(values)
        space = self.gym_space
        if isinstance(space, spaces.Box):
            return np.clip(value, space.low, space.high).astype(space.dtype, copy=False)
        return np.asarray(value, dtype=space.dtype)
