"""CTGAN networks and training loop: residual generator, PacGAN critic, WGAN-GP, conditional loss."""
from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from genesis_spark.synth.gemm import linear, matmul
from genesis_spark.synth.inference import SamplingNet
from genesis_spark.synth.layers import BlockLinear, PacInputLinear, SplitLinear, init_linear_
from genesis_spark.synth.sampler import CondBatch, ConditionalSampler
from genesis_spark.synth.spans import Span

logger = logging.getLogger(__name__)

GUMBEL_TAU = 0.2
GP_LAMBDA = 10.0
BATCHNORM_CALIBRATION_ROWS = 10_000  # rows pushed through the averaged generator to re-estimate BatchNorm


class Residual(nn.Module):
    """Linear -> BatchNorm -> ReLU, concatenated with its input ``[h, z, cond]``."""

    def __init__(self, hidden: int, noise: int, condition: int, o: int):
        super().__init__()
        self.fc = SplitLinear(hidden, noise, condition, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """CTGAN's residual generator: (noise, condition) -> raw (pre-activation) row matrix.

    Layer k's input is ``[h_k-1, ..., h_1, z, cond]``. :meth:`forward` computes the same function
    as running ``seq`` on ``[z, one_hot(category)]``, but takes the noise's share of every Linear in
    one matmul up front, the one-hot condition's share as a row lookup, and multiplies only the
    hidden part per layer: the backward pass computes no gradient for the input columns (noise and
    condition need none), no concatenated input is copied per layer, and no matmul runs over
    one-hot columns. Each Linear keeps its hidden, noise and condition columns as separate
    parameters (:class:`SplitLinear`), so that none of this slices a parameter.
    """

    def __init__(self, embedding_dim: int, cond_dim: int, dims: Sequence[int], data_dim: int):
        super().__init__()
        layers: list[nn.Module] = []
        hidden = 0
        for width in dims:
            layers.append(Residual(hidden, embedding_dim, cond_dim, width))
            hidden += width
        layers.append(SplitLinear(hidden, embedding_dim, cond_dim, data_dim))
        self.seq = nn.Sequential(*layers)
        self.embedding_dim, self.cond_dim = embedding_dim, cond_dim

    def forward(self, z: torch.Tensor, category: torch.Tensor | None = None) -> torch.Tensor:
        """Raw output for noise ``z`` (n, embedding_dim) conditioned on global category ids ``category`` (n,)."""
        linears = [m.fc if isinstance(m, Residual) else m for m in self.seq]
        bias = torch.cat([layer.bias for layer in linears])
        noise = torch.cat([layer.noise for layer in linears])
        if category is not None and self.cond_dim:  # condition share and bias: one row lookup
            table = torch.cat([layer.condition for layer in linears]).t().contiguous() + bias
            pre = linear(z, noise) + table.index_select(0, category)
        else:
            pre = linear(z, noise, bias)
        pre = pre.split([layer.out_features for layer in linears], dim=1)
        hidden = None  # [h_j, ..., h_1]
        for module, layer, part in zip(self.seq, linears, pre):
            # the first layer's share is a column slice of ``pre``: BatchNorm on a strided input
            # takes a generic kernel about 5x slower, forward and backward, than on a contiguous one
            y = part.contiguous() if hidden is None else part + linear(hidden, layer.hidden)
            if not isinstance(module, Residual):
                return y
            h = torch.relu(module.bn(y))
            hidden = h if hidden is None else torch.cat([h, hidden], dim=1)
        raise AssertionError("the generator ends with a Linear")


class Discriminator(nn.Module):
    """PacGAN critic over groups of ``pac`` rows of ``[data, condition]``; dropout draws from an
    explicit ``torch.Generator``. The first Linear is a :class:`PacInputLinear`."""

    def __init__(self, data_dim: int, cond_dim: int, dims: Sequence[int], pac: int, dropout: float = 0.5):
        super().__init__()
        if not dims:
            raise ValueError("The critic needs at least one hidden layer (discriminator_dim).")
        self.pac = pac
        self.dropout = dropout
        self.hidden = nn.ModuleList([PacInputLinear(data_dim, cond_dim, pac, dims[0])])
        for i, o in zip(dims[:-1], dims[1:]):
            self.hidden.append(nn.Linear(i, o))
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Score per group of ``pac`` rows of ``x`` = ``[data, condition]`` (any condition vector)."""
        return self.from_first(self.hidden[0](x.reshape(-1, self.pac * x.shape[1])), generator)

    def forward_rows(self, data: torch.Tensor, category: torch.Tensor | None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
        """:meth:`forward` of ``[data, one_hot(category)]``, the one-hot part of the first Linear a
        sum of row lookups instead of a matmul over one-hot columns (and no input gradient)."""
        return self.from_first(self.hidden[0].forward_rows(data, category), generator)

    def from_first(self, pre: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """The critic from the first Linear's output on."""
        h = pre
        for i, layer in enumerate(self.hidden):
            h = nn.functional.leaky_relu(linear(h, layer.weight, layer.bias) if i else h, 0.2)
            if self.training and generator is not None and self.dropout > 0:
                h = h * self.dropout_scale(h.shape, generator, h.device)
        return linear(h, self.out.weight, self.out.bias)

    def dropout_scale(self, shape: torch.Size, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """Training-mode dropout as a multiplier: kept entries ``1 / (1 - dropout)``, dropped ones 0."""
        if self.dropout <= 0:
            return torch.ones(shape, device=device)
        return dropout_keep(shape, self.dropout, generator, device) / (1.0 - self.dropout)


def dropout_keep(shape: torch.Size, rate: float, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """A float 0/1 keep mask, each entry kept with probability ``1 - rate``.

    At rate 0.5 (CTGAN's) every random 32-bit word gives 32 entries, 32x fewer generator draws
    than one uniform per entry.
    """
    if rate != 0.5:
        return (torch.rand(shape, device=device, generator=generator) >= rate).float()
    count = math.prod(shape)
    words = torch.empty(-(-count // 32), dtype=torch.int64, device=device).random_(0, 2 ** 32, generator=generator)
    bits = (words.unsqueeze(1) >> torch.arange(32, device=device)) & 1
    return bits.reshape(-1)[:count].reshape(shape).float()


def gumbel_noise(u: torch.Tensor) -> torch.Tensor:
    """Standard Gumbel noise from uniforms in [0, 1)."""
    return -torch.log((-torch.log(u.clamp_min(1e-10))).clamp_min(1e-10))


def activate(raw: torch.Tensor, spans: Sequence[Span], generator: torch.Generator) -> torch.Tensor:
    """Training activation: tanh on scalar spans, Gumbel-softmax (tau 0.2) on every other span."""
    gumbel = gumbel_noise(torch.rand(raw.shape, device=raw.device, generator=generator))
    logits = (raw + gumbel) / GUMBEL_TAU
    widths = [s.width for s in spans]  # split, not per-span slices: one gradient concatenation, not one per span
    parts = [torch.tanh(r) if s.kind == "scalar" else torch.softmax(g, dim=1)
             for s, r, g in zip(spans, raw.split(widths, dim=1), logits.split(widths, dim=1))]
    return torch.cat(parts, dim=1)


@torch.no_grad()
def _accumulate(average: list[torch.Tensor], params: list[torch.Tensor], count: int) -> None:
    """Fold the ``count``-th sample of ``params`` into their running uniform ``average`` (in place)."""
    if not average:
        average.extend(p.detach().clone() for p in params)
    else:
        torch._foreach_lerp_(average, [p.detach() for p in params], 1.0 / count)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` instead of the global RNG."""
    for layer in module.modules():
        if isinstance(layer, BlockLinear):
            layer.reset_parameters(generator)
        elif isinstance(layer, nn.Linear):
            init_linear_(layer.weight, layer.bias, generator)


class CTGAN:
    """Conditional tabular GAN on a transformed matrix (see :class:`DataTransformer`)."""

    def __init__(self, spans: Sequence[Span], cond_dim: int, embedding_dim: int, generator_dim: Sequence[int],
                 discriminator_dim: Sequence[int], pac: int, device: torch.device,
                 init_generator: torch.Generator | None = None):
        self.spans = list(spans)
        self.data_dim = self.spans[-1].end
        self.cond_dim = cond_dim
        self.embedding_dim = embedding_dim
        self.pac = pac
        self.device = torch.device(device)
        self.generator = Generator(embedding_dim, cond_dim, generator_dim, self.data_dim)
        self.discriminator = Discriminator(self.data_dim, cond_dim, discriminator_dim, pac)
        if init_generator is not None:  # a loaded model gets its weights from the artifact instead
            init_weights(self.generator, init_generator)
            init_weights(self.discriminator, init_generator)
        self.generator.to(self.device)
        self.discriminator.to(self.device)

    # --------------------------------------------------------------- training
    def fit(self, data: torch.Tensor, sampler: ConditionalSampler, *, epochs: int, batch_size: int,
            discriminator_steps: int, generator_lr: float, discriminator_lr: float, generator_decay: float,
            discriminator_decay: float, generator: torch.Generator, generator_average: float = 0.0,
            verbose: bool | None = None) -> pd.DataFrame:
        """Train on ``data`` (already on the device); returns per-epoch mean losses.

        ``generator_average`` > 0 keeps the uniform average of the generator's weights over that
        share of the last steps (Polyak-Ruppert tail averaging) and samples with it, BatchNorm
        statistics re-estimated for the averaged weights: a GAN's last iterate oscillates around
        the equilibrium, its average sits much closer (``bench/bench_shape_seeds.py``).
        ``verbose``: a progress bar of the epochs with the losses; None draws it when stderr is a
        terminal outside CI (``synth.config.progress_enabled``).
        """
        from tqdm.auto import tqdm

        from genesis_spark.synth.config import progress_enabled

        G, D = self.generator, self.discriminator
        self.__dict__.pop("_inference_cache", None)
        G.train()
        D.train()
        fused = {"fused": True} if self.device.type in ("cpu", "cuda") else {}  # one kernel for all parameters
        opt_g = torch.optim.Adam(G.parameters(), lr=generator_lr, betas=(0.5, 0.9), weight_decay=generator_decay,
                                 **fused)
        opt_d = torch.optim.Adam(D.parameters(), lr=discriminator_lr, betas=(0.5, 0.9),
                                 weight_decay=discriminator_decay, **fused)
        steps = max(len(data) // batch_size, 1)
        average_from = math.ceil((1 - generator_average) * epochs * steps) if generator_average > 0 else None
        average: list[torch.Tensor] = []
        history = []
        show = progress_enabled(verbose)
        bar = tqdm(range(epochs), disable=not show, desc="CTGAN", unit="epoch")
        for epoch in bar:
            losses = torch.zeros(steps, 3, device=self.device)
            for step in range(steps):
                for k in range(discriminator_steps):  # the last critic step's fakes feed the generator step
                    cb, raw, fake = self._fake_batch(sampler, batch_size, generator, k == discriminator_steps - 1)
                    loss_d, pen = self._critic_step(data, sampler, cb, fake.detach(), opt_d, generator)
                loss_g = self._generator_step(sampler, cb, raw, fake, opt_g, generator)
                if average_from is not None and epoch * steps + step >= average_from:
                    _accumulate(average, list(G.parameters()), epoch * steps + step - average_from + 1)
                losses[step, 0] = loss_g
                losses[step, 1] = loss_d
                losses[step, 2] = pen
            g, d, p = losses.mean(dim=0).cpu().tolist()  # one host sync per epoch
            history.append((epoch, g, d, p))
            if show:
                bar.set_postfix(generator=f"{g:+.3f}", discriminator=f"{d:+.3f}")
        if average:
            with torch.no_grad():
                torch._foreach_copy_(list(G.parameters()), average)
            self._calibrate_batchnorm(sampler, batch_size, generator)
        G.eval()
        D.eval()
        return pd.DataFrame(history, columns=["epoch", "generator_loss", "discriminator_loss", "gradient_penalty"])

    @torch.no_grad()
    def _calibrate_batchnorm(self, sampler: ConditionalSampler, batch: int, generator: torch.Generator) -> None:
        """Re-estimate the generator's BatchNorm running statistics for its current weights
        (cumulative averages over ``BATCHNORM_CALIBRATION_ROWS`` rows of training-mode forwards)."""
        norms = [m for m in self.generator.modules() if isinstance(m, nn.BatchNorm1d)]
        momenta = [norm.momentum for norm in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
        self.generator.train()
        for _ in range(max(math.ceil(BATCHNORM_CALIBRATION_ROWS / batch), 2)):
            cb = sampler.sample_train(batch, generator)
            self.generator(self._noise(batch, generator), None if cb is None else cb.category)
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum

    def _noise(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(batch, self.embedding_dim, device=self.device, generator=generator)

    def _fake_batch(self, sampler: ConditionalSampler, batch: int, generator: torch.Generator,
                    grad: bool) -> tuple[CondBatch | None, torch.Tensor, torch.Tensor]:
        """(conditions, raw generator output, activated fake rows) for one batch; with ``grad`` the
        generator's graph is kept for the generator step, which reuses these rows (as the DCGAN
        reference loop does) instead of running the generator a second time."""
        cb = sampler.sample_train(batch, generator)
        with torch.set_grad_enabled(grad):
            raw = self.generator(self._noise(batch, generator), None if cb is None else cb.category)
            return cb, raw, activate(raw, self.spans, generator)

    def _critic_step(self, data, sampler, cb, fake, opt_d, generator):
        D, batch = self.discriminator, fake.shape[0]
        if cb is None:
            real, category = data[sampler.sample_rows(None, batch, generator)], None
        else:
            perm = torch.randperm(batch, device=self.device, generator=generator)
            real = data[sampler.sample_rows(cb.category[perm], batch, generator)]
            category = torch.cat([cb.category, cb.category[perm]])
        first = D.hidden[0].forward_rows(torch.cat([fake, real], dim=0), category)  # one pass over both halves
        y = D.from_first(first, generator)
        y_fake, y_real = y[: batch // self.pac], y[batch // self.pac:]
        pen = self._gradient_penalty(first.detach(), generator)
        loss_d = y_fake.mean() - y_real.mean()
        opt_d.zero_grad(set_to_none=True)
        (loss_d + pen).backward(inputs=list(D.parameters()))
        opt_d.step()
        return loss_d.detach(), pen.detach()

    def _gradient_penalty(self, first: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """WGAN-GP: ``GP_LAMBDA * mean((|grad_x D(x)| - 1)^2)`` at random mixes ``x`` of real and fake groups.

        ``first`` is the critic's first Linear on the fake groups, then on the real groups paired
        with them. That layer is affine and the mix is per group, so its value at the mix is the
        same mix of the two halves: no pass over the mixed rows. The critic is an MLP of Linears,
        leaky ReLUs and dropout, so its input gradient is ``w_out * m_L @ W_L * ... * m_1 @ W_1``
        with ``m_l`` the (piecewise constant) slope and dropout mask of layer l. That product is
        built explicitly, the masks from one forward pass without a graph, and autograd
        differentiates it once: the same penalty and parameter gradients as differentiating
        ``autograd.grad(D(x), x, create_graph=True)``, without the double-backward pass.
        """
        D, groups = self.discriminator, first.shape[0] // 2
        alpha = torch.rand(groups, 1, device=self.device, generator=generator)
        masks = []
        with torch.no_grad():
            h = alpha * first[groups:] + (1 - alpha) * first[:groups]
            for i, layer in enumerate(D.hidden):
                a = linear(h, layer.weight, layer.bias) if i else h
                keep = D.dropout_scale(a.shape, generator, a.device)
                masks.append(torch.where(a > 0, 1.0, 0.2) * keep)
                h = nn.functional.leaky_relu(a, 0.2) * keep
        grad = D.out.weight * masks[-1]
        for layer, slope in zip(reversed(D.hidden[1:]), reversed(masks[:-1])):
            grad = matmul(grad, layer.weight) * slope
        norms = D.hidden[0].input_gradient(grad).norm(2, dim=1)
        return ((norms - 1) ** 2).mean() * GP_LAMBDA

    def _generator_step(self, sampler, cb, raw, fake, opt_g, generator):
        D = self.discriminator
        y_fake = D.forward_rows(fake, None if cb is None else cb.category, generator)
        loss_g = -y_fake.mean()
        if cb is not None:
            loss_g = loss_g + self._condition_loss(raw, sampler, cb)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward(inputs=list(self.generator.parameters()))  # the critic's weights get no gradient
        opt_g.step()
        return loss_g.detach()

    def _condition_loss(self, raw, sampler, cb):
        """Cross-entropy of the generator's raw logits on the conditioned category (CTGAN's loss)."""
        parts = raw.split([s.width for s in self.spans], dim=1)
        lse = torch.stack([torch.logsumexp(part, dim=1) for s, part in zip(self.spans, parts) if s.kind == "onehot"],
                          dim=1)
        chosen = raw.gather(1, sampler.data_column_of_category[cb.category].unsqueeze(1)).squeeze(1)
        return (lse.gather(1, cb.column.unsqueeze(1)).squeeze(1) - chosen).sum() / raw.shape[0]

    # --------------------------------------------------------------- sampling
    def _sampling_net(self, dtype: torch.dtype) -> SamplingNet:
        """The eval-mode generator laid out for sampling (:class:`SamplingNet`), cached per dtype and
        dropped whenever the weights change (``fit``, ``load_state_dict``)."""
        cache = self.__dict__.setdefault("_inference_cache", {})
        if dtype not in cache:
            cache[dtype] = SamplingNet(self.generator, self.spans, self.cond_dim, dtype, self.device)
        return cache[dtype]

    def sample_codes(self, n: int, category: torch.Tensor | None, rng: np.random.Generator,
                     bf16: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``n`` sampled rows as (tanh scalars (n, n_scalar spans), codes (n, n_softmax spans)).

        ``category`` (CPU, long) is each row's conditioned global category (None without discrete
        columns). Each softmax span's code is a categorical draw from softmax(logits): the
        distribution of CTGAN's argmax of Gumbel-softmax(logits), for one uniform per span instead
        of one Gumbel per matrix column. The generator runs in eval mode with BatchNorm folded into
        the Linears, in bfloat16 on the CPU when ``bf16`` (AVX-512 BF16 / AMX matmuls); see
        :class:`SamplingNet`.
        """
        dtype = torch.bfloat16 if bf16 and self.device.type == "cpu" else torch.float32
        return self._sampling_net(dtype).sample(n, category, rng)

    def sample(self, n: int, cond: torch.Tensor | None, rng: np.random.Generator,
               bf16: bool = False) -> np.ndarray:
        """``n`` decodable rows as a matrix (tanh scalars, one-hot codes); see :meth:`sample_codes`.

        ``cond`` is a one-hot condition vector per row.
        """
        category = None if cond is None or not self.cond_dim else cond.cpu().argmax(dim=1)
        scalars, codes = self.sample_codes(n, category, rng, bf16)
        out = np.zeros((n, self.data_dim), dtype=np.float32)
        rows = np.arange(n)
        out[:, [s.start for s in self.spans if s.kind == "scalar"]] = scalars
        for j, s in enumerate(s for s in self.spans if s.kind != "scalar"):
            out[rows, s.start + codes[:, j]] = 1.0
        return out

    @torch.inference_mode()
    def state_dict(self) -> dict[str, torch.Tensor]:
        """Both networks' weights (and BatchNorm buffers), keyed ``generator.*`` / ``discriminator.*``."""
        state = {f"generator.{k}": v for k, v in self.generator.state_dict().items()}
        state.update({f"discriminator.{k}": v for k, v in self.discriminator.state_dict().items()})
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load weights saved by :meth:`state_dict` (tensors on any device)."""
        g = {k[len("generator."):]: v for k, v in state.items() if k.startswith("generator.")}
        d = {k[len("discriminator."):]: v for k, v in state.items() if k.startswith("discriminator.")}
        self.__dict__.pop("_inference_cache", None)
        self.generator.load_state_dict(g)
        self.discriminator.load_state_dict(d)
        self.generator.eval()
        self.discriminator.eval()
