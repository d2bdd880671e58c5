"""Collectors: the loops that step environments with the agent (rlpyt ``samplers/collectors.py``).

One step of sampling has two sides that meet in a ``StepBuffer`` (``[B, ...]``: the observation
the agent acts on next, the last action, reward and done):

* the **env side**, a collector: steps its environments with the actions in the step buffer,
  writes what they return back into it and into the env fields of the ``[T, B]`` samples, and
  keeps each env's running ``TrajInfo``;
* the **agent side**, an ``ActionServer``: reads the agent inputs from the step buffer, writes
  the chosen actions back into it and into the agent fields of the samples.

The serial sampler and each ``CpuSampler`` worker run both sides in one process
(``collect_batch``, ``collect_evaluation``); in the ``GpuSampler`` the env side runs in the
workers and the agent side in the master, over a step buffer in shared memory, with semaphores
between the two. Every sampler therefore runs exactly this stepping logic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from engine.agents.base import BaseAgent
from engine.envs.base import Env, null_value
from engine.samplers.collections import AgentSamples, EnvSamples, StepBuffer, TrajInfo
from engine.utils.buffer import buffer_from_example, torchify_buffer
from engine.utils.collections import is_namedarraytuple


def decorrelation_steps(B: int, max_decorrelation_steps: int, seed: int) -> np.ndarray:
    """Random-action steps for each of ``B`` envs at start: ``[B]`` ints in 1..max, or zeros.

    Drawn for all B envs in one place, so env ``b`` takes the same steps whichever process
    steps it: the parallel samplers then reproduce the serial sampler's trajectories.
    """
    if max_decorrelation_steps <= 0:
        return np.zeros(B, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return 1 + (rng.random(B) * max_decorrelation_steps).astype(np.int64)


def _start_episodes(envs: Sequence[Env], step_np: StepBuffer) -> None:
    """Reset every env into a blank step buffer (null previous action, zero reward)."""
    step_np.action[:] = null_value(envs[0].action_space)
    step_np.reward[:] = 0
    step_np.done[:] = False
    for b, env in enumerate(envs):
        step_np.observation[b] = env.reset()


class BaseCollector(ABC):
    """Env side: steps ``envs`` with the actions in their step buffer.

    ``step_np``: the ``StepBuffer`` ``[B, ...]`` of these envs; ``samples_np``: their
    ``EnvSamples`` ``[T, B, ...]`` to record into (views of a larger buffer in the parallel
    samplers), or None when nothing is recorded (evaluation).
    ``mid_batch_reset``: whether an env is reset as soon as its trajectory ends, within the
    batch (algorithms that train on whole sequences need the other kind).
    """

    mid_batch_reset: ClassVar[bool]

    def __init__(
        self,
        envs: Sequence[Env],
        step_np: StepBuffer,
        samples_np: EnvSamples | None,
        TrajInfoCls: Callable[[], TrajInfo],
    ) -> None:
        self.envs = envs
        self.step_np = step_np
        self.samples_np = samples_np
        self.batch_T = 0 if samples_np is None else samples_np.done.shape[0]
        self.TrajInfoCls = TrajInfoCls
        self.traj_infos = [TrajInfoCls() for _ in envs]
        self.completed: list[TrajInfo] = []

    def start_envs(self, n_steps: Sequence[int]) -> None:
        """Reset every env, then take ``n_steps[b]`` random actions in env ``b``.

        Without that, all B envs would sit at the same point of their episodes and every batch
        would be correlated across B. Episodes that end during decorrelation are dropped.
        """
        step = self.step_np
        _start_episodes(self.envs, step)
        for b, env in enumerate(self.envs):
            for _ in range(n_steps[b]):
                a = env.action_space.sample()
                o, r, d, env_info = env.step(a)
                self.traj_infos[b].step(step.observation[b], a, r, d, env_info)
                if getattr(env_info, "traj_done", d):
                    self.traj_infos[b] = self.TrajInfoCls()
                    o = env.reset()
                step.observation[b], step.action[b], step.reward[b] = o, a, r

    def start_batch(self) -> None:
        """Record the batch's first observation and previous reward."""
        self.samples_np.observation[0] = self.step_np.observation
        self.samples_np.prev_reward[0] = self.step_np.reward

    @abstractmethod
    def step(self, t: int = 0) -> None:
        """Step every env with ``step_np.action``; record time step ``t`` of the samples."""

    def _record(self, t: int) -> None:
        """Copy the step buffer into the samples after every env took step ``t``."""
        step, samples = self.step_np, self.samples_np
        samples.reward[t] = step.reward  # also prev_reward[t + 1]
        samples.done[t] = step.done
        if t + 1 < self.batch_T:
            samples.observation[t + 1] = step.observation

    def _env_info_layout(self) -> tuple[type | None, tuple[np.ndarray, ...]]:
        """The env_info buffer's namedarraytuple type and its ``[T, B]`` leaf arrays, when
        every field is a plain array (else ``(None, ())``: use generic assignment)."""
        samples = self.samples_np
        buffer = None if samples is None else samples.env_info
        cached = self.__dict__.get("_info_layout")
        if cached is not None and cached[0] is buffer:
            return cached[1]
        layout: tuple[type | None, tuple[np.ndarray, ...]] = (None, ())
        if is_namedarraytuple(buffer) and all(
            isinstance(leaf, np.ndarray) and leaf.dtype != object for leaf in buffer
        ):
            layout = (type(buffer), tuple(buffer))
        self._info_layout = (buffer, layout)
        # [T, B] leaves: one scalar per env and field, assignable as a column of B values.
        self._info_scalar = bool(layout[1]) and all(leaf.ndim == 2 for leaf in layout[1])
        return layout

    def _end_trajectory(self, b: int, observation: Any) -> None:
        self.completed.append(self.traj_infos[b].terminate(observation))
        self.traj_infos[b] = self.TrajInfoCls()

    def pop_completed(self) -> list[TrajInfo]:
        """The trajectories completed since the last call."""
        completed, self.completed = self.completed, []
        return completed

    def state_dict(self) -> dict[str, Any]:
        """Where collection stands: the step buffer and each env's running trajectory."""
        return {"step": self.step_np, "traj_infos": self.traj_infos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step_np[:] = state["step"]  # in place: the buffer may be shared with the master
        self.traj_infos = list(state["traj_infos"])


class ResetCollector(BaseCollector):
    """Resets an env the moment its trajectory ends, mid-batch (rlpyt ``CpuResetCollector``).

    ``prev_action``/``prev_reward`` carry across a reset, as in rlpyt: models that use them
    see ``done`` as well.
    """

    mid_batch_reset = True

    def step(self, t: int = 0) -> None:
        # The hot loop of every sampler: fields and per-step views are looked up once, and an
        # env_info of the buffer's own flat type is written field by field into the [T, B]
        # arrays (what ``env_info_t[b] = env_info`` does, without its generic dispatch).
        observation, action, reward, done = self.step_np
        traj_infos, samples = self.traj_infos, self.samples_np
        layout = self.__dict__.get("_info_layout")  # _env_info_layout(), inlined when cached
        if layout is not None and layout[0] is (None if samples is None else samples.env_info):
            info_type, info_leaves = layout[1]
        else:
            info_type, info_leaves = self._env_info_layout()
        if type(observation) is not np.ndarray:  # structured observations: row by row
            for b, env in enumerate(self.envs):
                a = action[b]
                o, r, d, env_info = env.step(a)
                traj_infos[b].step(observation[b], a, r, d, env_info)
                if getattr(env_info, "traj_done", d):
                    self._end_trajectory(b, o)
                    o = env.reset()
                observation[b], reward[b], done[b] = o, r, d
                if samples is not None:
                    self._record_env_info(t, b, env_info, info_type, info_leaves)
        else:
            # Array observations: each env reads only its own row before the step, so the
            # rows are all written once after the loop (one numpy call per field, not B).
            os, rs, ds, infos = [], [], [], []
            uniform = True  # every env_info of the buffer's flat type: written as columns
            for b, env in enumerate(self.envs):
                a = action[b]
                o, r, d, env_info = env.step(a)
                traj_infos[b].step(observation[b], a, r, d, env_info)
                if getattr(env_info, "traj_done", d):
                    self._end_trajectory(b, o)
                    o = env.reset()
                os.append(o)
                rs.append(r)
                ds.append(d)
                infos.append(env_info)
                if type(env_info) is not info_type:
                    uniform = False
            observation[:] = os
            reward[:] = rs
            done[:] = ds
            if samples is not None:
                if uniform and self._info_scalar:  # the common case, inlined
                    for leaf, column in zip(info_leaves, zip(*infos)):
                        if None in column:
                            self._record_env_infos(t, infos, uniform, info_leaves)
                            break
                        leaf[t] = column
                else:
                    self._record_env_infos(t, infos, uniform, info_leaves)
        if samples is not None:
            self._record(t)

    def _record_env_infos(
        self, t: int, infos: list, uniform: bool, info_leaves: tuple
    ) -> None:
        """``samples.env_info[t, b] = infos[b]`` for every b; a whole column per field when
        all are of the buffer's flat type with scalar fields and no ``None`` value."""
        if uniform and self._info_scalar:
            for leaf, column in zip(info_leaves, zip(*infos)):
                if None in column:
                    for b, v in enumerate(column):
                        if v is not None:
                            leaf[t, b] = v
                else:
                    leaf[t] = column
            return
        info_type = type(self.samples_np.env_info) if info_leaves else None
        for b, env_info in enumerate(infos):
            self._record_env_info(t, b, env_info, info_type, info_leaves)

    def _record_env_info(
        self, t: int, b: int, env_info: Any, info_type: type | None, info_leaves: tuple
    ) -> None:
        """``samples.env_info[t, b] = env_info``, field by field for the buffer's own type."""
        if type(env_info) is info_type:
            for leaf, v in zip(info_leaves, env_info):
                if v is not None:
                    leaf[t, b] = v
        else:
            self.samples_np.env_info[t, b] = env_info


class WaitResetCollector(BaseCollector):
    """After ``done``, an env records blanks (zero observation, reward, action and agent info;
    ``done`` stays set) for the rest of the batch and is reset between batches (rlpyt
    ``CpuWaitResetCollector``). Every batch row then starts a fresh sequence, as recurrent
    training wants, and slow resets happen outside the batch.
    """

    mid_batch_reset = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.need_reset = np.zeros(len(self.envs), dtype=bool)
        # The observation after a done that did not end the trajectory (e.g. a lost life),
        # where that env continues at the next batch.
        self.next_observation = buffer_from_example(self.step_np.observation[0], len(self.envs))

    def start_batch(self) -> None:
        step = self.step_np
        for b in np.flatnonzero(step.done):
            step[b] = 0  # blank previous action and reward, done cleared
            step.observation[b] = (
                self.envs[b].reset() if self.need_reset[b] else self.next_observation[b]
            )
        self.need_reset[:] = False
        super().start_batch()

    def step(self, t: int = 0) -> None:
        observation, action, reward, done = self.step_np
        traj_infos, env_info_t = self.traj_infos, self.samples_np.env_info[t]
        for b, env in enumerate(self.envs):
            if done[b]:  # waiting for the next batch
                reward[b] = 0
                env_info_t[b] = 0
                continue
            a = action[b]
            o, r, d, env_info = env.step(a)
            traj_infos[b].step(observation[b], a, r, d, env_info)
            if getattr(env_info, "traj_done", d):
                self._end_trajectory(b, o)
                self.need_reset[b] = True
            if d:
                self.next_observation[b] = o
                o = 0
            observation[b], reward[b], done[b] = o, r, d
            env_info_t[b] = env_info
        self._record(t)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "need_reset": self.need_reset,
            "next_observation": self.next_observation,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.need_reset[:] = state["need_reset"]
        self.next_observation[:] = state["next_observation"]


class EvalCollector(ResetCollector):
    """Env side of evaluation: records no samples, gathers completed trajectories.

    Evaluation stops at ``max_trajectories`` completed episodes, counted over every process
    when a shared ``counter`` (a ``multiprocessing.Value``) is given. Stopping there favours
    short episodes slightly (rlpyt's caveat), which the step budget bounds.
    """

    def __init__(
        self,
        envs: Sequence[Env],
        step_np: StepBuffer,
        TrajInfoCls: Callable[[], TrajInfo],
        max_trajectories: int | None = None,
        counter: Any = None,
    ) -> None:
        super().__init__(envs, step_np, None, TrajInfoCls)
        self.max_trajectories = max_trajectories
        self.counter = counter

    def start(self) -> None:
        """Begin a fresh evaluation: every env reset, no trajectory completed."""
        self.traj_infos = [self.TrajInfoCls() for _ in self.envs]
        self.completed = []
        _start_episodes(self.envs, self.step_np)

    def _end_trajectory(self, b: int, observation: Any) -> None:
        super()._end_trajectory(b, observation)
        if self.counter is not None:
            with self.counter.get_lock():
                self.counter.value += 1

    @property
    def enough(self) -> bool:
        """Whether ``max_trajectories`` episodes have completed (in every process sharing the
        counter)."""
        n = len(self.completed) if self.counter is None else self.counter.value
        return self.max_trajectories is not None and n >= self.max_trajectories


class ActionServer:
    """Agent side: chooses the actions of a slice of envs from their step buffer.

    ``step_np``: the ``StepBuffer`` ``[B, ...]`` of these envs; ``samples_np``: their
    ``AgentSamples`` (``[T, B, ...]``, ``bootstrap_value`` ``[B]``), or None for evaluation.
    ``env_start``: the index of the first of these envs in the agent's batch, for
    ``agent.reset_one`` when one agent serves several slices (``AlternatingSampler``).
    """

    def __init__(
        self,
        agent: BaseAgent,
        step_np: StepBuffer,
        samples_np: AgentSamples | None = None,
        mid_batch_reset: bool = True,
        env_start: int = 0,
    ) -> None:
        self.agent = agent
        self.step_np = step_np
        self.step_pyt = torchify_buffer(step_np)
        self.samples_np = samples_np
        self.mid_batch_reset = mid_batch_reset
        self.env_start = env_start
        # Recurrent agents keep state per env; a slice that does not start at env 0 (the
        # AlternatingSampler's second group) tells them which envs its rows are.
        self.agent_kwargs = {"env_start": env_start} if env_start and agent.recurrent else {}

    def act(self, t: int = 0) -> None:
        """Choose actions for the step buffer's observations; record them at time ``t``."""
        self._reset_done()
        step, step_pyt = self.step_np, self.step_pyt
        if t == 0 and self.samples_np is not None:
            self.samples_np.prev_action[0] = step.action
        action, agent_info = self.agent.step(
            step_pyt.observation, step_pyt.action, step_pyt.reward, **self.agent_kwargs
        )
        if not self.mid_batch_reset and step.done.any():  # waiting envs record blanks
            waiting = torch.from_numpy(step.done)
            action[waiting] = 0
            agent_info[waiting] = 0
        if type(action) is torch.Tensor:
            action = action.numpy()  # once, not at each of the assignments below
        step.action[:] = action
        samples = self.samples_np
        if samples is not None:
            samples.action[t] = action  # also prev_action[t + 1]
            buffer = samples.agent_info
            if type(agent_info) is type(buffer) and self._flat_agent_info(buffer):
                # Field-wise, as ``buffer[t] = agent_info`` does, with tensors as numpy views.
                for leaf, v in zip(buffer, agent_info):
                    if v is not None:
                        leaf[t] = v.numpy() if type(v) is torch.Tensor else v
            else:
                buffer[t] = agent_info

    def _flat_agent_info(self, buffer: Any) -> bool:
        """Whether the agent_info buffer is a namedarraytuple of plain arrays (cached)."""
        cached = self.__dict__.get("_agent_info_flat")
        if cached is None or cached[0] is not buffer:
            flat = is_namedarraytuple(buffer) and all(
                isinstance(leaf, np.ndarray) for leaf in buffer
            )
            cached = self._agent_info_flat = (buffer, flat)
        return cached[1]

    def finish_batch(self) -> None:
        """After the last step: the bootstrap value of the next observation, agent resets."""
        if self.samples_np.bootstrap_value is not None:
            step_pyt = self.step_pyt
            self.samples_np.bootstrap_value[:] = self.agent.value(
                step_pyt.observation, step_pyt.action, step_pyt.reward, **self.agent_kwargs
            )
        self._reset_done()

    def _reset_done(self) -> None:
        """Forget the agent's per-episode state of every env whose episode ended (repeating it
        for an env that waits is harmless: no agent step happened since)."""
        done = self.step_np.done
        if done.any():
            for b in np.flatnonzero(done):
                self.agent.reset_one(self.env_start + int(b))


def collect_batch(collector: BaseCollector, server: ActionServer) -> list[TrajInfo]:
    """Fill one ``[T, B]`` batch with both sides in this process; return the trajectories
    completed during it."""
    collector.start_batch()
    for t in range(collector.batch_T):
        server.act(t)
        collector.step(t)
    server.finish_batch()
    return collector.pop_completed()


def collect_evaluation(collector: EvalCollector, server: ActionServer, max_T: int) -> list[
    TrajInfo
]:
    """Run the agent on the eval envs, in this process, until ``max_T`` steps or enough
    trajectories; return the completed ones."""
    server.agent.reset()
    collector.start()
    for _ in range(max_T):
        server.act()
        collector.step()
        if collector.enough:
            break
    return collector.pop_completed()
