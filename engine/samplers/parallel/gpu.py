"""GpuSampler and AlternatingSampler: workers step envs, the master chooses every action in one
batched forward pass (rlpyt ``samplers/parallel/gpu/``). On a machine without a GPU the master
runs the same code on the CPU."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import count
from typing import Any, ClassVar

from engine.agents.base import BaseAgent
from engine.samplers.buffer import slice_samples
from engine.samplers.collections import Samples, TrajInfo
from engine.samplers.collectors import ActionServer
from engine.samplers.parallel.base import ParallelSamplerBase


class GpuSampler(ParallelSamplerBase):
    """Workers step envs; the master acts for a whole group of workers at once.

    Per step, each worker writes its envs' observations into the shared ``StepBuffer`` and
    releases its ``obs_ready`` semaphore; the master waits for every worker of a group, runs
    the agent on the group's ``[B_group, ...]`` inputs, writes the actions and releases the
    workers' ``act_ready``. With one group (this class) the master and workers take turns;
    ``AlternatingSampler`` overlaps them.
    """

    workers_act: ClassVar[bool] = False

    def initialize(
        self,
        agent: BaseAgent,
        seed: int,
        bootstrap_value: bool = False,
        traj_info_kwargs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        examples = super().initialize(agent, seed, bootstrap_value, traj_info_kwargs)
        n_per_group = len(self.processes) // self.n_groups
        self.group_workers = [
            range(g * n_per_group, (g + 1) * n_per_group) for g in range(self.n_groups)
        ]
        self.servers = [
            ActionServer(
                agent,
                self.step_np[envs],
                slice_samples(self.samples_np, envs).agent,
                self.mid_batch_reset,
                env_start=envs.start,
            )
            for envs in self.group_slices
        ]
        self.eval_servers = (
            [
                ActionServer(agent, self.eval_step_np[envs], env_start=envs.start)
                for envs in self.eval_group_slices
            ]
            if self.eval_step_np is not None
            else []
        )
        return examples

    def obtain_samples(self, itr: int) -> tuple[Samples, list[TrajInfo]]:
        self._send("sample")
        for t in range(self.batch_spec.T):
            for workers, server in zip(self.group_workers, self.servers):
                self._wait_obs(workers)
                server.act(t)
                self._release_act(workers)
        for workers, server in zip(self.group_workers, self.servers):
            self._wait_obs(workers)
            server.finish_batch()
        results = self._receive()
        return self.samples_pyt, [info for infos in results for info in infos]

    def evaluate_agent(self, itr: int) -> list[TrajInfo]:
        if self.eval_step_np is None:
            raise RuntimeError("evaluate_agent needs eval_n_envs >= 1")
        self.eval_counter.value = 0
        self.stop_eval[:] = [0] * len(self.processes)
        self.agent.reset()
        self._send("evaluate")
        for t in count():
            stop = t >= self.eval_max_T or (
                self.eval_max_trajectories is not None
                and self.eval_counter.value >= self.eval_max_trajectories
            )
            for workers, server in zip(self.group_workers, self.eval_servers):
                self._wait_obs(workers)
                if stop:
                    for w in workers:  # seen by each worker once its act_ready is given
                        self.stop_eval[w] = 1
                else:
                    server.act()
                self._release_act(workers)
            if stop:
                break
        results = self._receive()
        return [info for infos in results for info in infos]

    def _release_act(self, workers: range) -> None:
        for w in workers:
            self.act_ready[w].release()


class AlternatingSampler(GpuSampler):
    """Two worker groups, each stepping half of the B envs (so B must be even); the master
    chooses one group's actions while the other group steps its envs, hiding action selection
    behind env stepping (at best a 2x speed-up over ``GpuSampler``).

    Each core hosts one worker of each group (``affinity.workers_cpus`` is used twice), since
    a worker waits while the other group's actions are chosen. Recurrent agents keep their
    state per env index, and each group's ``ActionServer`` passes its first env's index.
    """

    n_groups: ClassVar[int] = 2
