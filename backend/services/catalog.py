"""What the launch form offers, read from the spec module so the form follows the engine."""

from __future__ import annotations

from functools import cache
from typing import get_args

import ale_py
import gymnasium

from backend.schemas import AlgorithmInfo, Catalog
from engine.spec import ALGORITHMS, ExperimentSpec, RunnerSpec, SamplerSpec

# Gymnasium's own families worth suggesting: their dependencies come with rlboard.
SUGGESTED_GYMNASIUM_MODULES = (
    "gymnasium.envs.classic_control",
    "gymnasium.envs.toy_text",
    "gymnasium.envs.mujoco",
)


@cache
def build_catalog() -> Catalog:
    """Algorithms with their parameter schemas and defaults, samplers, runners, suggested
    environment ids and the spec's JSON Schema. Built once: it only changes with the code."""
    return Catalog(
        algorithms=[
            AlgorithmInfo(
                name=name,
                family=family,
                params_schema=params.model_json_schema(),
                defaults=params().model_dump(mode="json"),
            )
            for name, (family, params) in ALGORITHMS.items()
        ],
        samplers=list(get_args(SamplerSpec.model_fields["kind"].annotation)),
        runners=list(get_args(RunnerSpec.model_fields["kind"].annotation)),
        environments=suggested_environments(),
        spec_schema=ExperimentSpec.model_json_schema(),
    )


def suggested_environments() -> list[str]:
    """Sorted ids: the newest version of each environment of the suggested gymnasium families,
    and the Atari games under their current ``ALE/`` ids."""
    gymnasium.register_envs(ale_py)
    newest: dict[tuple[str | None, str], gymnasium.envs.registration.EnvSpec] = {}
    for spec in gymnasium.envs.registry.values():
        if spec.namespace != "ALE" and not (
            isinstance(spec.entry_point, str)
            and spec.entry_point.startswith(SUGGESTED_GYMNASIUM_MODULES)
        ):
            continue
        family = (spec.namespace, spec.name)
        if family not in newest or (spec.version or 0) > (newest[family].version or 0):
            newest[family] = spec
    return sorted(spec.id for spec in newest.values())
