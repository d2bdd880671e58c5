"""What policy-gradient agents record per step."""

from __future__ import annotations

from engine.utils.collections import namedarraytuple

# dist_info: the behaviour policy's parameters (for likelihood ratios); value: V(s_t) [T, B].
AgentInfo = namedarraytuple("AgentInfo", ["dist_info", "value"])
