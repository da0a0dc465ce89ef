"""Output-table schemas: compare the columns a write brings with an existing table's, and refuse a change.

The rule (both engines, every sink): a write to an existing Delta table must bring exactly the
table's columns with the table's types (column order and nullability aside). Anything else is
refused with one line naming the table, the missing and extra columns and the type changes;
a table is never widened, narrowed or retyped by a run. ``Pipeline`` checks every write of a
run before it commits any, so a refused run leaves every table at its previous version.

Types are compared as Delta's schema JSON writes them (``long``, ``string``, ``timestamp``,
``{"type": "map", ...}``), which is also Spark's ``StructType.json()`` form.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

#: ``{column: type}`` with the type as canonical JSON (a plain name such as ``"long"`` stays a plain string).
Fields = dict[str, str]


class SchemaMismatchError(ValueError):
    """A write whose columns or types differ from the existing table's (the run writes nothing)."""


def fields_from_json(schema: str | Mapping[str, Any]) -> Fields:
    """``{column: type}`` of a Delta / Spark schema JSON (``Schema.to_json()``, ``StructType.json()``)."""
    parsed = json.loads(schema) if isinstance(schema, str) else schema
    return {f["name"]: _type_key(f["type"]) for f in parsed["fields"]}


def fields_from_arrow(schema: Any) -> Fields:
    """``{column: Delta type}`` of an Arrow schema (as delta-rs would store it)."""
    from deltalake import Schema

    return fields_from_json(Schema.from_arrow(schema).to_json())


def table_fields(table_path: str) -> Fields | None:
    """``{column: type}`` of the Delta table at ``table_path`` (delta-rs), or None when there is no table."""
    from genesis_spark.delta.tables import _open, is_delta_table

    if not is_delta_table(table_path):
        return None
    return fields_from_json(_open(table_path).schema().to_json())


def _type_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(_without_nullability(value), sort_keys=True)


def _without_nullability(value: Any) -> Any:
    """A nested type JSON without ``containsNull``/``valueContainsNull``/``nullable``/``metadata`` (not compared)."""
    if isinstance(value, dict):
        return {k: _without_nullability(v) for k, v in value.items()
                if k not in ("containsNull", "valueContainsNull", "nullable", "metadata")}
    if isinstance(value, list):
        return [_without_nullability(v) for v in value]
    return value


def type_name(key: str) -> str:
    """A readable type: ``long``, ``map<string,double>``, ``array<long>``, ``struct<a:long,b:string>``."""
    if not key.startswith("{"):
        return key
    return _readable(json.loads(key))


def _readable(value: Any) -> str:
    if isinstance(value, str):
        return value
    kind = value.get("type")
    if kind == "map":
        return f"map<{_readable(value['keyType'])},{_readable(value['valueType'])}>"
    if kind == "array":
        return f"array<{_readable(value['elementType'])}>"
    if kind == "struct":
        return "struct<" + ",".join(f"{f['name']}:{_readable(f['type'])}" for f in value["fields"]) + ">"
    return json.dumps(value, sort_keys=True)


def schema_change(current: Mapping[str, str], new: Mapping[str, str]) -> str | None:
    """What differs between a table's columns and a write's, in words; None when they are the same.

    Example::

        schema_change({"a": "long", "b": "string"}, {"a": "double", "c": "long"})
        # 'missing column b; extra column c; type change a long -> double'
    """
    missing = [c for c in current if c not in new]
    extra = [c for c in new if c not in current]
    changed = [f"{c} {type_name(current[c])} -> {type_name(new[c])}" for c in current if c in new and current[c] != new[c]]
    parts = []
    for label, items in (("missing column", missing), ("extra column", extra), ("type change", changed)):
        if items:
            parts.append(f"{label}{'s' if len(items) > 1 else ''} {', '.join(items)}")
    return "; ".join(parts) or None


def check_fields(table: str, current: Mapping[str, str] | None, new: Mapping[str, str], mode: str = "append") -> None:
    """Raise ``SchemaMismatchError`` (one line) when ``new`` is not the existing table's schema ``current``.

    ``current`` None means no table yet: anything goes. ``mode`` only words the message.
    """
    if current is None:
        return
    change = schema_change(current, new)
    if change is None:
        return
    raise SchemaMismatchError(
        f"Delta table {table} has another schema than this run's {mode} brings: {change}. "
        "Tables are never widened or retyped, and nothing of this run was written; write to a new table "
        "(another lakehouse folder, a `tables:` name, a new save_delta/save_versioned path), "
        "or bring the table's columns.")
