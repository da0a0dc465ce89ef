"""Validated CTGAN configuration: defaults, accepted keys and their types."""
from __future__ import annotations

import difflib
import os
import sys
from numbers import Real
from typing import IO, Any

DEFAULT_CONFIG: dict[str, Any] = {
    "epochs": 300,
    "batch_size": 500,
    "embedding_dim": 128,
    "generator_dim": (256, 256),
    "discriminator_dim": (256, 256),
    "pac": 10,
    "discriminator_steps": 1,
    "generator_lr": 2e-4,
    "discriminator_lr": 2e-4,
    "generator_decay": 1e-6,
    "discriminator_decay": 1e-6,
    "generator_average": 0.5,  # sample with the generator's weights averaged over the last half of training
    "log_frequency": True,
    "device": "auto",
    "seed": 0,
    "verbose": None,  # progress bar: None = when stderr is a terminal and CI is unset; True/False force it
    "clip": True,
    "max_training_rows": None,
    "sample_bf16": False,  # bf16 sampling on CPU: ~2x faster where the CPU multiplies bf16 natively (AVX-512 BF16,
    # AMX), ~6x slower where it emulates it (AVX2); off by default so that rows do not depend on the CPU type
    "max_integer_categories": 32,
    "log_skew": 1.0,
    "calibrate_states": True,  # after training, match each category, mode, null and point-mass share to the training rows
    "max_categories": 50,  # a discrete column with more distinct values folds its rarer ones (folding.py); None: off
    "min_category_count": 2,  # fewest rows a value of such a column needs to be kept or drawn (2: none seen once)
}
ALIASES = {"lr": ("generator_lr", "discriminator_lr"), "weight_decay": ("generator_decay", "discriminator_decay")}
_POSITIVE_INT = {"epochs", "batch_size", "embedding_dim", "pac", "discriminator_steps"}
_POSITIVE_FLOAT = {"generator_lr", "discriminator_lr"}
_NON_NEGATIVE_FLOAT = {"generator_decay", "discriminator_decay"}
_BOOL = {"log_frequency", "clip", "sample_bf16", "calibrate_states"}
_DIMS = {"generator_dim", "discriminator_dim"}
#: Every key ``resolve_config`` accepts: the settings and their shorthands.
CONFIG_KEYS: tuple[str, ...] = tuple(sorted([*DEFAULT_CONFIG, *ALIASES]))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(key: str, value: Any) -> Any:
    if key in _POSITIVE_INT:
        if not _is_int(value) or value < 1:
            raise TypeError(f"config[{key!r}] must be a positive int, got {value!r}.")
        return int(value)
    if key in _POSITIVE_FLOAT:
        if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
            raise TypeError(f"config[{key!r}] must be a number > 0 (a learning rate), got {value!r}.")
        return float(value)
    if key in _NON_NEGATIVE_FLOAT:
        if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
            raise TypeError(f"config[{key!r}] must be a non-negative number, got {value!r}.")
        return float(value)
    if key in _BOOL:
        if not isinstance(value, bool):
            raise TypeError(f"config[{key!r}] must be True or False, got {value!r}.")
        return value
    if key == "verbose":
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"config['verbose'] must be None (a progress bar when stderr is a terminal), True or "
                            f"False, got {value!r}.")
        return value
    if key in _DIMS:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or not all(
                _is_int(v) and v > 0 for v in value) or len(tuple(value)) == 0:
            raise TypeError(f"config[{key!r}] must be a non-empty sequence of positive ints, got {value!r}.")
        return tuple(int(v) for v in value)
    if key == "device":
        if not isinstance(value, str) or not (value in ("auto", "cpu", "cuda", "mps") or value.startswith("cuda:")):
            raise TypeError(f"config['device'] must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {value!r}.")
        return value
    if key == "seed":
        if not _is_int(value) or value < 0:
            raise TypeError(f"config['seed'] must be a non-negative int, got {value!r}.")
        return int(value)
    if key == "max_integer_categories":
        if not _is_int(value) or value < 0:
            raise TypeError(f"config['max_integer_categories'] must be a non-negative int (0: off), got {value!r}.")
        return int(value)
    if key == "max_categories":
        if value is not None and (not _is_int(value) or value < 1):
            raise TypeError(f"config['max_categories'] must be None (off) or a positive int, got {value!r}.")
        return value
    if key == "min_category_count":
        if not _is_int(value) or value < 2:
            raise TypeError(f"config['min_category_count'] must be an int >= 2 (so that no value seen once is "
                            f"copied), got {value!r}.")
        return int(value)
    if key == "log_skew":
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real) or value < 0):
            raise TypeError(f"config['log_skew'] must be None (off) or a non-negative number, got {value!r}.")
        return None if value is None else float(value)
    if key == "generator_average":
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
            raise TypeError(f"config['generator_average'] must be a number in [0, 1) (0: sample with the last "
                            f"weights), got {value!r}.")
        return float(value)
    if key == "max_training_rows":
        if value is not None and (not _is_int(value) or value < 1):
            raise TypeError(f"config['max_training_rows'] must be None or a positive int, got {value!r}.")
        return value
    raise AssertionError(key)


def resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with ``config``; unknown keys and wrong types raise with the accepted keys/types.

    ``lr`` and ``weight_decay`` are shorthands that set both networks' values.
    """
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}.")
    out = dict(DEFAULT_CONFIG)
    for key, value in config.items():
        if key in ALIASES:
            for target in ALIASES[key]:
                if target not in config:
                    try:
                        out[target] = _check(target, value)
                    except TypeError as exc:  # name the shorthand the user wrote
                        raise TypeError(str(exc).replace(f"config[{target!r}]", f"config[{key!r}] (it sets "
                                                         f"{' and '.join(ALIASES[key])})", 1)) from None
            continue
        if key not in DEFAULT_CONFIG:
            close = difflib.get_close_matches(str(key), CONFIG_KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"Unknown config key {key!r}.{hint} Accepted keys: {', '.join(CONFIG_KEYS)}.")
        out[key] = _check(key, value)
    if out["batch_size"] % out["pac"] != 0 or out["batch_size"] % 2 != 0:
        raise ValueError(
            f"config['batch_size']={out['batch_size']} must be even and a multiple of pac={out['pac']} "
            "(PacGAN groups pac rows); e.g. use batch_size=500 with pac=10."
        )
    return out


def to_json(config: dict[str, Any]) -> dict[str, Any]:
    """The config as JSON-able values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


def progress_enabled(verbose: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether to draw a progress bar: ``verbose`` True or False decides; None (the default) draws one
    when ``stream`` (stderr) is a terminal and the environment variable ``CI`` is unset, so CI runs
    and log files stay quiet.

    Example::

        tqdm(range(epochs), disable=not progress_enabled(config["verbose"]))
    """
    if verbose is not None:
        return bool(verbose)
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
