"""Reading a settings dataclass out of a larger config mapping (the augment ``config``)."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping


def fields_from_config(cls: type, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The entries of ``config`` that are fields of dataclass ``cls`` (None values left out: the defaults)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in (config or {}).items() if k in names and v is not None}
