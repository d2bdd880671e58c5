"""Command line: ``python -m engine train SPEC [--seed N] [--out DIR] [--resume]``.

Trains one seed without any server and writes into DIR: ``spec.json`` (the resolved spec),
``progress.csv``, ``metrics.jsonl`` (tailed by the worker), ``checkpoint.pt`` (see
``engine.checkpoint``) and, at the end, ``summary.json`` (``seed``, ``steps``, ``seconds`` and
the last value of every logged key).

``--resume`` continues the run in DIR from its checkpoint: ``progress.csv`` and
``metrics.jsonl`` keep their rows up to the checkpoint's step and the rows after it are logged
again (the same values for a serial run; the backend ignores re-sent (run, key, step) points).
Without a checkpoint it starts afresh, saying so; on a finished run (``summary.json``) it
does nothing. Without ``--resume``, a previous run's checkpoint and summary in DIR are removed.
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
from engine.checkpoint import CHECKPOINT_NAME, load_checkpoint, remove_checkpoints
from engine.logging.sinks import ConsoleSink
from engine.spec import load_spec

# Tiny models gain nothing from intra-op threads, and several runs often share a machine.
TORCH_THREADS = 1


def train(
    spec_path: Path, seed: int | None = None, out_dir: Path | None = None, resume: bool = False
) -> dict[str, float]:
    """Train one seed of the spec at ``spec_path``, or with ``resume`` continue it from the
    checkpoint in ``out_dir``; return the summary written to summary.json."""
    spec = load_spec(spec_path)
    seed = spec.seeds[0] if seed is None else seed
    out_dir = Path("runs") / spec.name / f"seed_{seed}" if out_dir is None else out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_path = out_dir / "summary.json"
    checkpoint = None
    if resume:
        if summary_path.exists():
            print(f"{out_dir} holds a finished run: nothing to resume", flush=True)
            return json.loads(summary_path.read_text())
        checkpoint = load_checkpoint(out_dir)
        if checkpoint is None:
            print(f"no {CHECKPOINT_NAME} in {out_dir}: starting from scratch", flush=True)
        else:
            step = checkpoint["counters"]["cum_steps"]
            print(f"resuming from {out_dir / CHECKPOINT_NAME} at step {step}", flush=True)
    if checkpoint is None:
        # Left by an earlier run in this folder, they would pass for this run's own.
        remove_checkpoints(out_dir)
        summary_path.unlink(missing_ok=True)
    (out_dir / "spec.json").write_text(json.dumps(spec.model_dump(mode="json"), indent=2))
    torch.set_num_threads(TORCH_THREADS)
    resume_step = None if checkpoint is None else checkpoint["counters"]["cum_steps"]
    runner = build_runner(spec, seed, out_dir, sinks=[ConsoleSink()], resume_step=resume_step)
    summary = {"seed": seed, **runner.train(checkpoint)}
    summary_path.write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["evaluate"]:  # its own options and help: engine.evaluate
        from engine.evaluate import main as evaluate_main

        return evaluate_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m engine", description="rlboard's RL engine")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("evaluate", help="play a checkpoint's agent (see engine.evaluate)")
    train_parser = commands.add_parser("train", help="train one seed of an experiment spec")
    train_parser.add_argument(
        "spec", type=Path, help="experiment spec, YAML or JSON, or preset:NAME"
    )
    train_parser.add_argument(
        "--seed", type=int, default=None, help="default: the spec's first seed"
    )
    train_parser.add_argument(
        "--out", type=Path, default=None, help="default: runs/<name>/seed_<N>"
    )
    train_parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its checkpoint (start afresh if it has none)",
    )
    args = parser.parse_args(argv)
    try:
        train(args.spec, args.seed, args.out, args.resume)
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return 1
    return 0
