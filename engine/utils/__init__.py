"""Shared data structures and helpers: namedarraytuple, buffers, leading dims, seeding."""
