"""Return and advantage estimators against hand-computed numbers; the categorical distribution."""

import math

import pytest
import torch

from engine.algos.utils import discount_return, generalized_advantage_estimation
from engine.distributions.categorical import Categorical, DistInfo

# T = 4 steps, the episode ends at t = 1, two identical columns (B = 2); discount 0.5.
REWARD = torch.tensor([1.0, 2.0, 3.0, 4.0]).unsqueeze(1).repeat(1, 2)
VALUE = torch.tensor([0.5, 1.0, 1.5, 2.0]).unsqueeze(1).repeat(1, 2)
DONE = torch.tensor([False, True, False, False]).unsqueeze(1).repeat(1, 2)
BOOTSTRAP = torch.tensor([10.0, 10.0])


def column(x: torch.Tensor) -> list[float]:
    assert torch.equal(x[:, 0], x[:, 1])
    return x[:, 0].tolist()


def test_discount_return_with_done_in_the_middle():
    # t3: 4 + .5 * 10 = 9; t2: 3 + .5 * 9 = 7.5; t1: done -> 2; t0: 1 + .5 * 2 = 2
    assert column(discount_return(REWARD, DONE, BOOTSTRAP, 0.5)) == [2.0, 2.0, 7.5, 9.0]


def test_gae_with_done_in_the_middle():
    # deltas: t3: 4 + .5*10 - 2 = 7; t2: 3 + .5*2 - 1.5 = 2.5; t1: 2 - 1 = 1; t0: 1 + .5*1 - .5 = 1
    # advantages (gamma * lambda = .25): t3 7; t2 2.5 + .25*7 = 4.25; t1 1; t0 1 + .25*1 = 1.25
    advantage, return_ = generalized_advantage_estimation(REWARD, VALUE, DONE, BOOTSTRAP, 0.5, 0.5)
    assert column(advantage) == [1.25, 1.0, 4.25, 7.0]
    assert column(return_) == [1.75, 2.0, 5.75, 9.0]


def test_gae_lambda_one_is_the_discounted_return():
    advantage, return_ = generalized_advantage_estimation(REWARD, VALUE, DONE, BOOTSTRAP, 0.5, 1.0)
    assert torch.allclose(return_, discount_return(REWARD, DONE, BOOTSTRAP, 0.5))
    assert torch.allclose(advantage, return_ - VALUE)


def test_timeout_bootstraps_from_the_value_of_the_cut_step():
    timeout = DONE.clone()  # the episode end at t1 was a time limit
    # t1 cannot be evaluated (its next state was lost to the reset): return = value[1], adv 0;
    # t0 bootstraps from value[1]: 1 + .5 * 1 = 1.5.
    return_ = discount_return(REWARD, DONE, BOOTSTRAP, 0.5, timeout=timeout, value=VALUE)
    assert column(return_) == [1.5, 1.0, 7.5, 9.0]
    advantage, return_ = generalized_advantage_estimation(
        REWARD, VALUE, DONE, BOOTSTRAP, 0.5, 0.5, timeout=timeout
    )
    # t0: delta = 1 + .5 * 1 - .5 = 1, and nothing accumulates from the cut step.
    assert column(advantage) == [1.0, 0.0, 4.25, 7.0]
    assert column(return_) == [1.5, 1.0, 5.75, 9.0]
    with pytest.raises(ValueError):
        discount_return(REWARD, DONE, BOOTSTRAP, 0.5, timeout=timeout)


def test_categorical_distribution():
    dist = Categorical(dim=3)
    uniform = DistInfo(logits=torch.zeros(2, 3))
    assert torch.allclose(dist.entropy(uniform), torch.full((2,), math.log(3)))
    assert dist.mean_entropy(uniform, valid=torch.tensor([1.0, 0.0])).item() == pytest.approx(
        math.log(3)
    )
    x = torch.tensor([0, 2])
    assert torch.allclose(dist.log_likelihood(x, uniform), torch.full((2,), -math.log(3)))
    peaked = DistInfo(logits=torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]])))
    assert torch.allclose(dist.likelihood_ratio(x, uniform, peaked), torch.tensor([1.5, 1.8]))

    torch.manual_seed(0)
    many = DistInfo(logits=peaked.logits[1].expand(20000, 3))
    counts = torch.bincount(dist.sample(many), minlength=3).float() / 20000
    assert torch.allclose(counts, torch.tensor([0.2, 0.2, 0.6]), atol=0.02)
    assert dist.sample(DistInfo(logits=torch.zeros(4, 5, 3))).shape == (4, 5)
