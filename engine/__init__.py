"""rlboard's RL engine: rlpyt's design on gymnasium 1.x and torch 2.x.

Roles, one folder each: ``envs`` (environments), ``agents`` (model + action selection),
``models``, ``distributions``, ``algos`` (optimisation), ``samplers`` (data collection),
``runners`` (training loops), ``logging`` and ``utils``. ``engine.spec`` is the experiment spec
shared with the backend; ``engine.build`` turns a spec into a runner; ``python -m engine``
is the command line.

This module imports nothing, so that ``import engine.spec`` stays free of torch.
"""
