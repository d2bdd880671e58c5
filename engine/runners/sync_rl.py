"""Synchronous data-parallel training (rlpyt ``runners/sync_rl.py``).

``world_size`` ranks each run a full replica of the ``MinibatchRl`` loop (sampler, agent,
algorithm) on their own envs, and every optimiser step uses the gradient averaged over all
ranks (``engine.optim.FlatParameters``: one all-reduce of the flat gradient, gloo on CPU and
NCCL on CUDA). Weak scaling, as rlpyt: each rank keeps the spec's batch sizes, so one
iteration collects ``world_size x batch_T x batch_B`` steps, and ``n_steps`` counts them all.

* Rank 0 is the process that ``train`` runs in; it starts ranks ``1..`` of its node with the
  ``spawn`` method. Each rank builds its replica from the spec, seeds it with
  ``seed + RANK_SEED_STRIDE * rank``, and after the algorithm is initialised takes rank 0's
  agent state (models, target networks, normalisation statistics), as DDP does.
* Observation-normalisation statistics merge every rank's batch moments (all-reduce), so they
  stay identical on every rank; completed trajectories of all ranks are gathered to rank 0,
  which alone logs, evaluates (``SyncRlEval``) and checkpoints.
* Failure: a rank that dies ends the collective operations of the others; rank 0 then raises a
  ``SyncRankError`` naming the rank and how it ended, and every rank's children follow their
  parent (``die_with_parent``). At the end, rank 0 checks that all replicas hold identical
  parameters (``ranks_in_sync`` in the summary).
* Several machines: ``RLBOARD_NNODES`` nodes each run ``python -m engine train`` with their
  ``RLBOARD_NODE_RANK``; all reach the rendezvous at ``RLBOARD_MASTER_ADDR`` and
  ``RLBOARD_MASTER_PORT`` (see docs/DISTRIBUTED.md).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import threading
import traceback
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from engine.checkpoint import Checkpoint
from engine.models.running_mean_std import RunningMeanStd
from engine.runners.minibatch_rl import MinibatchRl, MinibatchRlEval
from engine.samplers.collections import TrajInfo
from engine.utils.process import (
    describe_exit,
    die_with_parent,
    exit_without_finalisation,
    first_failure,
    free_port,
    watch_children,
)

# Collective operations wait this long for a slow rank (rank 0 evaluating, a long checkpoint)
# before failing; a rank that dies is noticed at once, by its closed connections.
COLLECTIVE_TIMEOUT = timedelta(minutes=10)
# How long a dead rank's peers get to fail by themselves before rank 0 stops the run.
WATCH_GRACE_S = 10.0
ERROR_FILE = "error.txt"


class SyncRankError(RuntimeError):
    """A rank of a data-parallel run failed; the message names it and how it ended."""


def rendezvous(world_size: int) -> tuple[str, int, int, int]:
    """``(master_addr, master_port, nnodes, node_rank)`` from ``RLBOARD_*`` variables; a
    single-node run picks a free local port."""
    nnodes = int(os.environ.get("RLBOARD_NNODES", "1"))
    node_rank = int(os.environ.get("RLBOARD_NODE_RANK", "0"))
    if world_size % nnodes:
        raise ValueError(f"world_size {world_size} is not divisible by RLBOARD_NNODES {nnodes}")
    addr = os.environ.get("RLBOARD_MASTER_ADDR", "127.0.0.1")
    port = os.environ.get("RLBOARD_MASTER_PORT")
    if port is None and nnodes > 1:
        raise ValueError("a run over several nodes needs RLBOARD_MASTER_PORT")
    return addr, int(port) if port else free_port(addr), nnodes, node_rank


def shared_tensors(state: Any, prefix: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` of an agent's (nested) state dict, in a fixed order, without the
    recurrent state of each env (``rnn_state``), which is every rank's own."""
    if isinstance(state, torch.Tensor):
        yield prefix, state
    elif isinstance(state, Mapping):
        for key in sorted(state):
            if key != "rnn_state":
                yield from shared_tensors(state[key], f"{prefix}.{key}")
    elif isinstance(state, (list, tuple)):
        for i, item in enumerate(state):
            yield from shared_tensors(item, f"{prefix}.{i}")


