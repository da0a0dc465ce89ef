"""Column shapes and null rates of Spark DataFrames with Spark aggregations over the full data.

Nothing here collects a table: per side, one aggregation gives the row and null counts, and
one ``groupBy`` over a long (column, value) frame gives value counts (discrete columns) or
bucket counts (numeric/datetime columns); only those small count tables reach the driver.
pyspark is imported inside the functions, so pandas users never need a JVM.

Approximations (documented, tested against the pandas path):

- KS complement: bucket edges are the REAL side's ``approxQuantile`` at ``n_quantiles + 1``
  evenly spaced probabilities (relative error ``1 / (4 n_quantiles)``), deduplicated; both
  sides are cut on those edges (Spark ``Bucketizer``) and ``D`` is the largest gap between
  the two cumulative bucket shares. That is the exact KS statistic restricted to the edges,
  so it is never above the exact one and falls short by at most the largest share of either
  side inside one bucket: about ``1 / n_quantiles`` of the real rows for continuous columns,
  and 0 for columns with fewer distinct values than ``n_quantiles`` (every value is an edge).
- TV complement: exact (value counts; values compared as strings, as Spark casts them).
- null rates: exact (nulls and floating NaN both count as missing, as in pandas).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from genesis_spark.core.kinds import Kind, check_discrete_names
from genesis_spark.quality.bounded import collect_bounded
from genesis_spark.quality.fidelity import null_rate_table, tv_complement_from_counts

N_QUANTILES = 1000

_NUMERIC_TYPES = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType")


def spark_kinds(sdf, discrete_columns: list[str] | None = None) -> dict[str, Kind]:
    """Column kinds from a Spark schema, with the same rules as :func:`genesis_spark.core.kinds.infer_kinds`."""
    named = check_discrete_names(discrete_columns, sdf.columns)
    kinds: dict[str, Kind] = {}
    for f in sdf.schema.fields:
        type_name = type(f.dataType).__name__
        if f.name in named:
            kinds[f.name] = "discrete"
        elif type_name in ("TimestampType", "TimestampNTZType", "DateType"):
            kinds[f.name] = "datetime"
        elif type_name in _NUMERIC_TYPES:
            kinds[f.name] = "numeric"
        else:
            kinds[f.name] = "discrete"
    return kinds


def _as_double(sdf, column: str):
    """A numeric/datetime column as a double with NaN turned into null (dates: days, timestamps: microseconds)."""
    from pyspark.sql import functions as F

    type_name = type(sdf.schema[column].dataType).__name__
    col = F.col(column)
    if type_name == "DateType":
        return F.unix_date(col).cast("double")
    if type_name in ("TimestampType", "TimestampNTZType"):
        return F.unix_micros(col.cast("timestamp")).cast("double")
    value = col.cast("double")
    return F.when(F.isnan(value), F.lit(None).cast("double")).otherwise(value)


def _missing(sdf, column: str):
    from pyspark.sql import functions as F

    type_name = type(sdf.schema[column].dataType).__name__
    if type_name in ("FloatType", "DoubleType"):
        return F.col(column).isNull() | F.isnan(F.col(column))
    return F.col(column).isNull()


def _counts(sdf, kinds: dict[str, Kind]) -> tuple[int, dict[str, int]]:
    """Row count and per-column missing counts in one aggregation."""
    from pyspark.sql import functions as F

    row = sdf.agg(F.count(F.lit(1)).alias("__n"),
                  *[F.sum(F.when(_missing(sdf, c), 1).otherwise(0)).alias(f"__null_{i}")
                    for i, c in enumerate(kinds)]).collect()[0]
    return int(row["__n"]), {c: int(row[f"__null_{i}"] or 0) for i, c in enumerate(kinds)}


def count_rows(sdf) -> int:
    """Number of rows of a Spark DataFrame."""
    return int(sdf.count())


def _value_counts(sdf, kinds: dict[str, Kind], splits: dict[str, list[float]]) -> pd.DataFrame:
    """Long table ``column, value, count``: discrete values as strings, numeric bucket indexes."""
    from pyspark.sql import functions as F

    columns = list(kinds)
    numeric = [c for c in columns if kinds[c] != "discrete"]
    frame = sdf.select(*[(_as_double(sdf, c) if kinds[c] != "discrete" else F.col(c)).alias(f"c{i}")
                         for i, c in enumerate(columns)])
    if numeric:
        from pyspark.ml.feature import Bucketizer

        ins = [f"c{columns.index(c)}" for c in numeric]
        bucketizer = Bucketizer(splitsArray=[splits[c] for c in numeric], inputCols=ins,
                                outputCols=[f"b{i}" for i in range(len(ins))], handleInvalid="keep")
        frame = bucketizer.transform(frame)
    values = []
    for i, c in enumerate(columns):
        if kinds[c] == "discrete":
            value = F.col(f"c{i}").cast("string")
        else:
            value = F.col(f"b{numeric.index(c)}").cast("int").cast("string")
        values.append(F.struct(F.lit(i).alias("column"), value.alias("value")))
    long = frame.select(F.explode(F.array(*values)).alias("kv")).select("kv.column", "kv.value")
    counts = long.where(F.col("value").isNotNull()).groupBy("column", "value").count().toPandas()
    counts["column"] = counts["column"].map(dict(enumerate(columns)))
    return counts


def _splits(real_sdf, kinds: dict[str, Kind], n_quantiles: int) -> dict[str, list[float]]:
    numeric = [c for c in kinds if kinds[c] != "discrete"]
    if not numeric:
        return {}
    frame = real_sdf.select(*[_as_double(real_sdf, c).alias(f"q{i}") for i, c in enumerate(numeric)])
    probabilities = np.linspace(0.0, 1.0, n_quantiles + 1).tolist()
    quantiles = frame.approxQuantile([f"q{i}" for i in range(len(numeric))], probabilities, 1.0 / (4 * n_quantiles))
    out = {}
    for c, q in zip(numeric, quantiles):
        edges = np.unique(np.asarray(q, dtype=float)) if q else np.zeros(1)
        out[c] = [-np.inf, *edges.tolist(), np.inf]
    return out


def spark_column_stats(real_sdf, synthetic_sdf, kinds: dict[str, Kind],
                       n_quantiles: int = N_QUANTILES) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Column shapes and null rates over the full Spark data: ``(column_shapes, null_rates, n_real, n_synthetic)``."""
    n_real, null_real = _counts(real_sdf, kinds)
    n_syn, null_syn = _counts(synthetic_sdf, kinds)
    if n_real == 0 or n_syn == 0:
        empty = "real" if n_real == 0 else "synthetic"
        raise ValueError(f"the {empty} Spark DataFrame has no rows; both sides need rows to compare.")
    splits = _splits(real_sdf, kinds, n_quantiles)
    counts_r = _value_counts(real_sdf, kinds, splits)
    counts_s = _value_counts(synthetic_sdf, kinds, splits)
    rows = []
    for column, kind in kinds.items():
        r = counts_r[counts_r["column"] == column].set_index("value")["count"]
        s = counts_s[counts_s["column"] == column].set_index("value")["count"]
        if kind == "discrete":
            rows.append({"column": column, "kind": kind, "metric": "TVComplement",
                         "score": tv_complement_from_counts(r, s)})
            continue
        n_buckets = len(splits[column]) - 1
        r_counts = np.zeros(n_buckets)
        s_counts = np.zeros(n_buckets)
        r_counts[r.index.astype(int)] = r.to_numpy()
        s_counts[s.index.astype(int)] = s.to_numpy()
        if r_counts.sum() == 0 or s_counts.sum() == 0:
            score = float("nan")
        else:
            gap = np.abs(np.cumsum(r_counts) / r_counts.sum() - np.cumsum(s_counts) / s_counts.sum())
            score = float(1.0 - gap.max())
        rows.append({"column": column, "kind": kind, "metric": "KSComplement", "score": score})
    shapes = pd.DataFrame(rows, columns=["column", "kind", "metric", "score"])
    nulls = null_rate_table({c: null_real[c] / n_real for c in kinds}, {c: null_syn[c] / n_syn for c in kinds})
    return shapes, nulls, n_real, n_syn


def spark_sample(sdf, n: int, total: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most ``n`` rows as pandas (the whole frame when it has no more than ``n`` rows),
    independent of the partitioning (``genesis_spark.quality.bounded.collect_bounded``)."""
    return collect_bounded(sdf, sdf.columns, total, n, seed, "genesis_spark.quality_sample")
