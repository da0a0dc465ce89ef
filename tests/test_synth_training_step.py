"""The training step's building blocks: the explicit gradient penalty, dropout masks, the generator's forward."""
from __future__ import annotations

import torch
from torch import nn

from genesis_spark.synth.ctgan import CTGAN, GP_LAMBDA, Discriminator, Generator, dropout_keep
from genesis_spark.synth.spans import Span


def _model(dropout: float) -> CTGAN:
    spans = [Span("a", 0, 1, "scalar"), Span("a", 1, 3, "mode"), Span("b", 4, 2, "onehot")]
    model = CTGAN(spans, 0, 8, (16,), (32, 24), 5, torch.device("cpu"), torch.Generator().manual_seed(0))
    model.discriminator.dropout = dropout
    return model


def _first_layer(model: CTGAN, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The critic's first Linear on the fake groups, then the real ones (what the critic step passes)."""
    D = model.discriminator
    return D.hidden[0](torch.cat([fake, real]).reshape(-1, D.pac * real.shape[1])).detach()


def test_gradient_penalty_equals_the_double_backward_one():
    model = _model(dropout=0.0)  # no dropout: both sides see the same critic
    D = model.discriminator
    params = list(D.parameters())
    real, fake = torch.rand(50, 6), torch.rand(50, 6)
    pen = model._gradient_penalty(_first_layer(model, real, fake), torch.Generator().manual_seed(1))
    ours = torch.autograd.grad(pen, params, allow_unused=True, materialize_grads=True)

    alpha = torch.rand(10, 1, 1, generator=torch.Generator().manual_seed(1)).expand(-1, 5, 6).reshape(-1, 6)
    inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grad = torch.autograd.grad(D(inter).sum(), inter, create_graph=True)[0]
    reference = ((grad.reshape(-1, 30).norm(2, dim=1) - 1) ** 2).mean() * GP_LAMBDA
    theirs = torch.autograd.grad(reference, params, allow_unused=True, materialize_grads=True)

    torch.testing.assert_close(pen, reference)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_gradient_penalty_with_dropout_is_seeded_and_positive():
    model = _model(dropout=0.5)
    real, fake = torch.rand(50, 6), torch.rand(50, 6)
    first = _first_layer(model, real, fake)
    a = model._gradient_penalty(first, torch.Generator().manual_seed(3))
    b = model._gradient_penalty(first, torch.Generator().manual_seed(3))
    c = model._gradient_penalty(first, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c) and a > 0


def test_dropout_keep_masks_are_fair_bits_and_seeded():
    mask = dropout_keep(torch.Size([4000, 257]), 0.5, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert mask.shape == (4000, 257) and mask.dtype == torch.float32
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert abs(mask.mean().item() - 0.5) < 0.005
    assert abs(mask[:, :-1].mean().item() - mask[:, 1:].mean().item()) < 0.01  # no column bias
    assert torch.equal(mask, dropout_keep(mask.shape, 0.5, torch.Generator().manual_seed(0), torch.device("cpu")))
    other = dropout_keep(torch.Size([20_000]), 0.2, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert abs(other.mean().item() - 0.8) < 0.02


def test_generator_forward_equals_the_residual_stack_on_noise_and_one_hot_condition():
    torch.manual_seed(0)
    for dims, cond_dim in [((64, 32), 7), ((), 7), ((16,), 0)]:
        net = Generator(20, cond_dim, dims, 11)
        z = torch.randn(200, 20)
        category = torch.randint(0, max(cond_dim, 1), (200,)) if cond_dim else None
        x = z if category is None else torch.cat([z, nn.functional.one_hot(category, cond_dim).float()], dim=1)
        for mode in (net.train, net.eval):
            mode()
            torch.testing.assert_close(net(z, category), net.seq(x), rtol=1e-5, atol=1e-5)
        net.train()
        params = list(net.parameters())  # zero-width blocks (no hidden input, no condition) get zeros
        ours = torch.autograd.grad(net(z, category).square().sum(), params, allow_unused=True,
                                   materialize_grads=True)
        theirs = torch.autograd.grad(net.seq(x).square().sum(), params, allow_unused=True, materialize_grads=True)
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)


def test_critic_forward_rows_equals_the_dense_one_hot_input():
    torch.manual_seed(0)
    for dims in [(32, 24), (16,)]:
        D = Discriminator(data_dim=6, cond_dim=4, dims=dims, pac=5)
        data, category = torch.randn(40, 6), torch.randint(0, 4, (40,))
        dense = torch.cat([data, nn.functional.one_hot(category, 4).float()], dim=1)
        for training in (False, True):
            D.train(training)
            ours = D.forward_rows(data, category, torch.Generator().manual_seed(2))
            theirs = D(dense, torch.Generator().manual_seed(2))  # same dropout draws
            torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
        D.eval()
        data.requires_grad_(True)
        dense = dense.requires_grad_(True)
        D.forward_rows(data, category).square().sum().backward()
        ours = [p.grad.clone() for p in D.parameters()]
        D.zero_grad()
        D(dense).square().sum().backward()
        for a, p in zip(ours, D.parameters()):
            torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(data.grad, dense.grad[:, :6], rtol=1e-5, atol=1e-5)
