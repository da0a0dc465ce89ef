"""The CSV type rule both engines follow: one CSV file gives one schema, whichever engine reads it.

A column's type comes from its non-empty fields; an empty field is a missing value (Spark's
default ``nullValue``; text such as ``NA`` or ``null`` is text on both engines):

=========================================  ==================================  ===============  =======
non-empty fields of the column             pandas engine dtype                 Spark type       Delta
=========================================  ==================================  ===============  =======
integers (64-bit)                          ``int64``; ``Int64`` when missing   ``LongType``     long
other numbers (``1.5``, ``1e3``, ``NaN``)  ``float64``                         ``DoubleType``   double
``true``/``True``/``TRUE``, ``false``...   ``bool``; ``boolean`` when missing  ``BooleanType``  boolean
ISO dates ``yyyy-MM-dd``                   ``datetime.date`` objects           ``DateType``     date
timestamps, integers beyond 64 bits        text (``object``)                   ``StringType``   string
anything else                              text (``object``)                   ``StringType``   string
no value at all                            text (``string``)                   ``StringType``   string
=========================================  ==================================  ===============  =======

Integers are never narrowed (Spark's ``inferSchema`` says ``IntegerType`` for small values:
it is widened to ``LongType``) and never become floats for having missing values.
Timestamps stay text because a CSV field carries no agreed time zone: parse them in your
own code, or read Parquet/Delta, whose timestamps are typed. Column names are kept as
written (spaces, dots, unicode). Options given to ``Engine.read`` go to the reader and may
override the rule (pandas ``dtype``/``parse_dates``: those columns are left as the options
say; Spark ``inferSchema``, ``dateFormat``...).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

#: How the Spark engine maps the type names ``inferSchema`` gives (``DataType.typeName()``) to the rule's.
SPARK_CSV_TYPES: Mapping[str, str] = {"byte": "long", "short": "long", "integer": "long",
                                      "float": "double", "timestamp": "string", "timestamp_ntz": "string",
                                      "decimal": "string"}
#: Fields Spark reads as special doubles (``nanValue``, ``positiveInf``, ``negativeInf`` and Java's spellings).
FLOAT_TOKENS: Mapping[str, float] = {"NaN": float("nan"), "Inf": float("inf"), "+Inf": float("inf"),
                                     "-Inf": float("-inf"), "Infinity": float("inf"), "+Infinity": float("inf"),
                                     "-Infinity": float("-inf")}
#: What an ISO date field looks like (then also checked to be a real calendar date).
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


#: Bytes at the start of a file that say it is not CSV text (Parquet, zip/xlsx, gzip).
_BINARY_MAGIC = {b"PAR1": "a Parquet file: use load_parquet", b"PK\x03\x04": "a zip archive (or .xlsx): unpack "
                 "or export it as CSV", b"\x1f\x8b": "a gzip file: unpack it first"}


def check_csv_file(path: str | Path) -> None:
    """One clear line, on both engines, for a local CSV file that cannot hold a table: empty (0 bytes),
    binary (NUL bytes or a Parquet/zip/gzip signature in its first 64 KB), or a header without rows.

    Folders (Spark reads folders of part files) and remote paths are left to the reader.

    Example::

        check_csv_file("data/transactions.csv")   # ValueError: CSV file '...' has a header but no rows ...
    """
    file = Path(path)
    if not file.is_file():
        return
    with file.open("rb") as handle:
        head = handle.read(65_536)
    if not head:
        raise ValueError(f"CSV file {str(path)!r} is empty (0 bytes): there is no header and no row. "
                         "Check the path or the export that wrote it.")
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ValueError(f"CSV file {str(path)!r} is not CSV text but {what}.")
    if b"\x00" in head:
        raise ValueError(f"CSV file {str(path)!r} is not CSV text (it holds binary NUL bytes); "
                         "export the table as UTF-8 CSV.")
    with file.open("rb") as handle:
        lines = (line for line in handle if line.strip())
        header, first_row = next(lines, None), next(lines, None)
    if header is not None and first_row is None:
        raise ValueError(f"CSV file {str(path)!r} has a header but no rows: there is nothing to augment.")


def read_csv_pandas(path: str | Path, options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read a CSV file into pandas with the rule's types (see the module docstring).

    Example::

        frame = read_csv_pandas("transactions.csv")
        frame.dtypes   # int64 / Int64 / float64 / bool / boolean / object (text, dates)
    """
    kwargs: dict[str, Any] = {"keep_default_na": False, "na_values": [""], "dtype_backend": "numpy_nullable"}
    kwargs.update(options or {})
    frame = pd.read_csv(path, **kwargs)
    typed = _user_typed(options or {}, list(frame.columns))
    return pd.DataFrame({c: frame[c] if c in typed else _to_rule(frame[c]) for c in frame.columns},
                        index=frame.index, columns=frame.columns)


