"""What the parallel samplers share: worker processes, shared buffers, failure handling.

Start method: ``forkserver`` by default, ``spawn`` on request; never ``fork``. Forking the
master would copy a process whose torch (OpenMP/MKL) thread pools may be running, which is how
rlpyt's forked workers could hang. The fork server is a fresh single-threaded process that
imports the worker module once (``set_forkserver_preload``), so each worker then starts in
milliseconds instead of importing torch and gymnasium anew (about 2 s here, with ``spawn``).
Under both methods everything a worker gets is pickled: shared buffers travel as torch tensors,
which torch passes by handle to the same memory.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, ClassVar

import numpy as np

from engine.agents.base import BaseAgent
from engine.samplers.base import BaseSampler
from engine.samplers.buffer import build_samples_buffer, build_step_buffer
from engine.samplers.collectors import decorrelation_steps
from engine.samplers.parallel.worker import WorkerConfig, worker_main
from engine.utils.affinity import Affinity, apply_affinity, make_affinity
from engine.utils.buffer import torchify_buffer
from engine.utils.process import describe_exit

# Seconds a worker gets to quit cleanly at shutdown before it is terminated.
SHUTDOWN_TIMEOUT_S = 5.0
# Seconds between liveness checks of the workers while the master waits on a semaphore.
WORKER_POLL_S = 0.2


class WorkerError(RuntimeError):
    """A sampler worker failed or died; the message names it and says how."""


def split(n: int, parts: int, start: int = 0) -> list[slice]:
    """``parts`` contiguous slices covering ``start .. start + n``, sizes differing by <= 1."""
    bounds = start + np.linspace(0, n, parts + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


class ParallelSamplerBase(BaseSampler):
    """Steps environments in worker processes that write into shared ``[T, B]`` buffers.

    ``affinity``: the cores of master and workers (default: ``make_affinity`` for this machine,
    one worker per available core, at most one per env). Workers are split into
    ``n_groups`` groups that each step a contiguous block of the B envs (two for the
    ``AlternatingSampler``); within a group the envs are shared out as evenly as possible.
    Eval envs are shared out over all workers, at least one each (``eval_n_envs`` is raised
    to the number of workers if smaller, as in rlpyt).
    """

    n_groups: ClassVar[int] = 1
    workers_act: ClassVar[bool]  # whether workers choose actions (own agent) or the master does

    def __init__(
        self,
        *args: Any,
        affinity: Affinity | None = None,
        start_method: str = "forkserver",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if start_method not in ("forkserver", "spawn"):
            raise ValueError(f"start_method must be forkserver or spawn, got {start_method!r}")
        self.affinity = affinity
        self.start_method = start_method
        self.processes: list[mp.process.BaseProcess] = []
        self.conns: list[Connection] = []
        self._failed = False  # after a worker failed, the others may be blocked mid-batch

    def initialize(
        self,
        agent: BaseAgent,
        seed: int,
        bootstrap_value: bool = False,
        traj_info_kwargs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        B = self.batch_spec.B
        if B % self.n_groups:
            raise ValueError(f"{type(self).__name__} needs batch_B divisible by {self.n_groups}")
        group_B = B // self.n_groups
        affinity = self.affinity or make_affinity(max_workers=group_B)
        n_per_group = affinity.n_workers
        if n_per_group > group_B:
            raise ValueError(f"{n_per_group} workers per group but only {group_B} envs each")
        n_workers = n_per_group * self.n_groups
        apply_affinity(affinity.master_cpus, None, affinity.set_affinity)
        self.agent = agent

        env = self.EnvCls(**self.env_kwargs)  # for the spaces and the buffers' examples
        agent.initialize(env.spaces)
        self.samples_pyt, self.samples_np, examples = build_samples_buffer(
            agent, env, self.batch_spec, bootstrap_value, share_memory=True
        )
        env.close()
        self.step_np = build_step_buffer(examples, B, share_memory=True)
        self.env_slices = [
            s for g in range(self.n_groups) for s in split(group_B, n_per_group, g * group_B)
        ]
        self.eval_step_np = None
        eval_slices = [slice(0, 0)] * n_workers
        if self.eval_n_envs > 0:
            self.eval_n_envs = max(self.eval_n_envs, n_workers)
            self.eval_step_np = build_step_buffer(examples, self.eval_n_envs, share_memory=True)
            eval_slices = split(self.eval_n_envs, n_workers)
        self.group_slices = split(B, self.n_groups)
        self.eval_group_slices = [
            slice(eval_slices[g * n_per_group].start, eval_slices[(g + 1) * n_per_group - 1].stop)
            for g in range(self.n_groups)
        ]

        ctx = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            ctx.set_forkserver_preload([worker_main.__module__])
        self.eval_counter = ctx.Value("l", 0)
        # One flag per worker, set only while that worker waits for its actions: a flag per
        # group or sampler would race with the alternating group still stepping.
        self.stop_eval = ctx.RawArray("b", n_workers)
        if self.workers_act:
            # One CPU copy of the model in shared memory, which every worker's agent uses;
            # synced from the (possibly GPU) training model before each batch.
            self.shared_agent = copy.deepcopy(agent)
            self.shared_agent.model.share_memory()
        else:
            self.obs_ready = [ctx.Semaphore(0) for _ in range(n_workers)]
            self.act_ready = [ctx.Semaphore(0) for _ in range(n_workers)]
        TrajInfoCls = self.traj_info_factory(traj_info_kwargs)
        n_steps = decorrelation_steps(B, self.max_decorrelation_steps, seed)
        workers_cpus = affinity.workers_cpus * self.n_groups  # groups share the cores
        for w, env_slice in enumerate(self.env_slices):
            config = WorkerConfig(
                rank=w,
                cpus=workers_cpus[w],
                set_affinity=affinity.set_affinity,
                torch_threads=affinity.worker_torch_threads,
                EnvCls=self.EnvCls,
                env_kwargs=self.env_kwargs,
                eval_env_kwargs=self.eval_env_kwargs,
                CollectorCls=self.CollectorCls,
                TrajInfoCls=TrajInfoCls,
                seed=seed,
                env_slice=env_slice,
                decorrelation_steps=n_steps[env_slice],
                samples_pyt=self.samples_pyt,
                step_pyt=torchify_buffer(self.step_np),
                eval_slice=eval_slices[w],
                eval_step_pyt=torchify_buffer(self.eval_step_np),
                eval_max_T=self.eval_max_T if self.eval_n_envs else 0,
                eval_max_trajectories=self.eval_max_trajectories,
                eval_counter=self.eval_counter,
                stop_eval=self.stop_eval,
                agent=self.shared_agent if self.workers_act else None,
                obs_ready=None if self.workers_act else self.obs_ready[w],
                act_ready=None if self.workers_act else self.act_ready[w],
            )
            master_conn, worker_conn = ctx.Pipe()
            process = ctx.Process(
                target=worker_main,
                args=(config, worker_conn),
                name=f"sampler-worker-{w}",
                daemon=True,  # never outlives the master, even if shutdown is skipped
            )
            process.start()
            worker_conn.close()
            self.processes.append(process)
            self.conns.append(master_conn)
        self._receive()  # every worker reports ready: env construction errors surface here
        return examples

    # ---------------------------------------------------------------------------------------
    # Talking to the workers

    def _send(self, command: str, args: Sequence[Any] | None = None) -> None:
        for w, conn in enumerate(self.conns):
            conn.send((command, None if args is None else args[w]))

    def _receive(self) -> list[Any]:
        """Every worker's answer to the last command; raise ``WorkerError`` for any failure."""
        results: dict[int, Any] = {}
        while len(results) < len(self.conns):
            pending = [w for w in range(len(self.conns)) if w not in results]
            ready = wait(
                [self.conns[w] for w in pending] + [self.processes[w].sentinel for w in pending]
            )
            for w in pending:
                if self.conns[w] in ready or self.conns[w].poll():
                    try:
                        status, payload = self.conns[w].recv()
                    except (EOFError, ConnectionResetError):  # died without answering
                        self._raise_dead(w)
                    if status == "error":
                        self.processes[w].join(timeout=1.0)
                        self._failed = True
                        raise WorkerError(f"{self._describe(w)} failed:\n{payload}")
                    results[w] = payload
                elif self.processes[w].sentinel in ready:
                    self._raise_dead(w)
        return [results[w] for w in range(len(self.conns))]

    def _command(self, command: str, args: Sequence[Any] | None = None) -> list[Any]:
        self._send(command, args)
        return self._receive()

    def _wait_obs(self, workers: Sequence[int]) -> None:
        """Wait until ``workers`` have written their observations (``GpuSampler``)."""
        for w in workers:
            while not self.obs_ready[w].acquire(timeout=WORKER_POLL_S):
                if not self.processes[w].is_alive():
                    self._raise_dead(w)

    def _describe(self, w: int) -> str:
        envs = self.env_slices[w]
        pid = self.processes[w].pid
        return f"sampler worker {w} (pid {pid}, envs {envs.start}..{envs.stop - 1})"

    def _raise_dead(self, w: int) -> None:
        detail = ""
        try:  # a worker that caught an exception sent its traceback before exiting
            if self.conns[w].poll():
                status, payload = self.conns[w].recv()
                detail = f":\n{payload}" if status == "error" else ""
        except (EOFError, OSError):
            pass
        self.processes[w].join(timeout=1.0)
        self._failed = True
        how = describe_exit(self.processes[w].exitcode)
        raise WorkerError(f"{self._describe(w)} {how}{detail}")

    # ---------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Each worker's envs and collector state (see ``SerialSampler.state_dict``)."""
        return {"workers": self._command("state_dict")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._command("load_state_dict", state["workers"])

    def shutdown(self) -> None:
        """Stop every worker (asking first, then terminating) and release the shared memory.

        Safe to call more than once, and after a worker died."""
        for conn in self.conns:
            try:
                conn.send(("quit", None))
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=0 if self._failed else SHUTDOWN_TIMEOUT_S)
            if process.is_alive():
                process.terminate()
                process.join(timeout=SHUTDOWN_TIMEOUT_S)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for conn in self.conns:
            conn.close()
        self.processes, self.conns = [], []
        # Named semaphores and the counter's lock live in /dev/shm until collected.
        for name in ("obs_ready", "act_ready", "eval_counter", "stop_eval", "shared_agent"):
            self.__dict__.pop(name, None)
