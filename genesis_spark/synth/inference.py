"""The fitted generator as a sampling network: BatchNorm folded, bf16 on the CPU, categorical draws by inverse CDF."""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from genesis_spark.synth.spans import Span


@functools.lru_cache(maxsize=1)
def _normal_table() -> np.ndarray:
    """Phi^-1((k + 0.5) / 65536) for k < 65536, float32: the inverse normal CDF at 16-bit resolution."""
    return torch.special.ndtri((torch.arange(65536, dtype=torch.float64) + 0.5) / 65536).float().numpy()


@functools.lru_cache(maxsize=8)
def _normal_table_tensor(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(_normal_table()).to(device=device, dtype=dtype)


def _noise_codes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """16-bit table positions for ``shape`` normal draws, four per 64 random bits (uint16)."""
    count = int(np.prod(shape))
    return rng.bit_generator.random_raw(-(-count // 4)).view(np.uint16)[:count]


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Standard normal noise, float32, by inverse CDF at 16-bit resolution: four draws per 64 random bits.

    |z| <= 4.33 (the 1/65536 quantiles): the generator's input is rounded to bfloat16 (8 significant
    bits) on the CPU anyway. ~2.5x cheaper than ``torch.randn`` (Mersenne Twister, one word per draw),
    and the same numbers on every platform for the same ``rng`` state.
    """
    return np.take(_normal_table(), _noise_codes(rng, shape)).reshape(shape)


def gaussian_noise_tensor(rng: np.random.Generator, shape: tuple[int, int], dtype: torch.dtype,
                          device: torch.device, out: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`gaussian_noise` as a ``dtype`` tensor on ``device`` (the same draws, rounded to ``dtype``),
    looked up by torch in a table already in ``dtype``; into ``out`` when given."""
    codes = torch.from_numpy(_noise_codes(rng, shape).astype(np.int32)).to(device)
    if out is None:
        out = torch.empty(shape, dtype=dtype, device=device)
    torch.index_select(_normal_table_tensor(dtype, torch.device(device)), 0, codes, out=out.view(-1))
    return out


@dataclass(frozen=True)
class SoftmaxGroup:
    """Softmax spans of one width, whose logits are rows ``start`` to ``start + count * width`` of the
    output block and whose uniforms / codes are rows ``first`` to ``first + count``."""

    start: int
    first: int
    count: int
    width: int
    lower: torch.Tensor  # (width, width) lower-triangular ones: the cumulative sums as one batched matmul


@dataclass
class _Workspace:
    """Buffers reused across blocks of one size (fresh multi-MB tensors per block cost page faults)."""

    inputs: torch.Tensor        # (n, hidden + embedding): [h_k .. h_1, z]
    noise: torch.Tensor         # (n, embedding), contiguous, filled by table lookup
    logits: torch.Tensor        # (output rows, n) in the sampling dtype
    logits_float: torch.Tensor  # the same in float32 (``logits`` itself when the dtype is float32)


class SamplingNet:
    """Eval-mode :class:`~genesis_spark.synth.ctgan.Generator` weights laid out for sampling large blocks.

    Hidden layers run row-major into one buffer (``inputs``), their condition share a row lookup
    (``table[category]``, bias included) written straight into the layer's output columns, ReLU in
    place. The output Linear runs feature-major (``W @ inputs^T``), its condition share (bias
    included) a column lookup ``out_table[:, category]`` added to: no matmul over one-hot columns,
    which at wide tables are a third of the network's work. Its rows are ordered as the tanh
    scalars, then the softmax spans grouped by width, so that every per-span step below is a
    batched op over contiguous rows of ``n`` values.
    """

    def __init__(self, generator: nn.Module, spans: Sequence[Span], cond_dim: int, dtype: torch.dtype,
                 device: torch.device):
        self.dtype, self.device = dtype, torch.device(device)
        self.embedding_dim, self.cond_dim = generator.embedding_dim, cond_dim
        scalars = [s for s in spans if s.kind == "scalar"]
        in_span_order = [s for s in spans if s.kind != "scalar"]
        soft = sorted(in_span_order, key=lambda s: s.width)  # stable: span order within one width
        self.n_scalar, self.n_soft = len(scalars), len(soft)
        self.soft_to_span_order = torch.tensor([soft.index(s) for s in in_span_order], device=self.device)
        rows = [s.start for s in scalars]
        self.groups: list[SoftmaxGroup] = []
        for width in sorted({s.width for s in soft}):
            members = [s for s in soft if s.width == width]
            self.groups.append(SoftmaxGroup(len(rows), soft.index(members[0]), len(members), width,
                                            torch.ones(width, width, device=self.device).tril_()))
            rows += [i for s in members for i in range(s.start, s.end)]
        self.hidden: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]] = []
        with torch.no_grad():
            *residuals, output = generator.seq
            for module in residuals:
                bn = module.bn
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                weight = module.fc.weight * scale[:, None]
                bias = (module.fc.bias - bn.running_mean) * scale + bn.bias
                k = weight.shape[1] - cond_dim
                table = (weight[:, k:].t() + bias[None, :]).to(dtype).contiguous()
                self.hidden.append((weight[:, :k].to(dtype).t(), table, bias[None, :].to(dtype), weight.shape[0]))
            index = torch.tensor(rows, dtype=torch.long, device=output.weight.device)
            weight, bias = output.weight.index_select(0, index), output.bias.index_select(0, index)[:, None]
            k = weight.shape[1] - cond_dim
            self.out_weight = weight[:, :k].to(dtype).contiguous()
            self.out_bias = bias.to(dtype)
            self.out_table = (weight[:, k:] + bias).to(dtype).contiguous()  # (output rows, categories)
        self.hidden_width = sum(layer[3] for layer in self.hidden)
        self._local = threading.local()

    def _workspace(self, n: int) -> _Workspace:
        ws = getattr(self._local, "workspace", None)
        if ws is None or ws.noise.shape[0] != n:
            inputs = torch.empty(n, self.out_weight.shape[1], dtype=self.dtype, device=self.device)
            logits = torch.empty(self.out_weight.shape[0], n, dtype=self.dtype, device=self.device)
            ws = self._local.workspace = _Workspace(
                inputs, torch.empty(n, self.embedding_dim, dtype=self.dtype, device=self.device), logits,
                logits if self.dtype == torch.float32 else torch.empty(logits.shape, device=self.device))
        return ws

    @torch.inference_mode()
    def sample(self, n: int, category: torch.Tensor | None,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows as (tanh scalars (n, n_scalar), codes (n, n_soft)), both in span order.

        All noise comes from ``rng`` on the CPU, so rows do not depend on the device: the Gaussian
        input (:func:`gaussian_noise`), then one uniform per softmax span and row.
        """
        ws = self._workspace(n)
        gaussian_noise_tensor(rng, (n, self.embedding_dim), self.dtype, self.device, out=ws.noise)
        uniforms = torch.from_numpy(rng.random((self.n_soft, n), dtype=np.float32)).to(self.device)
        category = None if category is None or not self.cond_dim else category.to(self.device)
        scalars, codes = self.draw(self.forward(ws, category), uniforms)
        return scalars.cpu().numpy().T, codes.cpu().numpy().T

    def forward(self, ws: _Workspace, category: torch.Tensor | None) -> torch.Tensor:
        """float32 logits (output rows, n) for the noise in ``ws.noise`` and global category ids."""
        n, hidden = ws.noise.shape[0], self.hidden_width
        ws.inputs[:, hidden:].copy_(ws.noise)
        off = hidden
        for weight_t, cond_table, bias, width in self.hidden:
            out = ws.inputs[:, off - width:off]
            if category is not None:
                torch.index_select(cond_table, 0, category, out=out)
            else:
                out.copy_(bias.expand(n, -1))
            out.addmm_(ws.inputs[:, off:], weight_t)
            _relu_(out)
            off -= width
        if category is not None:
            torch.index_select(self.out_table, 1, category, out=ws.logits)
        else:
            ws.logits.copy_(self.out_bias.expand(-1, n))
        ws.logits.addmm_(self.out_weight, ws.inputs.t())
        if ws.logits_float is not ws.logits:
            ws.logits_float.copy_(ws.logits)
        return ws.logits_float

    def draw(self, logits: torch.Tensor, uniforms: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(tanh scalars (n_scalar, n), codes (n_soft, n) int32 in span order) from :meth:`forward`'s
        logits and one uniform per softmax span and row (``uniforms`` (n_soft, n), width order).

        Each code is the inverse CDF of softmax(logits) at the uniform: the count of the span's
        cumulative probabilities below it. Per group of equal-width spans: one softmax, one batched
        matmul for the cumulative sums, one comparison and one count.
        """
        n = logits.shape[1]
        scalars = torch.tanh(logits[:self.n_scalar])
        codes = torch.empty(self.n_soft, n, dtype=torch.int32, device=logits.device)
        for g in self.groups:
            p = torch.softmax(logits[g.start:g.start + g.count * g.width].view(g.count, g.width, n), dim=1)
            cumulative = torch.matmul(g.lower, p) if g.width > 1 else p
            below = (cumulative < uniforms[g.first:g.first + g.count].unsqueeze(1)).sum(dim=1, dtype=torch.int32)
            codes[g.first:g.first + g.count] = below.clamp_max_(g.width - 1)  # a total rounded below u
        return scalars, codes.index_select(0, self.soft_to_span_order)


def _relu_(x: torch.Tensor) -> torch.Tensor:
    """In-place ReLU; on bfloat16 as an int16 max with 0 (a negative bfloat16 has the sign bit set),
    4x faster than the bfloat16 kernel, which converts to float and back."""
    if x.dtype == torch.bfloat16:
        x.view(torch.int16).clamp_min_(0)
        return x
    return x.clamp_min_(0)


class CriticNet:
    """Eval-mode :class:`~genesis_spark.synth.ctgan.Discriminator` weights laid out to score single rows in one pass.

    The realism score runs each row alone, as a PacGAN group of ``pac`` copies of itself, with the
    condition vector of the row's own categories, each discrete column's one-hot weighted
    ``1 / columns`` (the average of the conditions training used one at a time). The first Linear on
    such an input is linear in the row, so it folds into one ``(d, out)`` matrix: the ``pac`` data
    blocks summed, plus each discrete column's share of the condition table on that column's one-hot
    columns. The critic is then a plain MLP on the transformed row: one matmul per layer, in float32.
    """

    def __init__(self, critic: nn.Module, discrete_spans: Sequence[Span], offsets: Sequence[int],
                 chunk_rows: int = 2048):
        first = critic.hidden[0]
        out, pac, d, c = first.out_features, first.pac, first.data_dim, first.cond_dim
        with torch.no_grad():
            weight = first.data.detach().view(out, pac, d).sum(dim=1).t().contiguous()  # (d, out)
            table = first.condition.detach().view(pac, c, out).sum(dim=0)  # (c, out): one category's share
            for span, offset in zip(discrete_spans, offsets):
                weight[span.start:span.end] += table[int(offset):int(offset) + span.width] / len(discrete_spans)
            self.layers = [(weight, first.bias.detach().clone())]
            self.layers += [(layer.weight.detach().t().contiguous(), layer.bias.detach().clone())
                            for layer in critic.hidden[1:]]
            self.out_weight = critic.out.weight.detach().t().contiguous()
            self.out_bias = critic.out.bias.detach().clone()
        self.chunk_rows = chunk_rows

    @torch.inference_mode()
    def scores(self, matrix: np.ndarray | torch.Tensor) -> np.ndarray:
        """float64 critic score per row of the transformed ``matrix`` (n, d); cache-sized chunks of rows."""
        x = torch.as_tensor(matrix, dtype=torch.float32, device=self.out_weight.device)
        out = torch.empty(x.shape[0], dtype=torch.float64)
        for first in range(0, x.shape[0], self.chunk_rows):
            h = x[first:first + self.chunk_rows]
            for weight, bias in self.layers:
                h = nn.functional.leaky_relu_(torch.addmm(bias, h, weight), 0.2)
            out[first:first + h.shape[0]] = torch.addmm(self.out_bias, h, self.out_weight).view(-1).cpu()
        return out.numpy()


def critic_net(model: object, discrete_spans: Sequence[Span], offsets: Sequence[int]) -> CriticNet:
    """``model``'s (a :class:`~genesis_spark.synth.ctgan.CTGAN`) critic as a :class:`CriticNet`, cached
    with its sampling nets (dropped whenever the weights change: ``fit``, ``load_state_dict``)."""
    cache = model.__dict__.setdefault("_inference_cache", {})
    net = cache.get("critic")
    if net is None:
        net = cache["critic"] = CriticNet(model.discriminator, discrete_spans, offsets)
    return net
