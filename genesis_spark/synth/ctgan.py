"""CTGAN networks and training loop: residual generator, PacGAN critic, WGAN-GP, conditional loss."""
from __future__ import annotations

import logging
import math
import time
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from genesis_spark.synth.sampler import ConditionalSampler
from genesis_spark.synth.spans import Span

logger = logging.getLogger(__name__)

GUMBEL_TAU = 0.2
GP_LAMBDA = 10.0


class Residual(nn.Module):
    """Linear -> BatchNorm -> ReLU, concatenated with its input."""

    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """CTGAN's residual generator: (noise, condition) -> raw (pre-activation) row matrix."""

    def __init__(self, input_dim: int, dims: Sequence[int], data_dim: int):
        super().__init__()
        layers: list[nn.Module] = []
        dim = input_dim
        for width in dims:
            layers.append(Residual(dim, width))
            dim += width
        layers.append(nn.Linear(dim, data_dim))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)


class Discriminator(nn.Module):
    """PacGAN critic over groups of ``pac`` rows; dropout draws from an explicit ``torch.Generator``."""

    def __init__(self, input_dim: int, dims: Sequence[int], pac: int, dropout: float = 0.5):
        super().__init__()
        self.pac = pac
        self.dropout = dropout
        dim = input_dim * pac
        self.hidden = nn.ModuleList()
        for width in dims:
            self.hidden.append(nn.Linear(dim, width))
            dim = width
        self.out = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h = x.reshape(-1, self.pac * x.shape[1])
        for layer in self.hidden:
            h = nn.functional.leaky_relu(layer(h), 0.2)
            if self.training and generator is not None and self.dropout > 0:
                keep = torch.rand(h.shape, device=h.device, generator=generator) >= self.dropout
                h = h * keep / (1.0 - self.dropout)
        return self.out(h)


def gumbel_noise(u: torch.Tensor) -> torch.Tensor:
    """Standard Gumbel noise from uniforms in [0, 1)."""
    return -torch.log((-torch.log(u.clamp_min(1e-10))).clamp_min(1e-10))


def activate(raw: torch.Tensor, spans: Sequence[Span], generator: torch.Generator) -> torch.Tensor:
    """Training activation: tanh on scalar spans, Gumbel-softmax (tau 0.2) on every other span."""
    gumbel = gumbel_noise(torch.rand(raw.shape, device=raw.device, generator=generator))
    logits = (raw + gumbel) / GUMBEL_TAU
    parts = [torch.tanh(raw[:, s.start:s.end]) if s.kind == "scalar"
             else torch.softmax(logits[:, s.start:s.end], dim=1) for s in spans]
    return torch.cat(parts, dim=1)


