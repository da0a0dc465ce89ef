"""Declared step parameters: name, accepted types, required/default, range, doc. Introspectable for reference docs."""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "mapping",
               type(None): "null"}


class ParameterError(ValueError):
    """A step was given an unknown, missing, wrongly typed or out-of-range parameter."""


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Range:
    """The numbers a parameter accepts: from ``low`` to ``high`` (None: unbounded), each end included
    unless marked open.

    Example::

        Range(0, 1, low_open=True, high_open=True)   # (0, 1), e.g. ratio
        Range(low=10)                                 # >= 10, e.g. n_bootstrap
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if value != value:  # NaN is in no range
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return (f"{'(' if self.low_open else '['}{_number(self.low)}, "
                    f"{_number(self.high)}{')' if self.high_open else ']'}")
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_number(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {_number(self.high)}"
        return "any number"

    def describe(self) -> str:
        """The range in words for messages: ``"in (0, 1)"``, ``">= 10"``."""
        bounded = self.low is not None and self.high is not None
        return f"in {self}" if bounded else str(self)


#: The ranges the steps use most.
UNIT_OPEN = Range(0, 1, low_open=True, high_open=True)
UNIT_CLOSED = Range(0, 1)
POSITIVE = Range(low=1)
NON_NEGATIVE = Range(low=0)


@dataclass(frozen=True)
class Param:
    """One parameter of a step.

    ``types`` are the accepted Python types (``int`` is accepted where ``float`` is);
    ``path`` marks file-system paths (resolved against the YAML file's folder);
    ``choices`` restricts string values (of a list: its string items);
    ``bounds`` restricts numbers (bools are not numbers);
    ``rule`` is the library's own check of the value, where one exists (run before ``bounds``): it raises
    ``ValueError`` or ``TypeError`` with a message that names what is wrong, and returns nothing.

    Example::

        Param("ratio", (float,), required=True, bounds=UNIT_OPEN, doc="Minority share wanted in the output.")
    """

    name: str
    types: tuple[type, ...]
    required: bool = False
    default: Any = None
    doc: str = ""
    path: bool = False
    choices: tuple[Any, ...] = ()
    bounds: Range | None = None
    rule: Callable[[Any], None] | None = None

    @property
    def type_name(self) -> str:
        """Human-readable accepted types, e.g. ``"integer or string"``."""
        return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in self.types)

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` (ints widened to float where float is wanted) or raise ParameterError."""
        if value is None and not self.required:
            return None
        ok = any(_is_instance(value, t) for t in self.types)
        if not ok:
            raise ParameterError(f"{where}: parameter {self.name!r} must be {self.type_name}, "
                                 f"got {type(value).__name__} {value!r}.")
        if float in self.types and isinstance(value, int) and not isinstance(value, bool) and int not in self.types:
            value = float(value)
        items = value if isinstance(value, (list, tuple)) else [value]
        bad = [item for item in items if isinstance(item, str) and item not in self.choices] if self.choices else []
        if bad:
            each = " (each item)" if isinstance(value, (list, tuple)) else ""
            raise ParameterError(f"{where}: parameter {self.name!r} must be one of "
                                 f"{', '.join(map(repr, self.choices))}{each}, got {bad[0]!r}.")
        if self.rule is not None:
            try:
                self.rule(value)
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"{where}: {exc}") from None
        if self.bounds is not None and _is_instance(value, float) and value not in self.bounds:
            hint = f" {self.doc}" if self.doc else ""
            raise ParameterError(f"{where}: parameter {self.name!r} must be {self.bounds.describe()}, "
                                 f"got {value!r}.{hint}")
        if list in self.types and isinstance(value, (list, tuple)):
            value = list(value)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain values (for generated reference docs)."""
        return {"name": self.name, "type": self.type_name, "required": self.required,
                "default": self.default, "doc": self.doc, "path": self.path, "choices": list(self.choices),
                "range": None if self.bounds is None else str(self.bounds)}


def _is_instance(value: Any, t: type) -> bool:
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is list:
        return isinstance(value, (list, tuple))
    if t is dict:
        return isinstance(value, Mapping)
    return isinstance(value, t)


def bind_params(step_name: str, spec: Sequence[Param], args: Sequence[Any], kwargs: Mapping[str, Any],
                where: str | None = None) -> dict[str, Any]:
    """Match positional and keyword arguments to ``spec``; check names, presence and types.

    Returns every parameter's value (defaults filled in). ``where`` prefixes messages
    (the YAML form passes "file line N, step I 'name'").
    """
    where = where or f"step {step_name!r}"
    names = [p.name for p in spec]
    if len(args) > len(spec):
        raise ParameterError(f"{where}: takes at most {len(spec)} positional parameters "
                             f"({', '.join(names)}), got {len(args)}.")
    values: dict[str, Any] = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"{where}: unknown parameter {key!r}.{hint} "
                                 f"Parameters of {step_name!r}: {', '.join(names)}.")
        if key in values:
            raise ParameterError(f"{where}: parameter {key!r} given twice.")
        values[key] = value
    out = {}
    for p in spec:
        if p.name not in values:
            if p.required:
                raise ParameterError(f"{where}: missing required parameter {p.name!r} ({p.type_name}: {p.doc})")
            out[p.name] = copy.deepcopy(p.default)
        else:
            out[p.name] = p.check(values[p.name], where)
    return out
