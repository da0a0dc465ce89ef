"""Bounded, seeded samples of Spark frames that do not depend on the partitioning.

The one way this package brings Spark rows to the driver: the augmentation's training rows
and label sample, the engine's evaluation samples and the Spark quality metrics' samples.
"""
from __future__ import annotations

import logging
from typing import Sequence

import pandas as pd

from genesis_spark.core.minority import canonical_rows

logger = logging.getLogger(__name__)

_HASH_RANGE = float(1 << 53)


def unit_hash(columns: Sequence[str], seed: int, purpose: str):
    """A Spark column in [0, 1) from the row's values, ``seed`` and ``purpose``.

    Independent of partitioning and row order; equal rows get equal values. ``purpose``
    salts it so that different uses (the split, the training cap, ...) are uncorrelated.
    """
    from pyspark.sql import functions as F

    h = F.xxhash64(*[F.col(f"`{c}`") for c in columns], F.lit(int(seed)), F.lit(purpose))
    return (h.bitwiseAND(F.lit((1 << 53) - 1))).cast("double") / F.lit(_HASH_RANGE)


def collect_bounded(df, columns: Sequence[str], n_available: int, cap: int, seed: int, purpose: str) -> pd.DataFrame:
    """At most ``cap`` rows of ``df`` as pandas (Arrow), in canonical order (``core.minority.canonical_rows``).

    Below the cap every row comes; above it, a seeded hash sample: rows with a unit hash
    under ``~cap / n_available`` are collected, then exactly ``cap`` are kept by smallest hash.
    Either way the result does not depend on the partitioning. Decimal columns come as doubles.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    key = "_genesis_key"
    columns = list(columns)
    # Decimals travel as doubles (the generator models numbers; the output is cast back to the schema).
    decimals = {f.name for f in df.schema.fields if isinstance(f.dataType, T.DecimalType)}
    selected = [F.col(f"`{c}`").cast("double").alias(c) if c in decimals else F.col(f"`{c}`") for c in columns]
    keyed = df.select(*selected).withColumn(key, unit_hash(columns, seed, purpose))
    fraction = 1.0
    if n_available > cap:
        fraction = min(1.0, cap / n_available * 1.05 + 50.0 / n_available)
    while True:
        part = keyed.where(keyed[key] < fraction) if fraction < 1.0 else keyed
        pdf = part.toPandas()  # bounded: ~cap rows
        if len(pdf) >= min(cap, n_available) or fraction >= 1.0:
            break
        fraction = min(1.0, fraction * 1.5)
    if len(pdf) > cap:
        pdf = pdf.sort_values(key, kind="stable").head(cap)
        logger.info("%s: %d rows above the cap of %d; kept a seeded hash sample of %d", purpose, n_available, cap,
                    len(pdf))
    return canonical_rows(pdf.drop(columns=key))
