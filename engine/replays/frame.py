"""Store each Atari frame once (rlpyt ``replays/frame.py``).

An observation is a stack of ``C`` frames, oldest first, and consecutive observations share
``C - 1`` of them. The buffer keeps only each step's newest frame: ``samples_frames [T + C - 1,
B, H, W]``, where step ``j``'s newest frame is row ``j + C - 1`` and rows ``0 .. C - 2`` repeat
the ring's last ``C - 1`` steps (the frames before step 0), so step ``j``'s stack is rows
``j .. j + C - 1``. Frames from before an episode's reset are blanked, as the environment
starts its stacks with zeros (see ``engine.envs.atari.stack_frames``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.utils.buffer import buffer_from_example, numpify_buffer
from engine.utils.collections import namedarraytuple


class FrameBufferMixin:
    """Mixin before an n-step buffer: ``example.observation`` is one ``[C, H, W]`` stack.

    The episode boundary used for blanking is ``traj_done`` when ``example`` has that field
    (Atari with episodic lives: a lost life is ``done`` but the frames go on), else ``done``.
    Rows ``[t, t + C - 1)`` after the cursor lose their older frames to new data, so
    ``off_forward`` is at least ``C - 1``.
    """

    T: int
    B: int
    t: int
    off_forward: int
    share_memory: bool
    samples: Any

    def __init__(self, example: Any, **kwargs: Any) -> None:
        fields = [f for f in example._fields if f != "observation"]
        self._BufferSamples = namedarraytuple(f"{type(example).__name__}Frames", fields)
        buffer_example = self._BufferSamples(*(getattr(example, f) for f in fields))
        super().__init__(example=buffer_example, **kwargs)  # type: ignore[call-arg]
        observation = np.asarray(example.observation)
        self.n_frames = observation.shape[0]
        self.samples_frames = buffer_from_example(
            observation[0], (self.T + self.n_frames - 1, self.B), self.share_memory
        )
        self.samples_new_frames = self.samples_frames[self.n_frames - 1 :]  # [T, B, H, W]
        self.off_forward = max(self.off_forward, self.n_frames - 1)
        self._episode_end = "traj_done" if "traj_done" in fields else "done"

    def append_samples(self, samples: Any) -> tuple[np.ndarray, np.ndarray]:
        samples = numpify_buffer(samples)
        t, fm1 = self.t, self.n_frames - 1
        fields = self._BufferSamples._fields
        buffer_samples = self._BufferSamples(*(getattr(samples, f) for f in fields))
        T_idxs, B_idxs = super().append_samples(buffer_samples)  # type: ignore[misc]
        self.samples_new_frames[T_idxs] = samples.observation[:, :, -1]
        if fm1 > 0:
            if t == 0:  # the frames before row 0 are the older frames of its observation
                self.samples_frames[:fm1] = np.swapaxes(samples.observation[0, :, :fm1], 0, 1)
            elif self.t <= t:  # wrapped: row 0's predecessors are now the ring's last rows
                self.samples_frames[:fm1] = self.samples_frames[-fm1:]
        return T_idxs, B_idxs

    def extract_observation(self, T_idxs: np.ndarray, B_idxs: np.ndarray) -> np.ndarray:
        """Stacks ``[n, C, H, W]`` for rows ``T_idxs`` of columns ``B_idxs``, oldest frame
        first, with frames from before an episode end inside the stack zeroed."""
        C = self.n_frames
        observation = self.samples_frames[T_idxs[:, None] + np.arange(C), B_idxs[:, None]]
        episode_end = getattr(self.samples, self._episode_end)
        ended = np.zeros(len(T_idxs), dtype=bool)
        for j in range(1, C):  # stack slot C-1-j holds step T_idx - j
            ended |= episode_end[T_idxs - j, B_idxs].astype(bool)
            observation[ended, C - 1 - j] = 0
        return observation

    def _arrays(self) -> dict[str, np.ndarray]:
        return {**super()._arrays(), "frames": self.samples_frames}  # type: ignore[misc]
