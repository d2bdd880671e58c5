"""What the launch form offers, read from the spec module so the form follows the engine."""

from __future__ import annotations

import logging
from functools import cache
from typing import get_args

import ale_py
import gymnasium
import yaml

from backend.schemas import AlgorithmInfo, Catalog, PresetInfo
from engine.spec import (
    ALGORITHMS,
    PRESET_PREFIX,
    ExperimentSpec,
    RunnerSpec,
    SamplerSpec,
    load_spec,
    preset_names,
)

logger = logging.getLogger(__name__)

# Gymnasium's own families worth suggesting: their dependencies come with rlboard.
SUGGESTED_GYMNASIUM_MODULES = (
    "gymnasium.envs.classic_control",
    "gymnasium.envs.toy_text",
    "gymnasium.envs.mujoco",
)


@cache
def build_catalog() -> Catalog:
    """Algorithms with their parameter schemas and defaults, samplers, runners, suggested
    environment ids, the presets and the spec's JSON Schema. Built once: it only changes
    with the code."""
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
        presets=presets(),
        spec_schema=ExperimentSpec.model_json_schema(),
    )


def presets() -> list[PresetInfo]:
    """Every preset the engine ships that validates, with its resolved spec, by name. One
    that does not validate (or cannot be read) is left out with a warning, so a broken
    preset file never takes the catalog down."""
    found = []
    for name in preset_names():
        try:
            spec = load_spec(PRESET_PREFIX + name)
        except (ValueError, OSError, yaml.YAMLError) as error:  # ValidationError is a ValueError
            logger.warning("preset %s left out of the catalog: %s", name, error)
            continue
        found.append(
            PresetInfo(
                name=name,
                algorithm=spec.algo.name,
                env_id=spec.env.id,
                spec=spec.model_dump(mode="json"),
            )
        )
    return found


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
