"""Block Linears: the same function, initialisation and state-dict entries as ``nn.Linear``."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from genesis_spark.synth.layers import PacInputLinear, SplitLinear


def _linear_like(layer) -> nn.Linear:
    """An ``nn.Linear`` of the layer's shape, initialised as ``init_weights`` used to (seeded)."""
    linear = nn.Linear(layer.in_features, layer.out_features)
    generator = torch.Generator().manual_seed(0)
    nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=generator)
    nn.init.uniform_(linear.bias, -1 / math.sqrt(layer.in_features), 1 / math.sqrt(layer.in_features),
                     generator=generator)
    return linear


@pytest.mark.parametrize("layer", [SplitLinear(3, 4, 2, 5), SplitLinear(0, 4, 0, 5), PacInputLinear(3, 2, 4, 6)],
                         ids=["split", "split-empty-blocks", "pac"])
def test_block_linear_is_an_nn_linear_in_draws_state_dict_and_function(layer):
    linear = _linear_like(layer)
    layer.reset_parameters(torch.Generator().manual_seed(0))
    assert torch.equal(layer.weight, linear.weight) and torch.equal(layer.bias, linear.bias)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"]
    assert all(torch.equal(state[k], v) for k, v in linear.state_dict().items())
    x = torch.randn(7, layer.in_features)
    torch.testing.assert_close(layer(x), linear(x))

    other = type(layer)(*_args(layer))
    other.load_state_dict(linear.state_dict())  # an nn.Linear's entries load into the blocks
    torch.testing.assert_close(other(x), linear(x))


def _args(layer) -> tuple[int, ...]:
    if isinstance(layer, SplitLinear):
        return (*layer.widths, layer.out_features)
    return layer.data_dim, layer.cond_dim, layer.pac, layer.out_features


def test_bad_state_dict_entries_are_refused():
    layer = SplitLinear(3, 4, 2, 5)
    with pytest.raises(RuntimeError, match="size mismatch"):
        layer.load_state_dict({"weight": torch.zeros(5, 8), "bias": torch.zeros(5)})
    with pytest.raises(RuntimeError, match="Missing key"):
        layer.load_state_dict({"weight": torch.zeros(5, 9)})
    with pytest.raises(RuntimeError, match="Unexpected key"):
        layer.load_state_dict({"weight": torch.zeros(5, 9), "bias": torch.zeros(5), "extra": torch.zeros(1)})


def test_pac_input_rows_and_input_gradient_equal_the_dense_layer():
    torch.manual_seed(0)
    layer = PacInputLinear(data_dim=3, cond_dim=2, pac=4, out_features=6)
    data, category = torch.randn(20, 3), torch.randint(0, 2, (20,))
    dense = torch.cat([data, nn.functional.one_hot(category, 2).float()], dim=1).reshape(5, 20)
    torch.testing.assert_close(layer.forward_rows(data, category), layer(dense))
    grad = torch.randn(5, 6)
    torch.testing.assert_close(layer.input_gradient(grad), grad @ layer.weight)
