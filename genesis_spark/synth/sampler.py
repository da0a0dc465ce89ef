"""CTGAN's conditional vector and training-by-sampling, as tensors on the training device."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from genesis_spark.synth.spans import Span


@dataclass(frozen=True)
class CondBatch:
    """One batch of conditions: the one-hot condition vector, the chosen column and category ids."""

    cond: torch.Tensor       # (batch, n_categories) float
    column: torch.Tensor     # (batch,) long, index of the discrete column
    category: torch.Tensor   # (batch,) long, global category id (offset of the column + code)


class ConditionalSampler:
    """Draws condition vectors and real rows matching them, without a Python loop over rows.

    ``spans`` are the one-hot spans of the discrete columns; ``frequencies`` their category counts.
    When ``data`` is given (training), rows of each category are indexed so that a matching row is
    drawn as ``rows[offsets[cat] + floor(u * counts[cat])]`` in one tensor op.
    """

    def __init__(self, spans: list[Span], frequencies: list[np.ndarray], log_frequency: bool,
                 device: torch.device, data: torch.Tensor | None = None):
        self.device = torch.device(device)
        self.n_discrete = len(spans)
        widths = [s.width for s in spans]
        self.n_categories = int(sum(widths))
        self.column_offsets = torch.tensor(np.cumsum([0] + widths[:-1]), dtype=torch.long, device=self.device)
        max_w = max(widths, default=1)
        train_p = np.zeros((self.n_discrete, max_w))
        true_p = np.zeros(self.n_categories)
        for i, (span, freq) in enumerate(zip(spans, frequencies)):
            freq = np.asarray(freq, dtype=np.float64)
            weighted = np.log(freq + 1) if log_frequency else freq
            train_p[i, : span.width] = weighted / weighted.sum()
            off = int(sum(widths[:i]))
            true_p[off: off + span.width] = freq / freq.sum()
        # cumulative probabilities, last entry forced to 1 so that u < 1 always lands inside
        cum = np.cumsum(train_p, axis=1)
        cum[np.arange(self.n_discrete), np.array(widths, dtype=int) - 1] = 1.0 + 1e-9
        cum[cum == 0] = 2.0
        self.train_cum = torch.tensor(cum, dtype=torch.float32, device=self.device)
        self.widths = torch.tensor(widths, dtype=torch.long, device=self.device)
        # generation's inverse CDF over all categories, on the CPU (float32 probabilities, summed in float64)
        self._category_cum = torch.cumsum(torch.tensor(true_p, dtype=torch.float32).double(), 0).float()
        self.column_of_category = torch.repeat_interleave(
            torch.arange(self.n_discrete, device=self.device), self.widths) if self.n_discrete else None
        self.data_column_of_category = torch.cat(
            [torch.arange(s.start, s.end) for s in spans]).to(self.device) if spans else None
        self.rows = self.offsets = self.counts = None
        self.n_rows = 0
        if data is not None:
            self._index_rows(spans, data)

    def _index_rows(self, spans: list[Span], data: torch.Tensor) -> None:
        self.n_rows = data.shape[0]
        if not spans:
            return
        global_ids = torch.stack(
            [data[:, s.start:s.end].argmax(dim=1) + int(off) for s, off in zip(spans, self.column_offsets.tolist())],
            dim=0,
        )  # (n_discrete, n_rows)
        flat = global_ids.reshape(-1)
        order = torch.argsort(flat, stable=True)
        self.rows = (order % self.n_rows).to(torch.long)
        self.counts = torch.bincount(flat, minlength=self.n_categories)
        self.offsets = torch.cumsum(self.counts, 0) - self.counts

    def sample_train(self, batch: int, generator: torch.Generator) -> CondBatch | None:
        """Training conditions: a uniform discrete column, then a category by (log-)frequency."""
        if self.n_discrete == 0:
            return None
        column = torch.randint(0, self.n_discrete, (batch,), device=self.device, generator=generator)
        u = torch.rand(batch, 1, device=self.device, generator=generator)
        code = (self.train_cum[column] < u).sum(dim=1)
        code = torch.minimum(code, self.widths[column] - 1)
        category = self.column_offsets[column] + code
        return self._batch(column, category)

    def _batch(self, column: torch.Tensor, category: torch.Tensor) -> CondBatch:
        batch = column.shape[0]
        cond = torch.zeros(batch, self.n_categories, device=self.device)
        cond.scatter_(1, category.unsqueeze(1), 1.0)
        return CondBatch(cond, column, category)

    def sample_rows(self, category: torch.Tensor | None, batch: int, generator: torch.Generator) -> torch.Tensor:
        """Indices of training rows, each matching its category (uniform rows when ``category`` is None)."""
        if category is None:
            return torch.randint(0, self.n_rows, (batch,), device=self.device, generator=generator)
        u = torch.rand(category.shape[0], device=self.device, generator=generator)
        pick = self.offsets[category] + (u * self.counts[category]).long()
        pick = torch.minimum(pick, self.offsets[category] + self.counts[category] - 1)
        return self.rows[pick]

    def sample_categories(self, batch: int, rng: np.random.Generator) -> torch.Tensor | None:
        """Generation conditions as global category ids on the CPU (one uniform per row, inverse CDF of
        the training frequencies across all discrete columns); None without discrete columns."""
        if self.n_discrete == 0:
            return None
        u = torch.from_numpy(rng.random(batch, dtype=np.float32))
        return torch.searchsorted(self._category_cum, u, right=True).clamp_(max=self.n_categories - 1)
