"""Asynchronous sampling and optimisation (rlpyt ``runners/async_rl.py``).

Four processes share one replay buffer in shared memory:

* the **optimizer**, the process ``train`` runs in: it allocates the replay and the double
  buffer, starts the others, makes the updates, pushes the new parameters to the sampler
  (a shared-memory copy of the model, a version counter, a read-write lock), logs and
  checkpoints;
* the **sampler** (``async sampler``), with any sampler kind (``serial``, ``cpu``, ``gpu``,
  ``alternating``: their workers are its children): it pulls the newest parameters, collects
  batch ``k`` and copies it into half ``k % 2`` of the double buffer, sends the completed
  trajectories to the optimizer and, in ``AsyncRlEval``, evaluates the agent at every log
  interval;
* two **memory copiers** (``async memory copier 0`` and ``1``): copier ``j`` appends the
  batches of half ``j`` to the replay (``algo.append_samples``) under the replay's write lock,
  then frees the half for the sampler. They pass a turn to each other, so batches reach the
  replay in order (n-step returns and sequences need a continuous ring).

The replay ratio holds in both directions (rlpyt only bounded it from above, its issue #138):
the optimizer makes ``updates_per_optimize`` updates per appended batch, one batch at a time,
so it waits when the sampler falls behind; the sampler starts batch ``k`` only once the
optimizer is done with batch ``k - 2``, so it waits when the optimizer falls behind. The
consumed/generated ratio, logged as ``replay_ratio`` over each log interval, is therefore the
synchronous one's with at most one batch of slack: the sampler collects batch ``k`` while the
optimizer learns from batch ``k - 1``. Run length, logs and checkpoints count sampler batches,
as in ``MinibatchRl``.

Failures: every child follows the optimizer when it dies (``die_with_parent``); a child that
dies or raises ends the run with ``AsyncProcessError`` naming it (with its traceback when it
raised), noticed where the optimizer waits or, if it is blocked on a lock the dead child held,
by a watchdog thread. Replay and double buffer live in torch's shared memory, unlinked at
once, so nothing is left in ``/dev/shm`` even after SIGKILL; the semaphores' names are removed
by their finaliser or, after a SIGKILL, by multiprocessing's resource tracker.

Checkpoints (every ``checkpoint_interval_steps`` and at the end) hold agent, optimiser, replay,
counters and logger; the sampler's environments are not saved, so a resumed run restarts them.
"""

from __future__ import annotations

import copy
import math
import multiprocessing as mp
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from engine.agents.base import BaseAgent
from engine.algos.base import BaseAlgorithm
from engine.checkpoint import Checkpoint
from engine.optim import FlatParameters
from engine.replays.async_ import AsyncReplayBuffer
from engine.runners.minibatch_rl import MinibatchRl, steps_cross, traj_stats
from engine.samplers.base import BaseSampler
from engine.samplers.buffer import build_samples_buffer
from engine.samplers.collections import Samples, TrajInfo
from engine.samplers.parallel.gpu import GpuSampler
from engine.utils.buffer import numpify_buffer
from engine.utils.collections import is_namedtuple
from engine.utils.process import (
    describe_exit,
    die_with_parent,
    first_failure,
    watch_children,
)
from engine.utils.seed import set_seed
from engine.utils.synchronize import RWLock

# Seconds between checks of the quit flag (children) or of the children (optimizer) while
# waiting on a semaphore or the message queue.
POLL_S = 0.5
# How long a dead child's run gets to fail in the optimizer's main thread before the watchdog
# ends the process (only needed when that thread is blocked on a lock the child held).
WATCH_GRACE_S = 5.0
# Seconds children get to finish after the run completes, before they are killed.
JOIN_TIMEOUT_S = 10.0

SAMPLER = "async sampler"


class AsyncProcessError(RuntimeError):
    """A process of an asynchronous run failed; the message names it and says how."""


