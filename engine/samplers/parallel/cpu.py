"""CpuSampler: workers step their envs and choose actions with their own copy of the model
(rlpyt ``samplers/parallel/cpu/sampler.py``)."""

from __future__ import annotations

from typing import ClassVar

from engine.samplers.collections import Samples, TrajInfo
from engine.samplers.parallel.base import ParallelSamplerBase


class CpuSampler(ParallelSamplerBase):
    """Each worker runs ``collect_batch`` over its share of the B envs, the agent included.

    The workers' models all use one copy of the parameters in shared memory, which the master
    overwrites from the training model before every batch and evaluation. Best when envs and
    action selection are both cheap on a CPU: no per-step exchange with the master at all.
    """

    workers_act: ClassVar[bool] = True

    def obtain_samples(self, itr: int) -> tuple[Samples, list[TrajInfo]]:
        self._sync_model()
        results = self._command("sample", [itr] * len(self.conns))
        return self.samples_pyt, [info for infos in results for info in infos]

    def evaluate_agent(self, itr: int) -> list[TrajInfo]:
        if self.eval_step_np is None:
            raise RuntimeError("evaluate_agent needs eval_n_envs >= 1")
        self._sync_model()
        self.eval_counter.value = 0
        results = self._command("evaluate", [itr] * len(self.conns))
        return [info for infos in results for info in infos]

    def _sync_model(self) -> None:
        # load_state_dict copies in place, so the shared storage stays the one workers map.
        self.shared_agent.model.load_state_dict(self.agent.model.state_dict())
