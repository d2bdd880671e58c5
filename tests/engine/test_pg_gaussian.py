"""The Gaussian distribution against torch.distributions, and the Gaussian PPO path."""

import math

import pytest
import torch
from torch.distributions import Normal, TransformedDistribution, kl_divergence
from torch.distributions.transforms import AffineTransform, TanhTransform

from engine.build import build_runner
from engine.distributions.gaussian import DistInfo, DistInfoStd, Gaussian
from engine.spec import ExperimentSpec


def dist_infos(seed=0, shape=(5, 4, 3)):
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(shape, generator=g)
    log_std = 0.5 * torch.randn(shape, generator=g)
    return DistInfoStd(mean, log_std), Normal(mean, log_std.exp())


def test_log_likelihood_entropy_and_kl_match_torch_normal():
    info, normal = dist_infos(0)
    x = torch.randn(info.mean.shape, generator=torch.Generator().manual_seed(3))
    gaussian = Gaussian(dim=3)
    torch.testing.assert_close(gaussian.log_likelihood(x, info), normal.log_prob(x).sum(-1))
    torch.testing.assert_close(gaussian.entropy(info), normal.entropy().sum(-1))
    new_info, new_normal = dist_infos(1)
    torch.testing.assert_close(
        gaussian.kl(info, new_info), kl_divergence(normal, new_normal).sum(-1)
    )
    torch.testing.assert_close(
        gaussian.mean_kl(info, new_info), kl_divergence(normal, new_normal).sum(-1).mean()
    )
    ratio = gaussian.likelihood_ratio(x, info, new_info)
    expected = (new_normal.log_prob(x) - normal.log_prob(x)).sum(-1).exp()
    torch.testing.assert_close(ratio, expected, rtol=1e-5, atol=1e-6)


def test_fixed_std_ignores_dist_info_std_and_clips_samples():
    mean = torch.zeros(1000, 2)
    gaussian = Gaussian(dim=2, std=0.5, clip=0.6)
    x = torch.randn(1000, 2)
    normal = Normal(mean, 0.5)
    expected = normal.log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian.log_likelihood(x, DistInfo(mean)), expected)
    torch.testing.assert_close(gaussian.entropy(DistInfo(mean)), normal.entropy().sum(-1))
    sample = gaussian.sample(DistInfo(mean))
    assert sample.abs().max() <= 0.6 and sample.abs().max() == pytest.approx(0.6)
    noisy = Gaussian(dim=2, std=1.0, noise_clip=0.1).sample(DistInfo(mean + 3))
    assert ((noisy - 3).abs() <= 0.1 + 1e-6).all()


def test_squashed_sample_loglikelihood_matches_tanh_transformed_normal():
    # Moderate pre-squash values: torch inverts tanh with atanh, inexact where tanh saturates.
    info, _ = dist_infos(2)
    info = DistInfoStd(0.3 * info.mean, info.log_std - 1.0)
    normal = Normal(info.mean, info.log_std.exp())
    gaussian = Gaussian(dim=3, squash=2.0)
    action, logli = gaussian.sample_loglikelihood(info)
    assert action.abs().max() <= 2.0
    squashed = TransformedDistribution(normal, [TanhTransform(), AffineTransform(0.0, 2.0)])
    torch.testing.assert_close(logli, squashed.log_prob(action).sum(-1), rtol=1e-4, atol=1e-4)
    # log_likelihood takes the pre-squash value and gives the same density.
    pre_squash = torch.atanh(action / 2.0)
    torch.testing.assert_close(
        gaussian.log_likelihood(pre_squash, info), logli, rtol=1e-3, atol=1e-3
    )
    with pytest.raises(NotImplementedError):
        gaussian.entropy(info)


def test_sample_loglikelihood_is_reparameterised_and_std_bounds_apply():
    mean = torch.zeros(4, 2, requires_grad=True)
    log_std = torch.full((4, 2), 5.0, requires_grad=True)
    gaussian = Gaussian(dim=2, min_std=math.exp(-20), max_std=math.exp(2))
    x, logli = gaussian.sample_loglikelihood(DistInfoStd(mean, log_std))
    (x.sum() + logli.sum()).backward()
    assert mean.grad is not None and torch.isfinite(mean.grad).all()
    # log_std 5 is clamped to 2: the entropy is that of std e^2, and no gradient reaches it.
    expected = Normal(torch.zeros(2), torch.full((2,), math.exp(2))).entropy().sum()
    torch.testing.assert_close(gaussian.entropy(DistInfoStd(mean, log_std))[0], expected)
    assert (log_std.grad == 0).all()


def test_ppo_trains_a_gaussian_policy_on_pendulum(tmp_path):
    torch.set_num_threads(1)
    spec = ExperimentSpec.model_validate(
        dict(
            env={"id": "Pendulum-v1"},
            algo={"name": "PPO", "params": {"learning_rate": 3e-4, "gae_lambda": 0.95}},
            model={"normalize_observation": True},
            sampler={"kind": "serial", "batch_T": 64, "batch_B": 4},
            runner={"kind": "minibatch", "n_steps": 2048, "log_interval_steps": 1024},
            device="cpu",
        )
    )
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    summary = runner.train()
    assert type(runner.agent).__name__ == "GaussianPgAgent"
    for key in ("loss", "policy_loss", "value_loss", "entropy", "grad_norm", "approx_kl"):
        assert math.isfinite(summary[key]), key
    # The state-independent log_std is a trained parameter: PPO moved it off its init of 0.
    assert runner.agent.model.log_std.detach().abs().item() > 1e-4
    assert (tmp_path / "checkpoint.pt").exists()
