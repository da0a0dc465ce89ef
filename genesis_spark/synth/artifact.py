"""The generator's portable, safe file: safetensors weights with a JSON manifest in the header metadata.

No pickle is ever written or read, whatever the file suffix. A sha256 over the tensors and the
manifest detects modified files; tensors always load on the CPU (GPU-trained artifacts load anywhere).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

FORMAT = "genesis_spark.synth/ctgan"
# 2: continuous columns carry a state span (null, point masses on the bounds);
# 3: a high-cardinality discrete column may fold its rare values into an "other" state (its tail in the manifest)
FORMAT_VERSION = 3
METADATA_KEY = "genesis_spark"
_PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")


class ArtifactError(ValueError):
    """The bytes are not a valid, unmodified genesis_spark generator artifact."""


def _digest(tensors: dict[str, torch.Tensor], manifest: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    h.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return h.hexdigest()


def dump(tensors: dict[str, torch.Tensor], manifest: dict[str, Any]) -> bytes:
    """Serialize tensors + manifest to artifact bytes; the manifest gets ``format``, ``format_version`` and ``sha256``."""
    from safetensors.torch import save

    cpu = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    manifest = {**manifest, "format": FORMAT, "format_version": FORMAT_VERSION}
    manifest["sha256"] = _digest(cpu, manifest)
    return save(cpu, metadata={METADATA_KEY: json.dumps(manifest, sort_keys=True)})


def load(data: bytes, source: str = "<bytes>") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Parse and verify artifact bytes; returns CPU tensors and the manifest."""
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"artifact data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    # safetensors = 8-byte little-endian header length + a JSON header; its first byte is the low
    # byte of that length and may well be 0x80, so only a file that is not safetensors-shaped is
    # checked for the pickle / torch.save (zip) signatures.
    safetensors_shaped = len(data) > 8 and data[8:9] == b"{"
    if not safetensors_shaped and (data[:1] == _PICKLE_MAGIC[0] or data[:4] == _PICKLE_MAGIC[1]):
        raise ArtifactError(
            f"{source} is a pickle/torch.save file, not a genesis_spark artifact. genesis_spark never unpickles "
            "(it can run arbitrary code); re-create the file with SyntheticGenerator.save()."
        )
    try:
        tensors = st_load(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8: 8 + header_len])
        manifest = json.loads(header["__metadata__"][METADATA_KEY])
    except (SafetensorError, ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        raise ArtifactError(
            f"{source} is not a readable genesis_spark generator artifact ({type(exc).__name__}: {exc}). "
            "The file is corrupt, truncated or of another format; save the generator again."
        ) from exc
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{source} has format {manifest.get('format')!r}, expected {FORMAT!r}.")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ArtifactError(
            f"{source} uses artifact format version {manifest['format_version']}, newer than this "
            f"genesis_spark reads ({FORMAT_VERSION}); upgrade genesis_spark."
        )
    expected = manifest.get("sha256")
    actual = _digest(tensors, manifest)
    if expected != actual:
        raise ArtifactError(
            f"{source} failed its integrity check: sha256 of tensors+manifest is {actual}, the manifest says "
            f"{expected}. The file was modified after it was saved; do not use it, save the generator again."
        )
    return tensors, manifest


def write(path: str | Path, data: bytes) -> Path:
    """Write artifact bytes to ``path`` atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def read(path: str | Path) -> bytes:
    """Read artifact bytes, with a clear error for a missing file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No generator artifact at {path}; save one with SyntheticGenerator.save(path).")
    return path.read_bytes()
