"""Float32 matrix products for the training step, through oneDNN on the CPU, with autograd.

PyTorch's CPU ``mm`` / ``addmm`` in float32 call MKL, whose GEMM runs its AVX2 code on AMD CPUs:
on a Zen 5 core it reaches 70-100 GFLOP/s on the training step's products where oneDNN (bundled
with every x86-64 torch build) reaches 160-220 with AVX-512 (``bench/bench_gemm.py``). The
products here are IEEE float32, accumulated in float32, as MKL's; only the order of the additions
differs (results within float32 rounding of MKL's, ~1e-6 relative). oneDNN takes strided operands
as they are, so transposes are views, never copies.

Only the training step uses it. oneDNN chooses its kernel by the CPU's instruction set, and its
float32 products differ in the last bits between an AVX2 and an AVX-512 CPU; torch's float32
kernels, with which the executors sample and score, gave the same rows bit for bit on both. A
generator already depended on the CPU it was trained on; the rows sampled from it must not
depend on the executor that a task (or its retry) lands on.

Anything that is not a float32 CPU tensor with every dimension non-empty (CUDA, float64,
bfloat16, an empty block of a :class:`~genesis_spark.synth.layers.SplitLinear`, a slice with a
step), or a torch without oneDNN, goes to torch's own kernels.
"""
from __future__ import annotations

import torch

_LINEAR = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
ONEDNN = _LINEAR is not None and torch.backends.mkldnn.is_available()


def _onednn(*tensors: torch.Tensor) -> bool:
    """Whether oneDNN takes these operands: 2-D float32 CPU tensors, none empty, each row- or
    column-major (one unit stride; a transpose qualifies, a slice with a step does not)."""
    return ONEDNN and all(t.device.type == "cpu" and t.dtype == torch.float32 and t.dim() == 2 and t.numel() > 0
                          and 1 in t.stride() for t in tensors)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x @ weight.T + bias`` without autograd: oneDNN where it applies, torch otherwise."""
    if _onednn(x, weight):
        return _LINEAR(x, weight, bias, "none", [], "")
    return torch.nn.functional.linear(x, weight, bias)


class _Linear(torch.autograd.Function):
    """``x @ weight.T + bias``; the backward pass's products are :func:`linear` again, so that a
    double backward (``create_graph=True``) differentiates them too."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = linear(grad, weight.t()) if need_x else None  # grad @ weight
        grad_weight = None
        if need_weight:  # grad.T @ x, the wider of its two sides as oneDNN's weight side (its faster layout)
            out_features, in_features = weight.shape
            grad_weight = (linear(x.t(), grad.t()).t() if out_features > in_features else linear(grad.t(), x.t()))
        grad_bias = grad.sum(dim=0) if need_bias and ctx.has_bias else None
        return grad_x, grad_weight, grad_bias


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``torch.nn.functional.linear`` for 2-D ``x`` (rows, in) and ``weight`` (out, in), differentiable
    in all three arguments."""
    if not torch.is_grad_enabled() or not any(t is not None and t.requires_grad for t in (x, weight, bias)):
        return _linear(x, weight, bias)
    return _Linear.apply(x, weight, bias)


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for 2-D ``a`` (m, k) and ``b`` (k, n), differentiable in both."""
    return linear(a, b.t())
