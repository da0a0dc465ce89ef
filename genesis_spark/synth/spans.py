"""Layout of the transformed matrix: which columns live where, and how each column is encoded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SpanKind = Literal["scalar", "mode", "onehot", "null"]
ValueKind = Literal["float", "int", "datetime", "bool", "category", "string", "object"]


@dataclass(frozen=True)
class Span:
    """Where one block of one column lives in the transformed matrix.

    ``scalar`` is the tanh-activated normalised value of a continuous column, ``mode`` its
    one-hot mixture component, ``onehot`` a discrete column's categories, ``null`` the
    two-way (present, null) indicator of a continuous column that has nulls.
    """

    column: str
    start: int
    width: int
    kind: SpanKind

    @property
    def end(self) -> int:
        """One past the last matrix column of this span."""
        return self.start + self.width

    @property
    def is_softmax(self) -> bool:
        """True for spans activated with a (Gumbel-)softmax, False for the tanh scalar."""
        return self.kind != "scalar"


@dataclass(frozen=True)
class ContinuousColumn:
    """Learned statistics of one continuous column (mode-specific normalisation)."""

    name: str
    dtype: str
    value_kind: ValueKind
    minimum: float
    maximum: float
    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...]
    null_rate: float
    tz: str | None = None
    log: bool = False  # the mixture models log(value) (positive, right-skewed columns)

    @property
    def n_modes(self) -> int:
        """Number of mixture components kept (weight above the threshold)."""
        return len(self.means)

    @property
    def has_nulls(self) -> bool:
        """Whether the column had nulls in training (and so gets a null span)."""
        return self.null_rate > 0


@dataclass(frozen=True)
class DiscreteColumn:
    """Learned categories of one discrete column; ``None`` in ``categories`` stands for null."""

    name: str
    dtype: str
    value_kind: ValueKind
    categories: tuple[Any, ...]
    frequencies: tuple[int, ...]
    dtype_categories: tuple[Any, ...] | None = field(default=None)

    @property
    def n_categories(self) -> int:
        """Number of categories, the null category included."""
        return len(self.categories)
