"""The recurrent state every LSTM model and recurrent agent passes around."""

from __future__ import annotations

from engine.utils.collections import namedarraytuple

# LSTM hidden and cell state, each [B, H] (or [T, B, H] where stored per step).
RnnState = namedarraytuple("RnnState", ["h", "c"])
