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

Every row must have the header's number of fields: a ragged row (more or fewer) is an error on
both engines before anything else runs (``check_csv_rows``: one line naming the file, the line
numbers and the field counts), where Spark would drop the extra fields and pandas shift them.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

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


@dataclass(frozen=True)
class CsvDialect:
    """How a reader splits a CSV file into fields: what the ragged-row check parses with."""

    delimiter: str = ","
    quotechar: str = '"'
    escapechar: str | None = None
    encoding: str = "utf-8"
    #: Whether a quoted field may hold a line break (pandas: yes; Spark: only with ``multiLine``).
    multiline: bool = True


#: Reader options under which the file's first line is not a header of its fields (the check then stands aside).
_PANDAS_UNCHECKED = frozenset({"header", "names", "skiprows", "skipfooter", "comment", "usecols", "index_col",
                               "nrows", "on_bad_lines", "lineterminator", "quoting", "dialect", "chunksize",
                               "iterator", "compression"})
_SPARK_UNCHECKED = frozenset({"header", "comment", "samplingratio", "linesep", "compression", "mode"})


def csv_dialect(options: Mapping[str, Any] | None, engine: Literal["pandas", "spark"]) -> CsvDialect | None:
    """The field splitting of ``engine``'s CSV reader under ``options``, or None when the check cannot follow it.

    pandas: ``sep``/``delimiter``, ``quotechar``, ``escapechar``, ``encoding`` (default: no escape
    character). Spark: ``sep``/``delimiter``, ``quote``, ``escape`` (Spark's default ``\\``;
    ``read_source`` passes ``"``, the quote itself: a doubled quote inside a quoted field is one
    quote, as in RFC 4180 and pandas), ``encoding``/``charset``.
    None for a regular-expression or sniffed separator, or options that change which lines are
    rows (``header``, ``comment``, ``skiprows``...): the reader's own rules then apply.
    """
    opts = {str(k): v for k, v in (options or {}).items()}
    if engine == "pandas":
        if _PANDAS_UNCHECKED & set(opts) or opts.get("engine") == "pyarrow":
            return None
        sep = opts.get("sep", opts.get("delimiter", ","))
        dialect = CsvDialect(delimiter=sep, quotechar=opts.get("quotechar", '"'),
                             escapechar=opts.get("escapechar"), encoding=opts.get("encoding") or "utf-8")
    else:
        lowered = {k.lower(): v for k, v in opts.items()}
        if _SPARK_UNCHECKED & set(lowered):
            return None
        escape, quote = lowered.get("escape", "\\"), str(lowered.get("quote", '"'))
        dialect = CsvDialect(delimiter=str(lowered.get("sep", lowered.get("delimiter", ","))),
                             quotechar=quote, escapechar=str(escape) if escape and escape != quote else None,
                             encoding=str(lowered.get("encoding", lowered.get("charset", "utf-8"))),
                             multiline=str(lowered.get("multiline", "false")).lower() == "true")
    if not isinstance(dialect.delimiter, str) or len(dialect.delimiter) != 1 or len(dialect.quotechar or "") != 1:
        return None  # regex / multi-character / sniffed separators: pandas' python engine decides
    return dialect


@dataclass(frozen=True)
class RaggedRows:
    """Rows of a CSV file whose field count differs from the header's: how many, and the first few."""

    header_fields: int
    count: int
    #: ``(where, fields)`` of the first few: ``where`` the 1-based line number, or the row's text when unknown.
    first: tuple[tuple[int | str, int], ...]


def ragged_rows(path: str | Path, dialect: CsvDialect = CsvDialect(), limit: int = 5) -> RaggedRows | None:
    """Scan a local CSV file (streamed: one record at a time) for rows with another field count than its header.

    Blank lines are skipped (both engines skip them); a quoted field may span lines, and
    a row's line number is the line it starts on (1-based, the header is line 1). None
    when every row has the header's field count. Example::

        ragged_rows("t.csv")   # RaggedRows(header_fields=3, count=1, first=((4, 4),))
    """
    with open(path, encoding=dialect.encoding, errors="replace", newline="") as handle:
        rows = _records(handle, dialect)
        width: int | None = None
        count = 0
        first: list[tuple[int | str, int]] = []
        for line, row in rows:
            if not row or row == [""]:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                count += 1
                if len(first) < limit:
                    first.append((line, len(row)))
    if not count or width is None:
        return None
    return RaggedRows(width, count, tuple(first))


def _records(handle, dialect: CsvDialect):
    """``(line number it starts on, fields)`` of each record; without ``multiline`` every line is one record."""
    options = dict(delimiter=dialect.delimiter, quotechar=dialect.quotechar, escapechar=dialect.escapechar,
                   doublequote=True, strict=False)
    if not dialect.multiline:  # Spark without multiLine: a line break always ends the record
        special = dialect.quotechar + (dialect.escapechar or "")
        for number, text in enumerate(handle, start=1):
            text = text.rstrip("\r\n")
            if any(c in text for c in special):
                yield number, next(csv.reader([text], **options), [])
            else:  # no quoting on the line: the fields are what the delimiters split (fast path)
                yield number, text.split(dialect.delimiter) if text else []
        return
    reader = csv.reader(handle, **options)
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def ragged_message(where: str, found: RaggedRows, at_least: bool = False) -> str:
    """The one-line error for ``found`` in file ``where``: the rows, their field counts and what to do.

    ``at_least``: ``found.count`` is a lower bound (the scan stopped counting).
    """
    shown = ", ".join(f"line {where} has {fields}" if isinstance(where, int) else
                      f"row {_clip(where)!r} has {fields}" for where, fields in found.first)
    more = (f" ({found.count}{' or more' if at_least else ''} such rows in all)"
            if found.count > len(found.first) or at_least else "")
    return (f"CSV file {where!r} has rows with another number of fields than its header's {found.header_fields}: "
            f"{shown}{more}. Fields would be lost or shifted, so nothing was read: quote fields that hold the "
            "delimiter, fix or drop those rows, or pass the reader's sep/quote options if the file uses others.")


def _clip(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[:size - 3] + "..."


def count_fields(record: str, dialect: CsvDialect = CsvDialect()) -> int:
    """How many fields one CSV record (text, possibly spanning lines) holds under ``dialect``."""
    reader = csv.reader([record], delimiter=dialect.delimiter, quotechar=dialect.quotechar,
                        escapechar=dialect.escapechar, strict=False)
    return len(next(reader, []))


def check_csv_rows(path: str | Path, options: Mapping[str, Any] | None = None,
                   engine: Literal["pandas", "spark"] = "pandas") -> None:
    """Raise ValueError (one line, ``ragged_message``) when a local CSV file has ragged rows for ``engine``'s reader.

    A row with more fields than the header loses them on Spark and shifts or fails on pandas;
    one with fewer gets missing values on both: neither is read. Remote paths, folders and
    options the check cannot follow (``csv_dialect`` None) are left to the reader.
    """
    file = Path(path)
    dialect = csv_dialect(options, engine)
    if dialect is None or not file.is_file():
        return
    found = ragged_rows(file, dialect)
    if found is not None:
        raise ValueError(ragged_message(str(path), found))


def read_csv_pandas(path: str | Path, options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read a CSV file into pandas with the rule's types (see the module docstring).

    Example::

        frame = read_csv_pandas("transactions.csv")
        frame.dtypes   # int64 / Int64 / float64 / bool / boolean / object (text, dates)
    """
    check_csv_rows(path, options, engine="pandas")
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
