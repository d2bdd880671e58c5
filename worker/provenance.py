"""What a worker trains with, recorded on each attempt so that a result can be reproduced:
rlboard's version, the git commit of the worker's checkout, key package versions, the device
and the host."""

from __future__ import annotations

import platform
import socket
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from backend.schemas import Provenance
from backend.settings import REPO_ROOT

PACKAGES = ("torch", "gymnasium", "numpy")


def collect(spec_device: str) -> Provenance:
    """This worker's provenance for a run whose spec asks for ``spec_device``."""
    return Provenance(
        rlboard_version=_version("rlboard"),
        git_commit=git_commit(),
        packages={"python": platform.python_version()} | {name: _version(name) for name in PACKAGES},
        device=resolve_device(spec_device),
        host=socket.gethostname(),
    )


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


@cache
def git_commit() -> str | None:
    """HEAD of the checkout this worker runs from, or None outside a git checkout."""
    if not (REPO_ROOT / ".git").exists():
        return None
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):  # no git installed, or a hung filesystem
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def resolve_device(spec_device: str) -> str:
    """The device the engine will use: as the spec says, and for ``auto`` as engine.build
    decides it (the GPU when there is one)."""
    return _auto_device() if spec_device == "auto" else spec_device


@cache
def _auto_device() -> str:
    import torch  # the worker may load torch; only once, and only for an ``auto`` spec

    return "cuda" if torch.cuda.is_available() else "cpu"
