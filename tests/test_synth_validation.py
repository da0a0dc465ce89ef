"""Bad input to SyntheticGenerator: clear errors before any training."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from _synth_helpers import small
from genesis_spark.synth.generator import NotFittedError, SyntheticGenerator


@pytest.fixture()
def gen():
    return SyntheticGenerator("ctgan", small(epochs=1))


def test_empty_dataframe(gen, fraud_rows):
    with pytest.raises(ValueError, match="empty DataFrame"):
        gen.fit(fraud_rows.head(0))


def test_not_a_dataframe(gen):
    with pytest.raises(TypeError, match="pandas DataFrame"):
        gen.fit(np.zeros((10, 2)))


def test_unknown_discrete_column_lists_the_columns(gen, fraud_rows):
    with pytest.raises(ValueError, match=r"(?s)'merchant_categry', which is not a column.*Did you mean 'merchant_category'.*Columns are: amount, hour"):
        gen.fit(fraud_rows, discrete_columns=["merchant_categry"])


def test_discrete_columns_as_a_bare_string(gen, fraud_rows):
    with pytest.raises(TypeError, match="list of column names"):
        gen.fit(fraud_rows, discrete_columns="merchant_category")


def test_string_column_not_listed_is_inferred_discrete_and_logged(fraud_rows, caplog):
    with caplog.at_level(logging.INFO, logger="genesis_spark.synth.validation"):
        g = SyntheticGenerator("ctgan", small(epochs=1)).fit(fraud_rows, discrete_columns=["hour"])
    assert "'merchant_category'" in caplog.text and "discrete" in caplog.text
    assert g.discrete_columns_ == ["hour", "merchant_category"]


def test_constant_and_all_null_columns_are_reproduced_exactly(fraud_rows, caplog):
    rows = fraud_rows.assign(empty=np.nan, country="FR", rate=1.5, count=0,
                             day=pd.Timestamp("2024-03-01"))
    with caplog.at_level(logging.INFO, logger="genesis_spark.synth.generator"):
        g = SyntheticGenerator("ctgan", small(epochs=1)).fit(rows)
    assert caplog.text.count("reproduced as constants") == 1 and "country='FR'" in caplog.text
    assert g.constants_.keys() == {"empty", "country", "rate", "count", "day"}
    for out in (g.generate(300, seed=1), SyntheticGenerator.from_bytes(g.to_bytes()).generate_block(0, 300, 1)):
        assert list(out.columns) == list(rows.columns)
        assert out["empty"].isna().all() and (out["country"] == "FR").all() and (out["rate"] == 1.5).all()
        assert (out["count"] == 0).all() and out["count"].dtype == rows["count"].dtype
        assert (out["day"] == pd.Timestamp("2024-03-01")).all() and out["day"].dtype == rows["day"].dtype
        assert out["amount"].nunique() > 100  # the other columns are still learned
    assert len(g.realism_score(rows.head(10))) == 10


def test_a_frame_of_constant_columns_only_is_refused(gen):
    with pytest.raises(ValueError, match="Every column has a single value"):
        gen.fit(pd.DataFrame({"a": [1, 1, 1], "b": ["x", "x", "x"]}))


def test_one_value_besides_nulls_is_modelled_as_discrete(fraud_rows):
    rows = fraud_rows.assign(promo=np.where(np.arange(len(fraud_rows)) % 4 == 0, 5.0, np.nan))
    g = SyntheticGenerator("ctgan", small(epochs=1)).fit(rows)
    assert "promo" in g.discrete_columns_
    assert set(g.generate(400, seed=2)["promo"].dropna().unique()) == {5.0}


def test_infinite_values(gen, fraud_rows):
    bad = fraud_rows.copy()
    bad.loc[0, "amount"] = np.inf
    with pytest.raises(ValueError, match="'amount' contains infinite values"):
        gen.fit(bad)


def test_unsupported_dtype(gen, fraud_rows):
    with pytest.raises(TypeError, match="'wait'.*timedelta"):
        gen.fit(fraud_rows.assign(wait=pd.to_timedelta(fraud_rows["hour"], unit="h")))


def test_n_samples_must_be_positive(fraud_rows):
    g = SyntheticGenerator("ctgan", small(epochs=1)).fit(fraud_rows, ["merchant_category"])
    for bad in (0, -5):
        with pytest.raises(ValueError, match="n_samples must be positive"):
            g.generate(bad)
    with pytest.raises(TypeError, match="n_samples must be an int"):
        g.generate(2.5)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        g.generate(5, seed=-1)


def test_generate_before_fit(gen):
    with pytest.raises(NotFittedError, match="not fitted: call fit"):
        gen.generate(10)
    with pytest.raises(ValueError):
        gen.generate_block(0, 10, seed=1)
    with pytest.raises(ValueError):
        gen.realism_score(pd.DataFrame({"a": [1.0]}))


def test_unknown_method():
    with pytest.raises(ValueError, match="Unknown method 'gan'.*ctgan"):
        SyntheticGenerator("gan")


def test_unknown_config_key_lists_the_accepted_keys():
    with pytest.raises(ValueError, match=r"Unknown config key 'epoch'.*Accepted keys: .*batch_size.*epochs"):
        SyntheticGenerator("ctgan", {"epoch": 10})


@pytest.mark.parametrize("key,value", [("epochs", "300"), ("epochs", 0), ("epochs", True), ("batch_size", 1.5),
                                       ("generator_dim", 256), ("device", "tpu"), ("verbose", 1),
                                       ("generator_lr", -1.0), ("max_training_rows", 0), ("seed", -3),
                                       ("generator_average", 1.0), ("generator_average", -0.1)])
def test_wrong_config_value_type(key, value):
    with pytest.raises(TypeError, match=f"config\\['{key}'\\]"):
        SyntheticGenerator("ctgan", {key: value})


def test_batch_size_must_fit_pac_groups():
    with pytest.raises(ValueError, match="multiple of pac=10"):
        SyntheticGenerator("ctgan", {"batch_size": 505})


def test_lr_shorthand_sets_both_networks():
    g = SyntheticGenerator("ctgan", {"lr": 1e-3})
    assert g.config_["generator_lr"] == g.config_["discriminator_lr"] == 1e-3


def test_a_discrete_float_column_with_many_levels_is_named_in_a_warning(caplog):
    rows = pd.DataFrame({"price": np.random.default_rng(0).random(1500), "kind": ["a", "b", "c"] * 500})
    with caplog.at_level(logging.WARNING, logger="genesis_spark.synth.validation"):
        SyntheticGenerator("ctgan", small(epochs=1)).fit(rows, discrete_columns=["price"])
    assert "discrete column 'price' holds 1500 distinct float values" in caplog.text
