"""Sum tree over a ``[T, B]`` ring of priorities (rlpyt ``replays/sum_tree.py``).

Leaves are the ``T * B`` priorities (row-major: leaf ``t * B + b``) of a complete binary tree
stored in one float64 array; each inner node is the sum of its two children. float64 because
float32 cascades can leave a random value above the remaining sum and land on a zero leaf.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.utils.buffer import buffer_from_example


class SumTree:
    """Proportional sampling of ``[T, B]`` entries, kept in step with a replay ring's cursor.

    Each ``advance(T)`` turns on the rows that just became valid (``t - off_backward`` onward,
    with ``default_value`` or input priorities) and zeroes the window ``[t' - off_backward,
    t' + off_forward)`` around the new cursor ``t'``, so invalid rows are never drawn. Before
    the first wrap, rows below ``off_forward`` and not yet written are never turned on.

    ``enable_input_priorities``: ``advance`` may take priorities for the new rows (e.g. R2D1's
    priorities from the sampler's Q values); they are stored at ``t - input_priority_shift`` and
    used when those rows turn on.
    """

    def __init__(
        self,
        T: int,
        B: int,
        off_backward: int,
        off_forward: int,
        default_value: float = 1.0,
        share_memory: bool = False,
        enable_input_priorities: bool = False,
        input_priority_shift: int = 0,
    ) -> None:
        self.T, self.B, self.size = T, B, T * B
        self.off_backward = off_backward
        self.off_forward = off_forward
        self.default_value = default_value
        self.input_priority_shift = input_priority_shift
        self.tree_levels = int(np.ceil(np.log2(self.size + 1))) + 1
        self.tree = buffer_from_example(np.float64(0), 2**self.tree_levels - 1, share_memory)
        self.low_idx = 2 ** (self.tree_levels - 1) - 1  # tree index of leaf 0
        self.priorities = self.tree[self.low_idx : self.low_idx + self.size].reshape(T, B)
        self.input_priorities = (  # filled with default_value by reset
            buffer_from_example(np.float64(0), (T, B), share_memory)
            if enable_input_priorities
            else None
        )
        self.prev_tree_idxs = np.zeros(0, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self.tree.fill(0)
        self.t = 0
        self._initial_wrap_guard = True  # until rows wrapping below 0 hold data
        if self.input_priorities is not None:
            self.input_priorities[:] = self.default_value

    def advance(self, T: int, priorities: np.ndarray | float | None = None) -> None:
        """Move the cursor by ``T`` rows; ``priorities`` (``[T, B]``, ``[B]`` or scalar; only with
        input priorities) belong to the ``T`` rows just written."""
        if T == 0:
            return
        t, b, f = self.t, self.off_backward, self.off_forward
        if priorities is not None:
            if self.input_priorities is None:
                raise ValueError("priorities given to a SumTree without input priorities")
            input_rows = np.arange(t - self.input_priority_shift, t - self.input_priority_shift + T)
            self.input_priorities[input_rows % self.T] = priorities
            if self._initial_wrap_guard:  # rows before the first one hold nothing yet
                self.input_priorities[input_rows[input_rows < 0] % self.T] = self.default_value
        on_rows = np.arange(t - b, t + T - b)
        if self._initial_wrap_guard:
            on_rows = on_rows[on_rows >= f]
            if t + T - b >= f:
                self._initial_wrap_guard = False
        on_rows %= self.T
        if self.input_priorities is None:
            self.priorities[on_rows] = self.default_value
        else:
            self.priorities[on_rows] = self.input_priorities[on_rows]
        off_rows = np.arange(t + T - b, t + T + f) % self.T
        self.priorities[off_rows] = 0
        rows = np.concatenate([on_rows, off_rows])
        self._recompute_parents((rows[:, None] * self.B + np.arange(self.B)).ravel() + self.low_idx)
        self.t = (t + T) % self.T

    def sample(self, n: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """``n`` entries drawn with replacement in proportion to their priority:
        ``((T_idxs, B_idxs), priorities)``, all ``[n]``. Remembered for
        ``update_batch_priorities``."""
        tree_idxs = self.find(np.random.random(n))
        self.prev_tree_idxs = tree_idxs
        T_idxs, B_idxs = np.divmod(tree_idxs - self.low_idx, self.B)
        return (T_idxs, B_idxs), self.tree[tree_idxs]

    def update_batch_priorities(self, priorities: np.ndarray) -> None:
        """Set the priorities ``[n]`` of the entries of the last ``sample`` (a duplicate
        entry takes its last value)."""
        self.tree[self.prev_tree_idxs] = priorities
        self._recompute_parents(self.prev_tree_idxs)

    def find(self, random_values: np.ndarray) -> np.ndarray:
        """Tree indices of the leaves where the cumulative priority reaches
        ``random_values * total`` (``random_values`` in ``[0, 1)``), vectorised over values.

        A subtree whose sum is 0 is never entered, so rounding cannot return a zero leaf.
        """
        values = random_values * self.tree[0]
        idxs = np.zeros(len(values), dtype=np.int64)
        for _ in range(self.tree_levels - 1):
            left = 2 * idxs + 1
            left_sum, right_sum = self.tree[left], self.tree[left + 1]
            go_right = ((values >= left_sum) | (left_sum <= 0)) & (right_sum > 0)
            values = np.where(go_right, values - left_sum, values)
            idxs = left + go_right
        return idxs

    def _recompute_parents(self, tree_idxs: np.ndarray) -> None:
        """Recompute every ancestor of ``tree_idxs`` from its children, level by level (sums
        of children, not accumulated differences, so no rounding drift builds up)."""
        idxs = np.unique(tree_idxs)
        for _ in range(self.tree_levels - 1):
            idxs = (idxs - 1) // 2  # still sorted: drop repeats without sorting again
            idxs = idxs[np.concatenate(([True], idxs[1:] != idxs[:-1]))]
            self.tree[idxs] = self.tree[2 * idxs + 1] + self.tree[2 * idxs + 2]

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "tree": self.tree.copy(),
            "t": self.t,
            "initial_wrap_guard": self._initial_wrap_guard,
            "prev_tree_idxs": self.prev_tree_idxs.copy(),
        }
        if self.input_priorities is not None:
            state["input_priorities"] = self.input_priorities.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.tree[:] = state["tree"]  # in place: the tree may be shared
        self.t = state["t"]
        self._initial_wrap_guard = state["initial_wrap_guard"]
        self.prev_tree_idxs = np.asarray(state["prev_tree_idxs"]).copy()
        if self.input_priorities is not None:
            self.input_priorities[:] = state["input_priorities"]