def read_csv_header(path: str | Path, options: Mapping[str, Any] | None = None) -> list[str]:
    """The column names of a CSV file as written (no name parsed as a number or as missing); ``[]`` when empty."""
    kwargs = {k: v for k, v in (options or {}).items() if k not in _VALUE_OPTIONS}
    kwargs.update(header=None, nrows=1, dtype=str, keep_default_na=False, na_filter=False)
    try:
        return pd.read_csv(path, **kwargs).iloc[0].tolist()
    except (pd.errors.EmptyDataError, IndexError):
        return []


#: ``pandas.read_csv`` options about values and types, which the header read leaves out.
_VALUE_OPTIONS = frozenset({"dtype", "converters", "parse_dates", "na_values", "keep_default_na", "na_filter",
                            "true_values", "false_values", "dtype_backend", "date_format"})


def _user_typed(options: Mapping[str, Any], columns: list[Any]) -> set[Any]:
    """Columns whose type the caller's ``dtype``/``parse_dates``/``converters`` options decide."""
    dtype = options.get("dtype")
    if dtype is not None and not isinstance(dtype, Mapping):
        return set(columns)
    named = set(dtype or {}) | set(options.get("converters") or {})
    dates = options.get("parse_dates")
    if isinstance(dates, (list, tuple)):
        named |= {c for c in dates if isinstance(c, str)}
    elif dates is True:
        return set(columns)
    return named


def _to_rule(s: pd.Series) -> pd.Series:
    """One column of the nullable read as the rule's dtype (numpy dtypes where nothing is missing)."""
    has_missing = bool(s.isna().any())
    if has_missing and not s.notna().any() and pd.api.types.is_numeric_dtype(s):
        return s.astype("string")  # no value at all: text, as Spark infers it
    if isinstance(s.dtype, pd.Int64Dtype):
        return s if has_missing else s.astype("int64")
    if isinstance(s.dtype, pd.Float64Dtype):
        return s.astype("float64")
    if isinstance(s.dtype, pd.BooleanDtype):
        return s if has_missing else s.astype("bool")
    if isinstance(s.dtype, pd.StringDtype):
        return _as_special_floats(s) if _special_floats(s) else _as_dates(s)
    return s


def _special_floats(s: pd.Series) -> bool:
    """Whether a text column is numbers with Spark's ``NaN``/``Inf`` tokens among them (a double on Spark)."""
    present = s.dropna()
    special = present.isin(list(FLOAT_TOKENS))
    return bool(special.any()) and bool(pd.to_numeric(present[~special], errors="coerce").notna().all())


def _as_special_floats(s: pd.Series) -> pd.Series:
    """Numbers and ``NaN``/``Inf`` tokens as ``float64``."""
    tokens = s.map(FLOAT_TOKENS).astype("float64")
    return pd.to_numeric(s.where(tokens.isna()), errors="coerce").astype("float64").fillna(tokens)


def _as_dates(s: pd.Series) -> pd.Series:
    """A text column as ``datetime.date`` objects when every value is an ISO date, else as ``object`` text."""
    present = s.notna()
    text = s.astype(object).where(present, np.nan)  # missing text as NaN, as pandas' default reader gives
    values = s[present]
    if values.empty or re.fullmatch(ISO_DATE, values.iloc[0]) is None or not values.str.fullmatch(ISO_DATE).all():
        return text
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    if parsed[present].isna().any():  # 2024-02-30 and the like: text, as on Spark
        return text
    return parsed.dt.date.astype(object).where(present, None)
