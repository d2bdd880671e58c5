"""namedarraytuple: indexing, assignment and pickling semantics."""

import copy
import multiprocessing as mp
import pickle
from collections import namedtuple

import numpy as np
import pytest
import torch

from engine.utils.collections import (
    is_namedarraytuple,
    is_namedtuple,
    namedarraytuple,
    namedarraytuple_like,
)

Inner = namedarraytuple("Inner", ["a", "b"])
Outer = namedarraytuple("Outer", ["x", "inner", "missing"])


def make_outer(T: int = 4, B: int = 3) -> "Outer":
    return Outer(
        x=np.arange(T * B, dtype=np.float32).reshape(T, B),
        inner=Inner(a=np.zeros((T, B, 2), dtype=np.int64), b=torch.zeros(T, B)),
        missing=None,
    )


def test_integer_index_applies_to_every_field_recursively():
    nat = make_outer()
    row = nat[1]
    assert type(row) is Outer and type(row.inner) is Inner
    assert row.x.shape == (3,) and row.inner.a.shape == (3, 2) and row.inner.b.shape == (3,)
    np.testing.assert_array_equal(row.x, [3, 4, 5])
    assert row.missing is None


def test_slice_and_tuple_index_are_views():
    nat = make_outer()
    window = nat[1:3]
    assert window.x.shape == (2, 3) and window.inner.a.shape == (2, 3, 2)
    window.x[0, 0] = -1.0
    assert nat.x[1, 0] == -1.0
    assert nat[2, 1].x == 7.0
    assert nat[:, 0].inner.b.shape == (4,)


def test_advanced_index_with_tensors():
    nat = make_outer()
    idxs = torch.tensor([0, 5, 11])
    picked = nat[idxs % 4, idxs // 4]
    np.testing.assert_array_equal(picked.x, nat.x[[0, 1, 3], [0, 1, 2]])


def test_scalar_assignment_broadcasts_to_every_field():
    nat = make_outer()
    nat[2] = 7
    assert (nat.x[2] == 7).all() and (nat.inner.a[2] == 7).all() and (nat.inner.b[2] == 7).all()
    assert (nat.x[[0, 1, 3]] != 7).any()
    assert nat.missing is None


def test_matching_structure_assigns_field_wise():
    nat = make_outer()
    value = Outer(
        x=np.full(3, 1.5, dtype=np.float32),
        inner=Inner(a=np.full((3, 2), 2), b=torch.full((3,), 3.0)),
        missing=None,
    )
    nat[0] = value
    assert (nat.x[0] == 1.5).all() and (nat.inner.a[0] == 2).all() and (nat.inner.b[0] == 3).all()
    # A None in the value leaves that field untouched.
    nat[1] = Outer(x=None, inner=Inner(a=5, b=None), missing=None)
    assert (nat.inner.a[1] == 5).all() and (nat.x[1] == [3, 4, 5]).all()
    assert (nat.inner.b[1] == 0).all()


def test_field_membership_get_and_items():
    nat = make_outer()
    assert "inner" in nat and "nope" not in nat
    assert nat.get(0) is nat.x
    assert [name for name, _ in nat.items()] == ["x", "inner", "missing"]


def test_reserved_names_and_class_cache():
    with pytest.raises(ValueError):
        namedarraytuple("Bad", ["get", "value"])
    assert namedarraytuple("Inner", "a b") is Inner
    assert namedarraytuple("Inner", ["a", "c"]) is not Inner


def test_namedarraytuple_like_and_predicates():
    Plain = namedtuple("Plain", ["p", "q"])
    Like = namedarraytuple_like(Plain(1, 2))
    assert is_namedarraytuple(Like(np.zeros(2), np.ones(2)))
    assert Like._fields == ("p", "q") and namedarraytuple_like(Like) is Like
    assert is_namedtuple(Plain(1, 2)) and not is_namedarraytuple(Plain(1, 2))
    with pytest.raises(TypeError):
        namedarraytuple_like((1, 2))


def test_index_error_names_the_field():
    nat = Inner(a=np.zeros(3), b=np.zeros(2))
    with pytest.raises(IndexError, match="Inner.b"):
        nat[2]


def test_pickle_round_trip_in_process():
    nat = make_outer()
    back = pickle.loads(pickle.dumps(nat))
    assert type(back) is Outer and type(back.inner) is Inner
    np.testing.assert_array_equal(back.x, nat.x)
    assert torch.equal(back.inner.b, nat.inner.b)
    assert copy.deepcopy(nat).missing is None
    assert pickle.loads(pickle.dumps(Outer)) is Outer  # classes pickle by schema too


def test_pickle_round_trip_through_spawned_process():
    # The class is made at run time from a namedtuple that no module defines: the spawned
    # process can only rebuild it from the pickled schema.
    Dynamic = namedarraytuple_like(namedtuple("DynamicInfo", ["score", "lives"]))
    nat = Outer(
        x=np.arange(6.0).reshape(2, 3),
        inner=Dynamic(score=np.ones(2), lives=torch.arange(2)),
        missing=None,
    )
    with mp.get_context("spawn").Pool(1) as pool:
        assert pool.apply(is_namedarraytuple, (nat.inner,))
        back = pool.apply(copy.deepcopy, (nat,))
        assert pool.apply(type, (nat.inner,)) is Dynamic
    assert type(back) is Outer and type(back.inner) is Dynamic
    np.testing.assert_array_equal(back.x, nat.x)
    assert torch.equal(back.inner.lives, nat.inner.lives)
    assert back[1].inner.score == 1.0
