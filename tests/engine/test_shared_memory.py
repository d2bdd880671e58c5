"""Buffers in shared memory: numpy and torch views alias, and survive spawn pickling."""

import multiprocessing as mp
import os
from collections import namedtuple

import numpy as np
import torch

from engine.utils.buffer import buffer_from_example, numpify_buffer, torchify_buffer
from engine.utils.collections import namedarraytuple, namedarraytuple_like

Info = namedtuple("Info", ["score", "lives"])  # made at import: the child only gets it by schema
Sample = namedarraytuple("Sample", ["observation", "info"])


def example():
    return Sample(observation=np.zeros(3, np.uint8), info=Info(np.float32(0), False))


def test_numpy_and_torch_views_see_the_same_writes():
    buf = buffer_from_example(example(), (4, 2), share_memory=True)
    pyt = torchify_buffer(buf)
    assert type(buf.info) is namedarraytuple_like(Info)
    assert pyt.observation.is_shared() and pyt.info.score.is_shared()
    assert pyt.observation.dtype == torch.uint8 and pyt.info.lives.dtype == torch.bool
    buf.observation[1, 0] = 7
    assert pyt.observation[1, 0].tolist() == [7, 7, 7]
    pyt.info.score[3] = 2.5
    assert (buf.info.score[3] == 2.5).all()
    # Slices of shared arrays convert to views of the same shared storage.
    view = torchify_buffer(buf[1:, 1])
    assert view.observation.is_shared()
    view.info.lives[0] = True
    assert buf.info.lives[1, 1]


def write_from_child(shared):
    np_view = numpify_buffer(shared)
    np_view.observation[2, 1] = 9
    shared.info.score[0, 0] = 1.5
    np_view.info.lives[:, 0] = True


def test_spawned_process_writes_into_the_parents_buffer():
    shm_before = set(os.listdir("/dev/shm"))
    buf = buffer_from_example(example(), (4, 2), share_memory=True)
    pyt = torchify_buffer(buf)
    child = mp.get_context("spawn").Process(target=write_from_child, args=(pyt,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert (buf.observation[2, 1] == 9).all() and pyt.observation[2, 1].tolist() == [9, 9, 9]
    assert buf.info.score[0, 0] == 1.5 and pyt.info.lives[:, 0].all()
    assert not buf.info.lives[:, 1].any()
    del buf, pyt
    assert set(os.listdir("/dev/shm")) - shm_before == set()  # torch unlinks at creation
