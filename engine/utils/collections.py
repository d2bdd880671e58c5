"""namedarraytuple: a namedtuple of arrays that is indexed like one array (rlpyt's core structure).

``Samples(agent=AgentSamples(...), env=EnvSamples(...))[t, b]`` indexes every leaf array at
``[t, b]`` and returns the same structure, so buffers, minibatches and single steps share one
type. Assignment broadcasts a scalar to every field, or assigns a matching structure field-wise.

Pickling (``spawn`` start method, saved buffers): the classes pickle by schema, as
``namedarraytuple(typename, fields)``, not by module attribute, so a class made at run time (e.g.
from an environment's info namedtuple) needs no importable name, and instances pickle as usual.
The factory caches classes by schema, so the receiving process gets the very class it already
uses (rlpyt answered issue #99 with a parallel set of schema classes; here it is one class).
"""

from __future__ import annotations

import copyreg
from collections import namedtuple
from collections.abc import Iterable, Iterator
from typing import Any

RESERVED_NAMES = ("get", "items")

_CLASSES: dict[tuple[str, tuple[str, ...]], type] = {}


class NamedArrayTupleMeta(type):
    """Metaclass of namedarraytuple classes; it exists so that pickle can rebuild them."""


class NamedArrayTupleMixin:
    """Methods shared by every namedarraytuple class; mixed in before the namedtuple base."""

    __slots__ = ()
    _fields: tuple[str, ...]

    def __getitem__(self, loc: Any) -> Any:
        """Index every field (recursively) with ``loc``; ``None`` fields stay ``None``."""
        values = []
        for field, s in zip(self._fields, self):
            try:
                values.append(None if s is None else s[loc])
            except IndexError as exc:
                raise IndexError(f"{type(self).__name__}.{field}: {exc}") from exc
        return type(self)(*values)

    def __setitem__(self, loc: Any, value: Any) -> None:
        """Assign ``value`` at ``loc`` in every field.

        A value with the same fields is assigned field-wise (recursively); anything else (a
        scalar, an array) is broadcast to every field. ``None`` on either side is skipped.
        """
        if not (isinstance(value, tuple) and getattr(value, "_fields", None) == self._fields):
            value = tuple(None if s is None else value for s in self)
        for field, s, v in zip(self._fields, self, value):
            if s is None or v is None:
                continue
            try:
                s[loc] = v
            except (ValueError, IndexError, TypeError) as exc:
                raise type(exc)(f"{type(self).__name__}.{field}: {exc}") from exc

    def __contains__(self, key: object) -> bool:
        """Field-name membership (``"bootstrap_value" in agent_samples``), not value membership."""
        return key in self._fields

    def get(self, index: int) -> Any:
        """Plain tuple indexing, which ``[]`` no longer gives."""
        return tuple.__getitem__(self, index)

    def items(self) -> Iterator[tuple[str, Any]]:
        return zip(self._fields, self)


def namedarraytuple(typename: str, field_names: str | Iterable[str]) -> type:
    """Return the namedarraytuple class ``typename`` with ``field_names`` (cached per schema).

    Field names follow namedtuple rules; ``get`` and ``items`` are reserved for methods.
    """
    if isinstance(field_names, str):
        field_names = field_names.replace(",", " ").split()
    fields = tuple(field_names)
    key = (typename, fields)
    cls = _CLASSES.get(key)
    if cls is None:
        reserved = set(fields).intersection(RESERVED_NAMES)
        if reserved:
            raise ValueError(f"namedarraytuple field names {sorted(reserved)} are reserved")
        base = namedtuple(typename, fields)
        cls = NamedArrayTupleMeta(typename, (NamedArrayTupleMixin, base), {"__slots__": ()})
        cls.__module__ = __name__
        _CLASSES[key] = cls
    return cls


def namedarraytuple_like(example: tuple | type) -> type:
    """The namedarraytuple class with the name and fields of a namedtuple (class or instance)."""
    cls = example if isinstance(example, type) else type(example)
    if is_namedarraytuple_class(cls):
        return cls
    if is_namedtuple_class(cls):
        return namedarraytuple(cls.__name__, cls._fields)
    raise TypeError(f"expected a namedtuple, got {cls!r}")


def is_namedtuple_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")


def is_namedtuple(obj: Any) -> bool:
    return is_namedtuple_class(type(obj))


def is_namedarraytuple_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, NamedArrayTupleMixin)


def is_namedarraytuple(obj: Any) -> bool:
    return isinstance(obj, NamedArrayTupleMixin)


copyreg.pickle(NamedArrayTupleMeta, lambda cls: (namedarraytuple, (cls.__name__, cls._fields)))
