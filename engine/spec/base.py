"""The base of every spec section (torch-free, like the whole ``engine.spec`` package)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Unknown keys are errors, so a typo in a parameter name never silently uses a default."""

    model_config = ConfigDict(extra="forbid")
