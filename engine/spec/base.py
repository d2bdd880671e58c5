"""The base of every spec section (torch-free, like the whole ``engine.spec`` package), and the
bounds on the free-form JSON a spec may carry (``env.kwargs``)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

#: Upper bounds of algorithm parameters: far above any sensible value, they keep one spec
#: from asking a worker for unbounded memory (replays, batches) or time (schedules).
MAX_STEPS = 10**11  # environment steps, as runner.n_steps
MAX_BATCH = 65_536  # samples or sequences per update
MAX_REPLAY = 10**8  # replay capacity
MAX_UPDATES = 10**9  # counts of updates or epochs

#: Free-form JSON (env.kwargs, sweep values): at most this deep, this many values in all, and
#: strings (keys included) at most this long.
MAX_JSON_DEPTH = 8
MAX_JSON_NODES = 1000
MAX_JSON_STRING = 10_000


def check_text(value: str) -> str:
    """``value`` unless it holds a NUL character, which no database text column can store."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return value


def check_json(value: Any) -> Any:
    """``value`` if it is JSON within the bounds above (no NaN or infinity, no NUL in text),
    else ValueError saying which bound and where."""
    nodes = 0

    def walk(node: Any, depth: int, where: str) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise ValueError(f"more than {MAX_JSON_NODES} values")
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels at {where or 'top'}")
        if isinstance(node, str):
            if len(node) > MAX_JSON_STRING:
                raise ValueError(f"a string longer than {MAX_JSON_STRING} characters at {where}")
            check_text(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError(f"{node} at {where or 'top'}: only finite numbers are JSON")
        elif isinstance(node, dict):
            for key, item in node.items():
                walk(key, depth + 1, f"{where}.{key}" if where else str(key))
                walk(item, depth + 1, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, depth + 1, f"{where}[{index}]")

    walk(value, 0, "")
    return value


class Section(BaseModel):
    """Unknown keys are errors, so a typo in a parameter name never silently uses a default.
    Numbers must be finite (JSON has no NaN or infinity; Python's parser takes them) and text
    free of NUL characters."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return check_text(value) if isinstance(value, str) else value