def decodable(raw: torch.Tensor, spans: Sequence[Span], gumbel: torch.Tensor) -> torch.Tensor:
    """Sampling activation: tanh on scalar spans, ``raw + Gumbel`` elsewhere (argmax = a categorical draw)."""
    out = raw + gumbel
    scalar = [s.start for s in spans if s.kind == "scalar"]
    if scalar:
        idx = torch.tensor(scalar, device=raw.device)
        out[:, idx] = torch.tanh(raw[:, idx])
    return out


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` instead of the global RNG."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.in_features) if layer.in_features > 0 else 0
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


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
        self.generator = Generator(embedding_dim + cond_dim, generator_dim, self.data_dim)
        self.discriminator = Discriminator(self.data_dim + cond_dim, discriminator_dim, pac)
        if init_generator is not None:  # a loaded model gets its weights from the artifact instead
            init_weights(self.generator, init_generator)
            init_weights(self.discriminator, init_generator)
        self.generator.to(self.device)
        self.discriminator.to(self.device)

    # --------------------------------------------------------------- training
    def fit(self, data: torch.Tensor, sampler: ConditionalSampler, *, epochs: int, batch_size: int,
            discriminator_steps: int, generator_lr: float, discriminator_lr: float, generator_decay: float,
            discriminator_decay: float, generator: torch.Generator, verbose: bool = False) -> pd.DataFrame:
        """Train on ``data`` (already on the device); returns per-epoch mean losses."""
        from tqdm.auto import tqdm

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
        history = []
        bar = tqdm(range(epochs), disable=not verbose, desc="CTGAN")
        for epoch in bar:
            losses = torch.zeros(steps, 3, device=self.device)
            for step in range(steps):
                for _ in range(discriminator_steps):
                    loss_d, pen = self._critic_step(data, sampler, batch_size, opt_d, generator)
                loss_g = self._generator_step(sampler, batch_size, opt_g, generator)
                losses[step, 0] = loss_g
                losses[step, 1] = loss_d
                losses[step, 2] = pen
            g, d, p = losses.mean(dim=0).cpu().tolist()  # one host sync per epoch
            history.append((epoch, g, d, p))
            if verbose:
                bar.set_postfix(generator=f"{g:+.3f}", discriminator=f"{d:+.3f}")
        G.eval()
        D.eval()
        return pd.DataFrame(history, columns=["epoch", "generator_loss", "discriminator_loss", "gradient_penalty"])

    def _conditioned_noise(self, cond: torch.Tensor | None, batch: int, generator: torch.Generator) -> torch.Tensor:
        z = torch.randn(batch, self.embedding_dim, device=self.device, generator=generator)
        return z if cond is None else torch.cat([z, cond], dim=1)

    def _critic_step(self, data, sampler, batch, opt_d, generator):
        G, D = self.generator, self.discriminator
        cb = sampler.sample_train(batch, generator)
        cond = None if cb is None else cb.cond
        with torch.no_grad():
            fake = activate(G(self._conditioned_noise(cond, batch, generator)), self.spans, generator)
        if cb is None:
            real = data[sampler.sample_rows(None, batch, generator)]
            fake_in, real_in = fake, real
        else:
            perm = torch.randperm(batch, device=self.device, generator=generator)
            real = data[sampler.sample_rows(cb.category[perm], batch, generator)]
            fake_in = torch.cat([fake, cond], dim=1)
            real_in = torch.cat([real, cond[perm]], dim=1)
        y = D(torch.cat([fake_in, real_in], dim=0), generator)  # one critic pass over both halves
        y_fake, y_real = y[: batch // self.pac], y[batch // self.pac:]
        pen = self._gradient_penalty(real_in, fake_in, generator)
        loss_d = y_fake.mean() - y_real.mean()
        opt_d.zero_grad(set_to_none=True)
        (loss_d + pen).backward()
        opt_d.step()
        return loss_d.detach(), pen.detach()

    def _gradient_penalty(self, real, fake, generator):
        pac, dim = self.pac, real.shape[1]
        alpha = torch.rand(real.shape[0] // pac, 1, 1, device=self.device, generator=generator)
        alpha = alpha.expand(-1, pac, dim).reshape(-1, dim)
        inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = self.discriminator(inter, generator)
        grads = torch.autograd.grad(out.sum(), inter, create_graph=True)[0]
        norms = grads.reshape(-1, pac * dim).norm(2, dim=1)
        return ((norms - 1) ** 2).mean() * GP_LAMBDA

    def _generator_step(self, sampler, batch, opt_g, generator):
        G, D = self.generator, self.discriminator
        cb = sampler.sample_train(batch, generator)
        cond = None if cb is None else cb.cond
        raw = G(self._conditioned_noise(cond, batch, generator))
        fake = activate(raw, self.spans, generator)
        for p in D.parameters():
            p.requires_grad_(False)
        y_fake = D(fake if cb is None else torch.cat([fake, cond], dim=1), generator)
        for p in D.parameters():
            p.requires_grad_(True)
        loss_g = -y_fake.mean()
        if cb is not None:
            loss_g = loss_g + self._condition_loss(raw, sampler, cb)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return loss_g.detach()

    def _condition_loss(self, raw, sampler, cb):
        """Cross-entropy of the generator's raw logits on the conditioned category (CTGAN's loss)."""
        spans = [s for s in self.spans if s.kind == "onehot"]
        lse = torch.stack([torch.logsumexp(raw[:, s.start:s.end], dim=1) for s in spans], dim=1)
        chosen = raw.gather(1, sampler.data_column_of_category[cb.category].unsqueeze(1)).squeeze(1)
        return (lse.gather(1, cb.column.unsqueeze(1)).squeeze(1) - chosen).sum() / raw.shape[0]

    # --------------------------------------------------------------- sampling
    def _inference_layers(self, dtype: torch.dtype) -> list[tuple[torch.Tensor, torch.Tensor, bool]]:
        """The eval-mode generator as (weight, bias, residual) triples, BatchNorm folded into each Linear.

        Cached per dtype; dropped whenever the weights change (``fit``, ``load_state_dict``).
        """
        cache = self.__dict__.setdefault("_inference_cache", {})
        if dtype not in cache:
            layers = []
            with torch.no_grad():
                for module in self.generator.seq:
                    if isinstance(module, Residual):
                        bn = module.bn
                        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                        weight = module.fc.weight * scale[:, None]
                        bias = (module.fc.bias - bn.running_mean) * scale + bn.bias
                        layers.append((weight.to(dtype).contiguous(), bias.to(dtype), True))
                    else:
                        layers.append((module.weight.to(dtype).contiguous(), module.bias.to(dtype), False))
            cache[dtype] = layers
        return cache[dtype]

    @torch.inference_mode()
    def sample(self, n: int, cond: torch.Tensor | None, generator: torch.Generator,
               bf16: bool = False) -> np.ndarray:
        """``n`` decodable rows; noise from the CPU ``generator`` so rows do not depend on the device.

        Runs the generator with BatchNorm folded into the Linear layers (eval mode), in bfloat16 on
        the CPU when ``bf16`` (AVX-512 BF16 / AMX matmuls, ~2x the fp32 throughput).
        """
        z = torch.randn(n, self.embedding_dim, generator=generator)
        gumbel_u = torch.rand(n, self.data_dim, generator=generator)
        x = z if cond is None else torch.cat([z, cond.cpu()], dim=1)
        dtype = torch.bfloat16 if bf16 and self.device.type == "cpu" else torch.float32
        h = x.to(self.device, dtype)
        for weight, bias, residual in self._inference_layers(dtype):
            out = nn.functional.linear(h, weight, bias)
            h = torch.cat([torch.relu(out), h], dim=1) if residual else out
        raw = h.float()
        gumbel = gumbel_noise(gumbel_u).to(self.device)
        return decodable(raw, self.spans, gumbel).cpu().numpy()

    @torch.inference_mode()
    def critic(self, x: torch.Tensor, batch: int = 65_536) -> np.ndarray:
        """Critic score per row (each row repeated ``pac`` times to fill one PacGAN group)."""
        self.discriminator.eval()
        out = []
        for chunk in torch.split(x, batch):
            rep = chunk.to(self.device).repeat_interleave(self.pac, dim=0)
            out.append(self.discriminator(rep).reshape(-1).float().cpu())
        return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)

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
