"""Column rules both engines apply: the missing-column error, the ID-like rule and what becomes of
identifier columns, the class limit."""
from __future__ import annotations

import difflib
from typing import Sequence

#: A target with more distinct values than this is not a classification target.
MAX_CLASSES = 100
#: A text column whose distinct count is at least this share of the rows is an identifier.
ID_DISTINCT_SHARE = 0.95
#: Below this many rows, no column is detected as ID-like (every value is distinct by chance).
MIN_ROWS_FOR_ID_DETECTION = 20
#: What an augment does with identifier columns (config key ``identifier_columns``): ``fresh`` (the
#: default) gives synthetic rows fresh values ``syn-<seed as 16 hex digits>-<block>-<row>``
#: (``core.blocks.FreshIds``); ``drop`` leaves the columns out of the output, real rows included.
IDENTIFIER_MODES = ("fresh", "drop")


def missing_column_error(name: str, columns: Sequence[str], parameter: str) -> ValueError:
    """A ValueError naming the missing column, the parameter, a close match and the columns there are.

    Example::

        raise missing_column_error("merchant_categry", df.columns, "discrete_columns")
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"{parameter} names {name!r}, which is not a column of the input.{hint}\n"
                      f"Columns are: {', '.join(map(str, columns))}.")


def is_id_like(is_text: bool, distinct: int | None, n_rows: int) -> bool:
    """THE ID-like rule: a text column (not named discrete) whose values are (nearly) all distinct.

    ``n_rows`` counts the column's non-null values: an identifier that is sometimes missing
    is still an identifier.

    Integer columns are never ID-like here: a unique integer is as often a measurement
    (an amount in cents, a duration) as a key, and dropping it would drop real signal.
    """
    return (is_text and distinct is not None and n_rows >= MIN_ROWS_FOR_ID_DETECTION
            and distinct >= ID_DISTINCT_SHARE * n_rows)


def check_identifier_mode(mode: object) -> str:
    """``config['identifier_columns']``: ``"fresh"`` (None: the default) or ``"drop"``."""
    if mode is None:
        return IDENTIFIER_MODES[0]
    if mode not in IDENTIFIER_MODES:
        raise ValueError(f"config['identifier_columns'] must be one of {', '.join(map(repr, IDENTIFIER_MODES))} "
                         f"(fresh 'syn-...' values, or no identifier columns in the output), got {mode!r}.")
    return str(mode)


def check_unique_columns(names: Sequence[str], where: str) -> None:
    """One rule on both engines: duplicate column names are an error naming the name and its positions
    (pandas would rename a CSV's second ``amount`` to ``amount.1``, Spark to ``amount4``).

    Example::

        check_unique_columns(["amount", "hour", "amount"], "transactions.csv")  # ValueError
    """
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        seen.setdefault(str(name), []).append(position)
    for name, positions in seen.items():
        if len(positions) > 1:
            raise ValueError(f"{where} has the column name {name!r} {len(positions)} times (columns "
                             f"{', '.join(map(str, positions))}); column names must be unique: rename all but one.")
