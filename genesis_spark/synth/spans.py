"""Layout of the transformed matrix: which columns live where, and how each column is encoded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SpanKind = Literal["scalar", "mode", "onehot", "state"]
ValueKind = Literal["float", "int", "datetime", "bool", "category", "string", "object"]


@dataclass(frozen=True)
class Span:
    """Where one block of one column lives in the transformed matrix.

    ``scalar`` is the tanh-activated normalised value of a continuous column, ``mode`` its
    one-hot mixture component, ``onehot`` a discrete column's categories, ``state`` which of
    (a modelled value, null, exactly the minimum, exactly the maximum) a continuous column's row
    holds, for a column with nulls or a point mass on a bound (see :attr:`ContinuousColumn.states`).
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
    minimum_share: float = 0.0  # share of non-null rows exactly on the minimum when a point mass, else 0
    maximum_share: float = 0.0  # the same for the maximum

    @property
    def n_modes(self) -> int:
        """Number of mixture components kept (weight above the threshold)."""
        return len(self.means)

    @property
    def has_nulls(self) -> bool:
        """Whether the column had nulls in training (null is then one of its :attr:`states`)."""
        return self.null_rate > 0

    @property
    def states(self) -> tuple[str, ...]:
        """What a row of this column can hold: ``value`` (modelled by the mixture), then ``null``,
        ``minimum``, ``maximum`` where the column has nulls or a point mass on that bound."""
        return ("value",) + (("null",) if self.has_nulls else ()) + \
            (("minimum",) if self.minimum_share > 0 else ()) + (("maximum",) if self.maximum_share > 0 else ())


@dataclass(frozen=True)
class DiscreteColumn:
    """Learned categories of one discrete column; ``None`` in ``categories`` stands for null.

    A high-cardinality column (see ``genesis_spark.synth.folding``) keeps its frequent values as
    categories and folds the rarer ones into one "other" state at ``categories[other_code]`` (a
    placeholder, before the null); a row in that state takes a value drawn from ``tail_values``
    by ``tail_weights`` (their counts in the training rows, each at least the minimum count).
    """

    name: str
    dtype: str
    value_kind: ValueKind
    categories: tuple[Any, ...]
    frequencies: tuple[int, ...]
    dtype_categories: tuple[Any, ...] | None = field(default=None)
    other_code: int | None = None
    tail_values: tuple[Any, ...] = ()
    tail_weights: tuple[int, ...] = ()

    @property
    def n_categories(self) -> int:
        """Number of categories, the null and "other" states included."""
        return len(self.categories)

    @property
    def is_folded(self) -> bool:
        """Whether rare values are folded into an "other" state (a high-cardinality column)."""
        return self.other_code is not None

    @property
    def values(self) -> tuple[Any, ...]:
        """The real values the one-hot encodes: the categories without the null and "other" states."""
        return tuple(v for i, v in enumerate(self.categories) if v is not None and i != self.other_code)
