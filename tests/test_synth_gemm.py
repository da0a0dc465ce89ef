"""The training step's float32 products through oneDNN: the same values and gradients as torch's."""
from __future__ import annotations

import platform

import pytest
import torch

from genesis_spark.synth import gemm


def _operands(rows: int, inputs: int, outputs: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, inputs, generator=g, requires_grad=True)
    weight = torch.randn(outputs, inputs, generator=g, requires_grad=True)
    bias = torch.randn(outputs, generator=g, requires_grad=True)
    return x, weight, bias


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN ships with x86-64 torch")
def test_float32_cpu_products_take_onednn_on_x86():
    x, weight, _ = _operands(8, 5, 3)
    assert gemm.ONEDNN and gemm._onednn(x, weight)
    assert not gemm._onednn(x.double(), weight.double())  # float64 stays with torch
    assert not gemm._onednn(torch.empty(0, 5), weight)  # so does an empty block


@pytest.mark.parametrize("rows,inputs,outputs", [(500, 128, 588), (37, 19, 11), (1, 256, 1)])
def test_linear_matches_torch_in_value_and_every_gradient(rows, inputs, outputs):
    x, weight, bias = _operands(rows, inputs, outputs)
    grad = torch.randn(rows, outputs, generator=torch.Generator().manual_seed(1))
    ours = gemm.linear(x, weight, bias)
    ours_grads = torch.autograd.grad(ours, (x, weight, bias), grad)
    theirs = torch.nn.functional.linear(x, weight, bias)
    theirs_grads = torch.autograd.grad(theirs, (x, weight, bias), grad)
    torch.testing.assert_close(ours, theirs)
    for a, b in zip(ours_grads, theirs_grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("step", [1, 2])
def test_matmul_of_strided_operands_matches_torch(step):
    """Transposed operands go to oneDNN as views; a slice with a step (no unit stride) to torch."""
    g = torch.Generator().manual_seed(2)
    a = torch.randn(64, 40, generator=g).t().requires_grad_(True)  # (40, 64), column-major
    b = torch.randn(30, 64 * step, generator=g)[:, ::step].t().requires_grad_(True)  # (64, 30)
    assert gemm._onednn(a, b.t()) == (gemm.ONEDNN and step == 1)
    ours = gemm.matmul(a, b)
    torch.testing.assert_close(ours, a @ b)
    ga, gb = torch.autograd.grad(ours.square().sum(), (a, b))
    ta, tb = torch.autograd.grad((a @ b).square().sum(), (a, b))
    torch.testing.assert_close(ga, ta, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(gb, tb, rtol=1e-5, atol=1e-4)


def test_double_backward_through_linear_matches_torch():
    """A gradient penalty by ``create_graph=True`` differentiates the backward's products too."""
    x, weight, bias = _operands(20, 6, 4)

    def penalty(function):
        hidden = torch.nn.functional.leaky_relu(function(x, weight, bias), 0.2)
        grad_x = torch.autograd.grad(hidden.sum(), x, create_graph=True)[0]
        return torch.autograd.grad((grad_x.norm(dim=1) - 1).square().mean(), weight)[0]

    torch.testing.assert_close(penalty(gemm.linear), penalty(torch.nn.functional.linear), rtol=1e-5, atol=1e-5)


def test_no_graph_without_gradients():
    x, weight, bias = _operands(4, 3, 2)
    with torch.no_grad():
        out = gemm.linear(x, weight, bias)
    assert out.grad_fn is None
    torch.testing.assert_close(out, torch.nn.functional.linear(x, weight, bias).detach())
