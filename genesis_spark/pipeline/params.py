"""Declared step parameters: name, accepted types, required/default, doc. Introspectable for reference docs."""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "mapping",
               type(None): "null"}


class ParameterError(ValueError):
    """A step was given an unknown, missing or wrongly typed parameter."""


@dataclass(frozen=True)
class Param:
    """One parameter of a step.

    ``types`` are the accepted Python types (``int`` is accepted where ``float`` is);
    ``path`` marks file-system paths (resolved against the YAML file's folder);
    ``choices`` restricts string values.

    Example::

        Param("ratio", (float,), required=True, doc="Minority share wanted in the output, in (0, 1).")
    """

    name: str
    types: tuple[type, ...]
    required: bool = False
    default: Any = None
    doc: str = ""
    path: bool = False
    choices: tuple[Any, ...] = ()

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
        if self.choices and value not in self.choices:
            raise ParameterError(f"{where}: parameter {self.name!r} must be one of "
                                 f"{', '.join(map(repr, self.choices))}, got {value!r}.")
        if list in self.types and isinstance(value, (list, tuple)):
            value = list(value)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain values (for generated reference docs)."""
        return {"name": self.name, "type": self.type_name, "required": self.required,
                "default": self.default, "doc": self.doc, "path": self.path, "choices": list(self.choices)}


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