@dataclass
class AsyncControl:
    """Semaphores and flags the processes of one run share (``spawn`` context)."""

    quit: Any  # RawValue bool: the optimizer ends the run
    ready: list[Any]  # per half: the sampler wrote a batch into it
    copied: list[Any]  # per half: appended to the replay, free for the sampler
    turn: list[Any]  # per half: its copier appends next
    appended: Any  # released once per batch appended to the replay
    optimized: Any  # released once per optimizer iteration (the sampler's throttle)
    params_version: Any  # RawValue int: bumped at every parameter push
    errors: Any  # SimpleQueue of (process name, traceback) from a child that raised

    @classmethod
    def create(cls, ctx: Any, start_itr: int) -> AsyncControl:
        first = start_itr % 2
        return cls(
            quit=ctx.RawValue("b", 0),
            ready=[ctx.Semaphore(0) for _ in range(2)],
            copied=[ctx.Semaphore(1) for _ in range(2)],
            turn=[ctx.Semaphore(int(j == first)) for j in range(2)],
            appended=ctx.Semaphore(0),
            optimized=ctx.Semaphore(0),
            params_version=ctx.RawValue("q", 0),
            errors=ctx.SimpleQueue(),
        )

    def acquire(self, semaphore: Any) -> bool:
        """Wait on ``semaphore`` in a child; False once the run quits."""
        while not semaphore.acquire(timeout=POLL_S):
            if self.quit.value:
                return False
        return True


@dataclass
class SamplerConfig:
    """What the sampler process gets (pickled: shared buffers and the model by handle)."""

    sampler: BaseSampler  # not yet initialized
    agent: BaseAgent  # not yet initialized
    seed: int
    device: torch.device
    start_itr: int
    n_itr: int
    min_itr_learn: int
    batch_size: int
    log_interval_steps: int
    evaluate: bool
    traj_info_kwargs: dict[str, Any]
    double_buffer: list[Samples]  # two [T, B] halves, torch views of shared memory
    shared_model: nn.Module  # parameters in shared memory, written by the optimizer
    params_lock: RWLock
    ctrl: AsyncControl
    messages: Any  # Queue of (itr, traj_infos, eval traj_infos or None)
    parent: int


def _child(name: str, parent: int, ctrl: AsyncControl, body: Callable[[], None]) -> None:
    """Run a child's ``body``; report its traceback to the optimizer if it raises."""
    die_with_parent(parent)
    torch.set_num_threads(1)
    try:
        body()
    except BaseException:
        ctrl.errors.put((name, traceback.format_exc()))
        raise


def sampler_main(config: SamplerConfig) -> None:
    """Entry point of the sampler process."""
    _child(SAMPLER, config.parent, config.ctrl, lambda: _sample(config))


def _sample(c: SamplerConfig) -> None:
    ctrl, agent, sampler = c.ctrl, c.agent, c.sampler
    set_seed(c.seed)
    sampler.initialize(agent, seed=c.seed, traj_info_kwargs=c.traj_info_kwargs)
    agent.to_device(c.device)
    halves = [numpify_buffer(half) for half in c.double_buffer]
    version = 0

    def pull_parameters() -> None:
        nonlocal version
        if ctrl.params_version.value != version:
            with c.params_lock.read_lock():
                version = ctrl.params_version.value
                agent.model.load_state_dict(c.shared_model.state_dict())

    def evaluate(itr: int) -> list[TrajInfo]:
        pull_parameters()
        agent.eval_mode(itr)
        return sampler.evaluate_agent(itr)

    finished = False
    try:
        if c.evaluate and c.start_itr == 0:
            c.messages.put((-1, [], evaluate(0)))
        for itr in range(c.start_itr, c.n_itr):
            half = itr % 2
            if not ctrl.acquire(ctrl.copied[half]):
                return
            # The optimizer must be done with batch itr - 2 (it learns from itr - 1 meanwhile).
            if itr - 2 >= c.min_itr_learn and not ctrl.acquire(ctrl.optimized):
                return
            pull_parameters()
            agent.sample_mode(itr)
            samples, traj_infos = sampler.obtain_samples(itr)
            halves[half][:] = numpify_buffer(samples)
            ctrl.ready[half].release()
            report = steps_cross(itr, c.batch_size, c.log_interval_steps) or itr == c.n_itr - 1
            eval_traj_infos = evaluate(itr) if c.evaluate and report else None
            if traj_infos or report:
                c.messages.put((itr, traj_infos, eval_traj_infos))
        finished = True
    finally:
        if not finished:
            # Stopped early: nobody may read the messages still buffered, and waiting at exit
            # to flush them would hang. A finished sampler flushes them (its exit joins the
            # queue's feeder thread): cancelled there, the last report could be lost and the
            # optimizer would wait for it forever.
            c.messages.cancel_join_thread()
        sampler.shutdown()


