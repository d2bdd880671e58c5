"""Affinity: layouts worked out from the machine, overrides, and the spec's checks."""

import os

import pytest
from pydantic import ValidationError

from engine.build import parallel_sampler_kwargs
from engine.spec import ExperimentSpec
from engine.utils.affinity import apply_affinity, available_cpus, make_affinity


def test_default_is_one_worker_per_available_core_at_most_one_per_env():
    cpus = available_cpus()
    assert cpus == tuple(sorted(os.sched_getaffinity(0)))
    affinity = make_affinity()
    assert affinity.workers_cpus == tuple((c,) for c in cpus)
    assert affinity.master_cpus == cpus and affinity.worker_torch_threads == 1
    assert not affinity.set_affinity
    assert make_affinity(max_workers=1).n_workers == 1


def test_more_workers_than_cores_share_them_round_robin():
    cpus = available_cpus()
    affinity = make_affinity(n_workers=2 * len(cpus) + 1)
    expected = [cpus[w % len(cpus)] for w in range(2 * len(cpus) + 1)]
    assert [c for (c,) in affinity.workers_cpus] == expected


def test_overrides_and_errors():
    cpu = available_cpus()[0]
    affinity = make_affinity(master_cpus=[cpu], workers_cpus=[[cpu], [cpu]], set_affinity=True)
    assert affinity.master_cpus == (cpu,) and affinity.n_workers == 2
    with pytest.raises(ValueError, match="3 workers"):
        make_affinity(n_workers=3, workers_cpus=[[cpu]])
    with pytest.raises(ValueError, match="not available"):
        make_affinity(workers_cpus=[[10_000]], set_affinity=True)


def test_apply_affinity_pins_the_calling_process():
    before = os.sched_getaffinity(0)
    try:
        apply_affinity([min(before)], None, set_affinity=True)
        assert os.sched_getaffinity(0) == {min(before)}
    finally:
        os.sched_setaffinity(0, before)


def spec(**sampler):
    return ExperimentSpec.model_validate(
        {"env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"}, "sampler": sampler}
    )


def test_spec_sampler_section():
    s = spec(kind="alternating", batch_B=8, workers=2)
    assert parallel_sampler_kwargs(s)["affinity"].n_workers == 2
    assert parallel_sampler_kwargs(spec(kind="serial")) == {}
    default = parallel_sampler_kwargs(spec(kind="cpu", batch_B=1))["affinity"]
    assert default.n_workers == 1  # never more workers than envs
    cpu = available_cpus()[0]
    pinned = spec(kind="gpu", batch_B=4, affinity={"workers_cpus": [[cpu]], "set_affinity": True})
    assert parallel_sampler_kwargs(pinned)["affinity"].workers_cpus == ((cpu,),)
    for bad, message in [
        (dict(kind="alternating", batch_B=7), "even batch_B"),
        (dict(kind="cpu", batch_B=2, workers=3), "3 workers"),
        (dict(kind="cpu", workers=2, affinity={"workers_cpus": [[0]]}), "workers is 2"),
        (dict(kind="cpu", affinity={"cores": [0]}), "cores"),
    ]:
        with pytest.raises(ValidationError, match=message):
            spec(**bad)
