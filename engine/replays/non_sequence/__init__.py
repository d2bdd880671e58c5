"""Replay of single (n-step) transitions for feed-forward agents."""
