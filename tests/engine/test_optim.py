"""FlatParameters: the flattened optimiser takes the same steps as the per-tensor one."""

import copy

import pytest
import torch
from torch import nn

from engine.optim import FlatAdam, FlatParameters, make_optimizer


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))


def _loss(model: nn.Module, step: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(step)
    x = torch.randn(32, 4, generator=generator)
    return (model(x) ** 2).mean() * 100  # large gradients, so clipping acts


def test_flat_adam_with_clipping_matches_per_tensor_adam():
    reference, flat_model = _model(), _model()
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-2)
    flat_optimizer, flat = make_optimizer(torch.optim.Adam, flat_model.parameters(), lr=1e-2)
    for step in range(20):
        optimizer.zero_grad()
        _loss(reference, step).backward()
        norm = nn.utils.clip_grad_norm_(reference.parameters(), 0.5)
        optimizer.step()

        flat.zero_grad()
        _loss(flat_model, step).backward()
        flat_norm = flat.clip_grad_norm_(0.5)
        flat_optimizer.step()

        torch.testing.assert_close(flat_norm, norm)
    for got, want in zip(flat_model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert norm > 0.5  # the clip did act


def test_parameters_stay_views_through_load_state_dict():
    model = _model()
    flat = FlatParameters(model.parameters())
    other = copy.deepcopy(_model())
    with torch.no_grad():
        for p in other.parameters():
            p.add_(1.0)
    model.load_state_dict(other.state_dict())
    expected = torch.cat([p.detach().reshape(-1) for p in other.parameters()])
    torch.testing.assert_close(flat.parameter.detach(), expected)
    # And an optimiser step on the flat tensor moves the model's parameters.
    before = model[0].weight.detach().clone()
    flat.parameter.grad.fill_(1.0)
    torch.optim.SGD([flat.parameter], lr=0.1).step()
    torch.testing.assert_close(model[0].weight.detach(), before - 0.1)


@pytest.mark.parametrize(
    ("OptimCls", "kwargs"),
    [
        (torch.optim.Adam, {}),
        (torch.optim.Adam, {"weight_decay": 0.1, "maximize": True}),
        (torch.optim.AdamW, {"weight_decay": 0.1}),
    ],
)
def test_flat_adam_steps_exactly_as_torch_fused_adam(OptimCls, kwargs):
    reference, flat_model = _model(), _model()
    reference_flat = FlatParameters(reference.parameters())
    optimizer = OptimCls([reference_flat.parameter], lr=1e-2, fused=True, **kwargs)
    flat_optimizer, flat = make_optimizer(OptimCls, flat_model.parameters(), lr=1e-2, **kwargs)
    assert isinstance(flat_optimizer, FlatAdam) and isinstance(flat_optimizer, OptimCls)
    for step in range(12):
        for group in (*optimizer.param_groups, *flat_optimizer.param_groups):
            group["lr"] = 1e-2 * (1 - step / 12)  # as the linear schedules set it
        for model, f, opt in ((reference, reference_flat, optimizer),
                              (flat_model, flat, flat_optimizer)):
            f.zero_grad()
            _loss(model, step).backward()
            opt.step()
        if step == 5:  # a resumed optimiser goes on stepping exactly
            flat_optimizer.load_state_dict(copy.deepcopy(flat_optimizer.state_dict()))
    assert torch.equal(flat.parameter, reference_flat.parameter)
    got, want = flat_optimizer.state_dict()["state"][0], optimizer.state_dict()["state"][0]
    assert got.keys() == want.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), key


def test_flat_adam_runs_step_hooks_and_closures():
    model = _model()
    optimizer, flat = make_optimizer(torch.optim.Adam, model.parameters(), lr=1e-2)
    calls = []
    optimizer.register_step_pre_hook(lambda *_: calls.append("pre"))
    optimizer.register_step_post_hook(lambda *_: calls.append("post"))

    def closure() -> torch.Tensor:
        flat.zero_grad()
        loss = _loss(model, 0)
        loss.backward()
        return loss

    before = flat.parameter.detach().clone()
    for _ in range(2):  # the first step creates the state, the second would take the kernel
        closure()
        optimizer.step()
    assert calls == ["pre", "post"] * 2
    assert torch.is_tensor(optimizer.step(closure))
    assert calls[-2:] == ["pre", "post"]
    assert not torch.equal(flat.parameter, before)
