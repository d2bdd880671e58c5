"""Changing a resolved spec by dotted paths, and sweeps: a grid of such changes.

A path such as ``algo.params.learning_rate`` names a key of the resolved spec (every default
filled in), so any parameter can be changed or swept and a misspelt path is an error, never a
new key. Lists are replaced whole (``seeds``, ``model.hidden_sizes``). Every changed spec is
validated again as an ``ExperimentSpec``; errors point at the path that caused them.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from backend.services.errors import InvalidInputError
from engine.spec import ALGORITHMS, ExperimentSpec

Loc = tuple[str | int, ...]


class Variant(NamedTuple):
    """One point of a sweep: its swept values (None without a sweep) and its resolved spec."""

    values: dict[str, Any] | None
    spec: ExperimentSpec


def apply_changes(spec: Mapping[str, Any], changes: Mapping[str, Any], loc: Loc) -> dict[str, Any]:
    """A copy of the resolved ``spec`` with each dotted path of ``changes`` set to its value.

    InvalidInputError at ``(*loc, path)`` for a path that the spec does not have.
    """
    changed = copy.deepcopy(dict(spec))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node: Any = changed
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            raise InvalidInputError.at((*loc, path), f"unknown spec path {path!r}")
        node[leaf] = value
    return changed


def validate_spec(spec: Mapping[str, Any], loc: Loc) -> ExperimentSpec:
    """``spec`` as an ExperimentSpec; InvalidInputError at ``(*loc, dotted field path)``."""
    try:
        return ExperimentSpec.model_validate(spec)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise InvalidInputError(
            [{**error, "loc": [*loc, _dotted(error["loc"])]} for error in errors]
        ) from exc


def _dotted(loc: tuple[str | int, ...]) -> str:
    """A pydantic error location as the dotted path users write (no union tag for ``algo``)."""
    parts = list(loc)
    if len(parts) > 1 and parts[0] == "algo" and parts[1] in ALGORITHMS:
        del parts[1]
    return ".".join(map(str, parts))


def expand(
    spec: ExperimentSpec, sweep: Mapping[str, list[Any]] | None, max_runs: int
) -> list[Variant]:
    """Every variant of the grid ``sweep`` over ``spec`` (just ``spec`` without a sweep).

    InvalidInputError (under ``body.sweep``) for a sweep over ``seeds`` (they are the spec's),
    an unknown path, repeated values, a variant that is no valid spec, or more than
    ``max_runs`` runs (variants x seeds), checked before anything is built.
    """
    if not sweep:
        return [Variant(None, spec)]
    loc: Loc = ("body", "sweep")
    if "seeds" in sweep:
        raise InvalidInputError.at((*loc, "seeds"), "seeds are not swept: set spec.seeds")
    for path, values in sweep.items():
        if len({json.dumps(value, sort_keys=True) for value in values}) != len(values):
            raise InvalidInputError.at((*loc, path), f"repeated values in {values}")
    n_runs = math.prod(len(values) for values in sweep.values()) * len(spec.seeds)
    if n_runs > max_runs:
        raise InvalidInputError.at(
            loc,
            f"the sweep makes {n_runs} runs (variants x {len(spec.seeds)} seeds); "
            f"at most {max_runs} are allowed",
        )
    resolved = spec.model_dump(mode="json")
    paths = list(sweep)
    variants = []
    for combination in itertools.product(*sweep.values()):
        values = dict(zip(paths, combination, strict=True))
        variants.append(Variant(values, validate_spec(apply_changes(resolved, values, loc), loc)))
    return variants