def copier_main(
    half: int,
    writer: BaseAlgorithm,
    samples: Samples,
    ctrl: AsyncControl,
    parent: int,
) -> None:
    """Entry point of memory copier ``half``: append each batch of its half of the double
    buffer (``samples``, torch views) to the replay, in turn with the other copier."""

    def copy_batches() -> None:
        while ctrl.acquire(ctrl.ready[half]) and ctrl.acquire(ctrl.turn[half]):
            writer.append_samples(samples)
            ctrl.turn[1 - half].release()
            ctrl.appended.release()
            ctrl.copied[half].release()

    _child(f"async memory copier {half}", parent, ctrl, copy_batches)


def replay_writer(algo: BaseAlgorithm) -> BaseAlgorithm:
    """A copy of ``algo`` for the memory copiers, which only call ``append_samples``: without
    the agent, optimisers and other tensors, which pickling would copy to the copiers for
    nothing (and move the live parameters into shared memory)."""
    writer = copy.copy(algo)
    for name, value in vars(algo).items():
        if _holds_tensors(value):
            setattr(writer, name, None)
    return writer


def _holds_tensors(value: Any) -> bool:
    if isinstance(value, (torch.Tensor, nn.Module, torch.optim.Optimizer, BaseAgent)):
        return True
    if isinstance(value, FlatParameters):
        return True
    if isinstance(value, (list, tuple)) and not is_namedtuple(value):
        return any(_holds_tensors(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_tensors(v) for v in value.values())
    return False


def samples_per_update(algo: BaseAlgorithm) -> int:
    """Replayed samples one update consumes, the numerator of rlpyt's replay ratio: R2D1's
    ``(warmup_T + batch_T) x batch_B`` steps, the others' ``batch_size`` transitions."""
    if hasattr(algo, "warmup_T"):
        return (algo.warmup_T + algo.batch_T) * algo.batch_B
    return int(algo.batch_size)  # type: ignore[attr-defined]


class AsyncRl(MinibatchRl):
    """Sampler, memory copiers and optimizer in their own processes (see the module
    docstring); constructed like ``MinibatchRl``. The algorithm must keep a replay buffer
    (DQN family, R2D1, DDPG, TD3, SAC)."""

    evaluates: ClassVar[bool] = False

    def startup(self, checkpoint: Checkpoint | None = None) -> int:
        """Allocate replay and double buffer in shared memory and set up the optimizer; the
        processes start in ``train``."""
        set_seed(self.seed)
        sampler = self.sampler
        # The sampler process initializes its own copy (envs, model) from scratch.
        self._sampler_agent = copy.deepcopy(self.agent)
        env = sampler.EnvCls(**sampler.env_kwargs)
        self.agent.initialize(env.spaces)
        halves = [
            build_samples_buffer(self.agent, env, sampler.batch_spec, share_memory=True)
            for _ in range(2)
        ]
        env.close()
        self._double_buffer = [samples_pyt for samples_pyt, _, _ in halves]
        examples = halves[0][2]
        self.agent.to_device(self.device)
        self.itr_batch_size = sampler.batch_size
        self.n_itr = n_itr = math.ceil(self.n_steps / self.itr_batch_size)
        self.algo.async_ = True
        self.algo.initialize(
            self.agent, n_itr, sampler.batch_spec, sampler.mid_batch_reset, examples
        )
        self._ctx = mp.get_context("spawn")
        self.algo.replay_buffer = AsyncReplayBuffer(self.algo.replay_buffer, self._ctx)
        self._shared_model = copy.deepcopy(self.agent.model).cpu().share_memory()
        self._params_lock = RWLock(self._ctx)
        self._update_size = samples_per_update(self.algo)
        self.init_diagnostics()
        self._eval_traj_infos: list[TrajInfo] | None = None
        self._children: dict[str, mp.process.BaseProcess] = {}
        self._shutting_down = False
        if checkpoint is not None:
            self.load_state_dict(checkpoint)
        return n_itr

    def train(self, checkpoint: Checkpoint | None = None) -> dict[str, float]:
        n_itr = self.startup(checkpoint)
        start_itr = 0 if checkpoint is None else checkpoint["counters"]["itr"] + 1
        min_itr_learn = self.algo.min_itr_learn  # type: ignore[attr-defined]
        try:
            self._start_processes(start_itr)
            # The optimizer iterations the sampler waits for that happened before the resume.
            for _ in range(max(0, start_itr - max(min_itr_learn, start_itr - 2))):
                self._ctrl.optimized.release()
            if self.evaluates and start_itr == 0:
                self.logger.log(0, self._receive(-1))
                self._last_log = (time.perf_counter(), 0, self.algo.update_counter)
            for itr in range(start_itr, n_itr):
                self._wait(self._ctrl.appended)
                if itr >= min_itr_learn:
                    self.agent.train_mode(itr)
                    opt_info = self.algo.optimize_agent(itr)
                    self._push_parameters()
                    self._ctrl.optimized.release()
                    self.store_diagnostics([], opt_info)
                self.finish_iteration(itr)
        finally:
            self.shutdown()
        return self.summary()

    def _start_processes(self, start_itr: int) -> None:
        ctx = self._ctx
        self._ctrl = ctrl = AsyncControl.create(ctx, start_itr)
        self._messages = ctx.Queue()
        self._push_parameters()
        # Actions are chosen in the sampler process: on the run's GPU only for the samplers
        # that batch all envs' actions there.
        on_gpu = isinstance(self.sampler, GpuSampler) and self.device.type == "cuda"
        config = SamplerConfig(
            sampler=self.sampler,
            agent=self._sampler_agent,
            seed=self.seed,
            device=self.device if on_gpu else torch.device("cpu"),
            start_itr=start_itr,
            n_itr=self.n_itr,
            min_itr_learn=self.algo.min_itr_learn,  # type: ignore[attr-defined]
            batch_size=self.itr_batch_size,
            log_interval_steps=self.log_interval_steps,
            evaluate=self.evaluates,
            traj_info_kwargs=dict(discount=self.algo.discount),
            double_buffer=self._double_buffer,
            shared_model=self._shared_model,
            params_lock=self._params_lock,
            ctrl=ctrl,
            messages=self._messages,
            parent=mp.current_process().pid or 0,
        )
        writer = replay_writer(self.algo)
        parent = config.parent
        processes = {
            SAMPLER: ctx.Process(target=sampler_main, args=(config,), name=SAMPLER),
            **{
                f"async memory copier {j}": ctx.Process(
                    target=copier_main,
                    args=(j, writer, self._double_buffer[j], ctrl, parent),
                    name=f"async memory copier {j}",
                )
                for j in range(2)
            },
        }
        for name, process in processes.items():
            # Daemonic processes may not start children, as parallel samplers do; all follow
            # this process anyway (die_with_parent), and shutdown stops them.
            process.daemon = name != SAMPLER
            process.start()
            self._children[name] = process
            print(f"{name}: pid {process.pid}", flush=True)  # for the log, and to kill one
        threading.Thread(
            target=watch_children,
            args=(
                list(self._children.values()),
                lambda: str(self._failure()),
                lambda: self._shutting_down,
                WATCH_GRACE_S,
            ),
            name="async-watch",
            daemon=True,
        ).start()

    def _push_parameters(self) -> None:
        """Publish the agent's current parameters to the sampler."""
        with self._params_lock.write_lock():
            self._shared_model.load_state_dict(self.agent.model.state_dict())
            self._ctrl.params_version.value += 1

    def _wait(self, semaphore: Any) -> None:
        while not semaphore.acquire(timeout=POLL_S):
            self._check_children()

    def _receive(self, itr: int) -> dict[str, float]:
        """Take the sampler's messages up to batch ``itr``'s (trajectories into the
        diagnostics window); return the evaluation row sent with it (empty if none)."""
        while True:
            try:
                msg_itr, traj_infos, eval_traj_infos = self._messages.get(timeout=POLL_S)
            except queue.Empty:
                self._check_children()
                if self._children[SAMPLER].exitcode == 0 and self._messages.empty():
                    message = f"{SAMPLER} ended without reporting batch {itr}"
                    raise AsyncProcessError(message) from None
                continue
            self.store_diagnostics(traj_infos, {})
            if msg_itr == itr:
                self._eval_traj_infos = eval_traj_infos
                return self._eval_row()

    def log_diagnostics(self, itr: int) -> None:
        self._receive(itr)  # the sampler's episodes and evaluation up to batch itr
        super().log_diagnostics(itr)

    def _eval_row(self) -> dict[str, float]:
        if self._eval_traj_infos is None:
            return {}
        traj_infos = self._eval_traj_infos
        return {**traj_stats(traj_infos, prefix="eval_"), "eval_episodes": len(traj_infos)}

    def diagnostics(self, itr: int) -> dict[str, float]:
        """``MinibatchRl``'s row plus ``replay_ratio``, the samples the updates consumed per
        env step since the last row, and the evaluation the sampler sent with batch ``itr``."""
        row = super().diagnostics(itr)
        _, last_steps, last_updates = self._last_log
        steps = (itr + 1) * self.itr_batch_size - last_steps
        row["replay_ratio"] = (self.algo.update_counter - last_updates) * self._update_size / steps
        row.update(self._eval_row())
        return row

    def _check_children(self) -> None:
        failure = self._failure()
        if failure is not None:
            raise failure

    def _failure(self) -> AsyncProcessError | None:
        """The error naming a child that failed, if one did: one killed by a signal first
        (it may have brought others down), else one that raised, with its traceback."""
        failure = first_failure({name: p.exitcode for name, p in self._children.items()})
        if failure is None:
            return None
        name, code = failure
        tracebacks = {}
        while not self._ctrl.errors.empty():
            child, text = self._ctrl.errors.get()
            tracebacks[child] = text
        detail = f":\n{tracebacks[name]}" if name in tracebacks else ""
        pid = self._children[name].pid
        return AsyncProcessError(f"{name} (pid {pid}) {describe_exit(code)}{detail}")

    def sampler_state_dict(self) -> dict[str, Any]:
        return {}  # the sampler's envs live in its process: a resumed run restarts them

    def load_sampler_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def shutdown(self) -> None:
        """Stop the children (asked through the quit flag, killed if they linger)."""
        self._shutting_down = True
        ctrl = getattr(self, "_ctrl", None)
        if ctrl is not None:
            ctrl.quit.value = 1
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for process in self._children.values():
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self._children.values():
            if process.is_alive():
                process.kill()
                process.join()
        self.logger.close()


class AsyncRlEval(AsyncRl):
    """``AsyncRl`` with offline evaluation in the sampler process, at the start and at every
    log row (``eval_return_mean`` etc., as ``MinibatchRlEval``)."""

    evaluates: ClassVar[bool] = True