def node_first_rank(world_size: int) -> int:
    """The rank of the first process on this machine (``RLBOARD_NODE_RANK`` x ranks per node)."""
    nnodes = int(os.environ.get("RLBOARD_NNODES", "1"))
    return int(os.environ.get("RLBOARD_NODE_RANK", "0")) * (world_size // nnodes)


def run_rank(
    spec_document: dict[str, Any],
    seed: int,
    out_dir: str,
    rank: int,
    addr: str,
    port: int,
    parent: int,
) -> None:
    """Entry point of ranks started by the first rank of their node (a ``spawn`` child of
    process ``parent``)."""
    die_with_parent(parent)
    torch.set_num_threads(1)
    # Imported here: the builder imports this module.
    from engine.build import build_runner
    from engine.spec import ExperimentSpec

    rank_dir = Path(out_dir) / f"rank_{rank}"
    try:
        spec = ExperimentSpec.model_validate(spec_document)
        runner = build_runner(spec, seed, rank_dir, rank=rank)
        assert isinstance(runner, SyncRl)
        runner.master = (addr, port)
        runner.train()
    except BaseException:
        rank_dir.mkdir(parents=True, exist_ok=True)
        (rank_dir / ERROR_FILE).write_text(traceback.format_exc())
        raise
    exit_without_finalisation(0)


#: Whether this process has joined a process group: its end then needs
#: ``exit_without_finalisation``.
process_group_started = False


class SyncRl(MinibatchRl):
    """``MinibatchRl`` replicated over ``world_size`` ranks (see the module docstring).

    ``spec_document`` (the resolved spec) and ``out_dir`` let rank 0 start the other ranks of
    its node; ranks other than 0 get a logger without sinks and no checkpoint directory.
    """

    def __init__(
        self,
        *args: Any,
        world_size: int,
        rank: int = 0,
        spec_document: dict[str, Any],
        out_dir: str | Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.world_size = world_size
        self.rank = rank
        self.spec_document = spec_document
        self.out_dir = Path(out_dir)
        self.master: tuple[str, int] | None = None  # set for ranks started by rank 0
        self._ranks: dict[int, Any] = {}  # rank -> process, the ranks this process started
        self._exitcodes: dict[int, int | None] = {}
        self._completed = False
        self._in_sync = False
        self._shutting_down = False

    def train(self, checkpoint: Checkpoint | None = None) -> dict[str, float]:
        self._completed = False
        try:
            summary = super().train(checkpoint)
        except Exception as exc:
            failure = self._rank_failure()
            if failure is None:
                raise
            raise failure from exc
        if self.rank == 0:
            summary["ranks_in_sync"] = float(self._in_sync)
        return summary

    def startup(self, checkpoint: Checkpoint | None = None) -> int:
        self._start_process_group()
        n_itr = super().startup(checkpoint)
        # Every rank starts from rank 0's agent: models, targets, normalisation statistics.
        for _, tensor in shared_tensors(self.agent.state_dict()):
            dist.broadcast(tensor, src=0)
        for module in self.agent.model.modules():
            if isinstance(module, RunningMeanStd):
                module.reduce_fn = dist.all_reduce
        return n_itr

    def _start_process_group(self) -> None:
        global process_group_started
        process_group_started = True
        device = self.device
        if self.master is None:  # the first rank of its node: start the node's other ranks
            addr, port, nnodes, _ = rendezvous(self.world_size)
            local = self.world_size // nnodes
            self.master = (addr, port)
            ctx = mp.get_context("spawn")
            for rank in range(self.rank + 1, self.rank + local):
                process = ctx.Process(
                    target=run_rank,
                    args=(
                        self.spec_document, self.seed, str(self.out_dir), rank, addr, port,
                        os.getpid(),
                    ),
                    name=f"sync-rank-{rank}",
                    daemon=True,
                )
                process.start()
                self._ranks[rank] = process
            threading.Thread(target=self._watch_ranks, name="sync-rank-watch", daemon=True).start()
        if device.type == "cuda":
            self.device = torch.device("cuda", self.rank % torch.cuda.device_count())
            torch.cuda.set_device(self.device)
        addr, port = self.master
        dist.init_process_group(
            "nccl" if device.type == "cuda" else "gloo",
            init_method=f"tcp://{addr}:{port}",
            rank=self.rank,
            world_size=self.world_size,
            timeout=COLLECTIVE_TIMEOUT,
        )

    def _watch_ranks(self) -> None:
        """Make a dead rank end this process even where no collective notices it (a rank dying
        during the rendezvous leaves the others waiting for it)."""

        def report() -> str:
            self._exitcodes = {r: p.exitcode for r, p in self._ranks.items()}
            return str(self._rank_failure())

        watch_children(
            list(self._ranks.values()), report, lambda: self._shutting_down, WATCH_GRACE_S
        )

    def store_diagnostics(self, traj_infos: list[TrajInfo], opt_info: dict[str, float]) -> None:
        gathered: list[list[TrajInfo] | None] = [None] * self.world_size
        dist.all_gather_object(gathered, traj_infos)
        every_rank = [traj for rank_trajs in gathered for traj in rank_trajs or []]
        super().store_diagnostics(every_rank, opt_info)

    def log_diagnostics(self, itr: int) -> None:
        if self.rank == 0:
            super().log_diagnostics(itr)

    def save_itr_snapshot(self, itr: int) -> None:
        self._completed = itr == self.n_itr - 1  # every rank passes here after each iteration
        # Rank 0's agent and optimiser are every rank's; the other ranks' envs restart fresh
        # on resume (rank 0's continue exactly).
        if self.rank == 0:
            super().save_itr_snapshot(itr)

    def shutdown(self) -> None:
        self._shutting_down = True
        try:
            if dist.is_initialized():
                if self._completed:  # after a failure, collectives would only wait for the dead
                    self._in_sync = self._parameters_agree()
                dist.destroy_process_group()
        finally:
            super().shutdown()
            # How each rank ended, read before any is killed here: the one that failed first
            # must not be confused with those this process stops.
            for process in self._ranks.values():
                process.join(timeout=30 if self._completed else 2)
            self._exitcodes = {rank: p.exitcode for rank, p in self._ranks.items()}
            for process in self._ranks.values():
                if process.is_alive():
                    process.kill()
                    process.join()

    def _parameters_agree(self) -> bool:
        """Whether every rank holds the same agent state (a digest per rank, compared)."""
        digest = hashlib.sha256()
        for name, tensor in shared_tensors(self.agent.state_dict()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        digests: list[str | None] = [None] * self.world_size
        dist.all_gather_object(digests, digest.hexdigest())
        return len(set(digests)) == 1

    def _rank_failure(self) -> SyncRankError | None:
        """The error naming a rank this process started that failed, if one did: one killed
        by a signal first (it brought the others down), else one that raised."""
        failure = first_failure(self._exitcodes)
        if failure is None:
            return None
        rank, code = failure
        error_file = self.out_dir / f"rank_{rank}" / ERROR_FILE
        detail = f":\n{error_file.read_text()}" if code >= 0 and error_file.exists() else ""
        pid = self._ranks[rank].pid
        return SyncRankError(f"sync rank {rank} (pid {pid}) {describe_exit(code)}{detail}")


class SyncRlEval(SyncRl, MinibatchRlEval):
    """``SyncRl`` with ``MinibatchRlEval``'s offline evaluation, run by rank 0 alone."""

    def evaluate(self, itr: int) -> dict[str, float]:
        return super().evaluate(itr) if self.rank == 0 else {}
