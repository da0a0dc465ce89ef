"""Linear layers whose weight is stored as column blocks, one parameter each.

The training step uses each block on its own (the noise share of all generator layers in one
matmul, the one-hot condition share as a row lookup). Slicing one weight parameter for that costs
a zero-filled full-size gradient per slice in every backward pass; separate parameters get their
gradients directly. Both layers save and load the usual ``weight`` / ``bias`` state-dict entries,
so artifacts keep the layout of ``nn.Linear``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from genesis_spark.synth.gemm import linear, matmul


def init_linear_(weight: torch.Tensor, bias: torch.Tensor, generator: torch.Generator | None) -> None:
    """``nn.Linear``'s default initialisation of ``weight`` (out, in) and ``bias``, drawn from
    ``generator`` (None: torch's global one)."""
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    bound = 1 / math.sqrt(weight.shape[1]) if weight.shape[1] > 0 else 0
    nn.init.uniform_(bias, -bound, bound, generator=generator)


class BlockLinear(nn.Module):
    """State-dict plumbing shared by the block layers: ``weight`` (assembled) and ``bias`` entries."""

    in_features: int
    out_features: int
    bias: nn.Parameter

    @property
    def weight(self) -> torch.Tensor:
        raise NotImplementedError

    def set_weight(self, weight: torch.Tensor) -> None:
        raise NotImplementedError

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """``nn.Linear``'s default initialisation of the full weight, drawn from ``generator`` (None:
        torch's global one), then split into the blocks: the same draws, in the same order, as an
        ``nn.Linear`` of this shape."""
        weight = torch.empty(self.out_features, self.in_features, device=self.bias.device)
        with torch.no_grad():
            init_linear_(weight, self.bias, generator)
            self.set_weight(weight)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        weight, bias = self.weight, self.bias
        destination[prefix + "weight"] = weight if keep_vars else weight.detach()
        destination[prefix + "bias"] = bias if keep_vars else bias.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        shapes = {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}
        for name, shape in shapes.items():
            value = state_dict.get(prefix + name)
            if value is None:
                missing_keys.append(prefix + name)
            elif tuple(value.shape) != shape:
                error_msgs.append(f"size mismatch for {prefix + name}: copying a param with shape "
                                  f"{tuple(value.shape)}, the shape in the current model is {shape}.")
            elif name == "weight":
                with torch.no_grad():
                    self.set_weight(value)
            else:
                with torch.no_grad():
                    self.bias.copy_(value)
        if strict:
            unexpected_keys.extend(k for k in state_dict if k.startswith(prefix) and k[len(prefix):] not in shapes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The plain Linear on the full input (tests, scoring)."""
        return nn.functional.linear(x, self.weight, self.bias)


class SplitLinear(BlockLinear):
    """A Linear over input columns ``[hidden, noise, condition]``, one parameter per block.

    ``hidden``, ``noise`` and ``condition`` are (out, width) matrices; a block may have no columns.
    """

    def __init__(self, hidden: int, noise: int, condition: int, out_features: int):
        super().__init__()
        self.widths = (hidden, noise, condition)
        self.in_features, self.out_features = hidden + noise + condition, out_features
        self.hidden = nn.Parameter(torch.empty(out_features, hidden))
        self.noise = nn.Parameter(torch.empty(out_features, noise))
        self.condition = nn.Parameter(torch.empty(out_features, condition))
        self.bias = nn.Parameter(torch.empty(out_features))
        self.reset_parameters()

    @property
    def weight(self) -> torch.Tensor:
        return torch.cat([self.hidden, self.noise, self.condition], dim=1)

    def set_weight(self, weight: torch.Tensor) -> None:
        for block, part in zip((self.hidden, self.noise, self.condition), weight.split(self.widths, dim=1)):
            block.copy_(part)


class PacInputLinear(BlockLinear):
    """The critic's first Linear over PacGAN groups of ``pac`` rows of ``[data (d), condition (c)]``.

    ``data`` is the weight of the data columns, (out, pac * d), as the group's data columns lie
    in a row of ``data.reshape(-1, pac * d)``. ``condition`` is the one-hot columns' weight as a
    lookup table, (pac * c, out): row ``p * c + k`` is what category ``k`` in the group's row ``p``
    adds.
    """

    def __init__(self, data_dim: int, cond_dim: int, pac: int, out_features: int):
        super().__init__()
        self.data_dim, self.cond_dim, self.pac = data_dim, cond_dim, pac
        self.in_features, self.out_features = pac * (data_dim + cond_dim), out_features
        self.data = nn.Parameter(torch.empty(out_features, pac * data_dim))
        self.condition = nn.Parameter(torch.empty(pac * cond_dim, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        self.reset_parameters()

    @property
    def weight(self) -> torch.Tensor:
        out, pac, d, c = self.out_features, self.pac, self.data_dim, self.cond_dim
        table = self.condition.view(pac, c, out).permute(2, 0, 1)
        return torch.cat([self.data.view(out, pac, d), table], dim=2).view(out, -1)

    def set_weight(self, weight: torch.Tensor) -> None:
        out, pac, d, c = self.out_features, self.pac, self.data_dim, self.cond_dim
        grouped = weight.reshape(out, pac, d + c)
        self.data.copy_(grouped[:, :, :d].reshape(out, pac * d))
        self.condition.copy_(grouped[:, :, d:].permute(1, 2, 0).reshape(pac * c, out))

    def forward_rows(self, data: torch.Tensor, category: torch.Tensor | None) -> torch.Tensor:
        """The layer on ``[data, one_hot(category)]`` rows, per group: the data part one matmul, the
        condition part a sum of ``pac`` table rows (``category`` None: no condition columns set)."""
        pre = linear(data.reshape(-1, self.pac * self.data_dim), self.data, self.bias)
        if category is None or not self.cond_dim:
            return pre
        index = (category.view(-1, self.pac) + torch.arange(self.pac, device=category.device) * self.cond_dim)
        return pre + self.condition.index_select(0, index.view(-1)).view(-1, self.pac, self.out_features).sum(dim=1)

    def input_gradient(self, grad: torch.Tensor) -> torch.Tensor:
        """``grad @ weight`` for ``grad`` (groups, out): the gradient with respect to the layer's input."""
        groups, pac = grad.shape[0], self.pac
        parts = [matmul(grad, self.data).view(groups, pac, self.data_dim),
                 linear(grad, self.condition).view(groups, pac, self.cond_dim)]
        return torch.cat(parts, dim=2).view(groups, -1)

