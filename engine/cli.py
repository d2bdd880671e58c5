"""Command line: ``python -m engine train SPEC [--seed N] [--out DIR]``.

Trains one seed without any server and writes into DIR: ``spec.json`` (the resolved spec),
``progress.csv``, ``metrics.jsonl`` (tailed by the worker) and, at the end, ``summary.json``
(``seed``, ``steps``, ``seconds`` and the last value of every logged key).
Exit code 0 on success; 1 with the traceback on stderr on any error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import torch

from engine.build import build_runner
from engine.logging.sinks import ConsoleSink
from engine.spec import load_spec

# Tiny models gain nothing from intra-op threads, and several runs often share a machine.
TORCH_THREADS = 1


def train(
    spec_path: Path, seed: int | None = None, out_dir: Path | None = None
) -> dict[str, float]:
    """Train one seed of the spec at ``spec_path``; return the summary written to summary.json."""
    spec = load_spec(spec_path)
    seed = spec.seeds[0] if seed is None else seed
    out_dir = Path("runs") / spec.name / f"seed_{seed}" if out_dir is None else out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "spec.json").write_text(json.dumps(spec.model_dump(mode="json"), indent=2))
    torch.set_num_threads(TORCH_THREADS)
    summary = {"seed": seed, **build_runner(spec, seed, out_dir, sinks=[ConsoleSink()]).train()}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine", description="rlboard's RL engine")
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train one seed of an experiment spec")
    train_parser.add_argument("spec", type=Path, help="experiment spec, YAML or JSON")
    train_parser.add_argument(
        "--seed", type=int, default=None, help="default: the spec's first seed"
    )
    train_parser.add_argument(
        "--out", type=Path, default=None, help="default: runs/<name>/seed_<N>"
    )
    args = parser.parse_args(argv)
    try:
        train(args.spec, args.seed, args.out)
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return 1
    return 0
