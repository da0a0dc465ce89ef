"""Commit metadata: what every Delta version written by genesis_spark records about its run."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

#: Prefix of the commit-info keys written by delta-rs (``custom_metadata``).
KEY_PREFIX = "genesis."


def config_hash(config: Any) -> str:
    """Stable sha256 of a JSON-able configuration (keys sorted).

    Example::

        config_hash({"b": 1, "a": 2}) == config_hash({"a": 2, "b": 1})  # True
    """
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CommitInfo:
    """The run facts carried by each Delta commit, and the idempotency key (``app_id``, ``run_id``).

    ``metadata()`` gives the flat ``{"genesis.<key>": str}`` dict that delta-rs writes
    into the commit info (``CommitProperties(custom_metadata=...)``); a native Spark
    sink writes ``user_metadata()`` (one JSON string) as ``userMetadata``.
    ``parse_commit_metadata`` reads either form back.

    Example::

        info = CommitInfo(app_id="genesis_spark:fraud", run_id=3, message="nightly", tags=("latest",))
        info.metadata()["genesis.run_id"]   # '3'
    """

    app_id: str
    run_id: int
    message: str = ""
    pipeline: str = ""
    config_hash: str = ""
    generator_sha256: str = ""
    source_path: str = ""
    source_version: int | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.run_id, int) or isinstance(self.run_id, bool) or self.run_id < 0:
            raise ValueError(f"CommitInfo.run_id must be a non-negative integer, got {self.run_id!r}.")
        if not self.app_id:
            raise ValueError("CommitInfo.app_id must be a non-empty string (the idempotency key).")

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-able values."""
        return {
            "app_id": self.app_id,
            "run_id": self.run_id,
            "message": self.message,
            "pipeline": self.pipeline,
            "config_hash": self.config_hash,
            "generator_sha256": self.generator_sha256,
            "source_path": self.source_path,
            "source_version": self.source_version,
            "metrics": dict(self.metrics),
            "tags": list(self.tags),
        }

    def metadata(self) -> dict[str, str]:
        """Flat string metadata for delta-rs ``custom_metadata`` (nested values as JSON).

        A None value (``source_version`` of a CSV/Parquet source) is left out: delta-rs keys hold
        strings only, and ``parse_commit_metadata`` reads the missing key back as None.
        """
        out: dict[str, str] = {}
        for key, value in self.as_dict().items():
            if value is None:
                continue
            if isinstance(value, (dict, list)):
                text = json.dumps(value, sort_keys=True, default=_jsonable)
            else:
                text = str(value)
            out[KEY_PREFIX + key] = text
        return out

    def user_metadata(self) -> str:
        """One JSON string for Spark's ``userMetadata`` write option."""
        return json.dumps(self.as_dict(), sort_keys=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    try:  # numpy scalars
        return value.item()
    except AttributeError:
        return str(value)


def parse_commit_metadata(commit: Mapping[str, Any]) -> dict[str, Any]:
    """The genesis run facts of one commit-info dict (from ``DeltaTable.history()``), or ``{}``.

    Reads the ``genesis.*`` keys written by delta-rs, or a JSON ``userMetadata`` written
    by Spark; ``run_id``/``source_version`` come back as ints (``source_version`` None when the
    run read no Delta version: missing, empty or null), ``metrics`` as a dict and ``tags`` as a list.
    """
    found: dict[str, Any] = {}
    user = commit.get("userMetadata")
    if isinstance(user, str) and user.startswith("{"):
        try:
            parsed = json.loads(user)
            if isinstance(parsed, dict) and "run_id" in parsed:
                found.update(parsed)
        except ValueError:
            pass
    for key, value in commit.items():
        if isinstance(key, str) and key.startswith(KEY_PREFIX):
            found[key[len(KEY_PREFIX):]] = value
    if not found:
        return {}
    for key in ("metrics", "tags"):
        if isinstance(found.get(key), str):
            try:
                found[key] = json.loads(found[key]) if found[key] else ({} if key == "metrics" else [])
            except ValueError:
                pass
    for key in ("run_id", "source_version"):
        value = found.get(key)
        if isinstance(value, str):
            found[key] = int(value) if value.strip().lstrip("-").isdigit() else None
    if found.get("source_version") is not None and found["source_version"] < 0:
        found["source_version"] = None  # -1: the "no version" marker of older runs
    found.setdefault("source_version", None)
    return found
