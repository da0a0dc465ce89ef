"""SDV-style conditions in SyntheticGenerator.generate: a DataFrame of condition rows, lists of values, errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _synth_helpers import one_thread, small  # noqa: F401 (one_thread: an autouse fixture)
from genesis_spark.synth.generator import SyntheticGenerator

DISCRETE = ["merchant_category", "hour", "day_of_week"]


@pytest.fixture(scope="module")
def fitted(fraud_rows):
    return SyntheticGenerator("ctgan", small(epochs=3)).fit(fraud_rows, DISCRETE)


def test_frame_gives_one_row_per_condition_row_in_its_order(fitted, fraud_rows):
    conditions = pd.DataFrame({"merchant_category": ["online", "travel", "online", "gas", "online"],
                               "hour": [3, 22, 3, 12, 4]})
    out = fitted.generate(conditions=conditions, seed=2)
    assert len(out) == 5 and list(out.columns) == list(fraud_rows.columns)
    assert (out.dtypes == fraud_rows.dtypes).all()
    assert out["merchant_category"].tolist() == conditions["merchant_category"].tolist()
    assert out["hour"].tolist() == conditions["hour"].tolist()
    pd.testing.assert_frame_equal(out, fitted.generate(5, conditions=conditions, seed=2))  # n_samples may be given
    pd.testing.assert_frame_equal(out, fitted.generate(conditions=conditions.set_index(conditions.index + 10),
                                                       seed=2))  # the frame's index does not matter
    assert not out.equals(fitted.generate(conditions=conditions, seed=3))


def test_identical_condition_rows_are_one_group_drawn_together(fitted):
    """SDV's grouping: rows 0, 2 and 4 (the same condition) are rows of one draw, not copies of one row."""
    conditions = pd.DataFrame({"merchant_category": ["online", "gas"] * 30})
    out = fitted.generate(conditions=conditions, seed=5)
    online = out[conditions["merchant_category"] == "online"]
    assert (online["merchant_category"] == "online").all()
    assert online["amount"].nunique() > 20  # independent rows of the group
    assert online["day_of_week"].nunique() > 1  # unconditioned columns follow the learned distribution


def test_dict_with_a_list_draws_from_the_listed_values_by_learned_frequency(fitted, fraud_rows):
    out = fitted.generate(3000, conditions={"merchant_category": ["online", "grocery"], "day_of_week": 6}, seed=1)
    assert len(out) == 3000 and (out["day_of_week"] == 6).all()
    assert set(out["merchant_category"]) == {"online", "grocery"}
    real = fraud_rows["merchant_category"].value_counts()
    expected = real["online"] / (real["online"] + real["grocery"])  # frequencies restricted to the list
    assert abs((out["merchant_category"] == "online").mean() - expected) < 0.04
    again = fitted.generate(3000, conditions={"merchant_category": ["online", "grocery"], "day_of_week": 6}, seed=1)
    pd.testing.assert_frame_equal(out, again)
    single = fitted.generate(50, conditions={"merchant_category": ["travel"]}, seed=1)
    assert (single["merchant_category"] == "travel").all()


def test_scalar_dict_is_unchanged_and_matches_blocks(fitted):
    out = fitted.generate(300, conditions={"merchant_category": "gas"}, seed=4)
    block = fitted.generate_block(0, 4096, seed=4, conditions={"merchant_category": "gas"})
    pd.testing.assert_frame_equal(out, block.head(300))


@pytest.mark.parametrize("conditions, error, match", [
    (["online"], TypeError, r"conditions must be a dict or a pandas DataFrame, got list.*conditions=\{'"),
    (np.array(["online"]), TypeError, r"conditions must be a dict or a pandas DataFrame, got ndarray"),
    ("online", TypeError, r"conditions must be a dict or a pandas DataFrame, got str"),
    ({"amount": [10.0, 20.0]}, ValueError, r"conditions on 'amount': only discrete columns.*Accepted forms"),
    (pd.DataFrame({"amount": [10.0]}), ValueError, r"conditions on 'amount': only discrete columns"),
    (pd.DataFrame({"colour": ["red"]}), ValueError, r"conditions name unknown columns \['colour'\]"),
    (pd.DataFrame({"merchant_category": []}), ValueError, r"conditions is an empty DataFrame.*Accepted forms"),
    ({"merchant_category": []}, ValueError, r"conditions\['merchant_category'\] is an empty list"),
    ({"merchant_category": {"online"}}, TypeError, r"conditions\['merchant_category'\] must be a value or a list"),
    ({"merchant_category": ["online", "casino"]}, ValueError, r"merchant_category='casino'.*Allowed values"),
    (pd.DataFrame({"merchant_category": ["casino"]}), ValueError, r"merchant_category='casino'.*Allowed values"),
])
def test_wrong_conditions_name_the_argument_and_an_accepted_form(fitted, conditions, error, match):
    with pytest.raises(error, match=match):
        fitted.generate(10 if not isinstance(conditions, pd.DataFrame) else None, conditions=conditions, seed=0)


def test_frame_length_and_n_samples_must_agree(fitted):
    with pytest.raises(ValueError, match=r"DataFrame of 2 rows.*pass n_samples=2 or None"):
        fitted.generate(5, conditions=pd.DataFrame({"hour": [1, 2]}))
    with pytest.raises(TypeError, match="n_samples must be an int"):
        fitted.generate(conditions={"hour": 1})


def test_generate_block_takes_scalar_conditions_only(fitted):
    with pytest.raises(TypeError, match=r"generate_block takes conditions as a dict \{column: value\}.*generate\(\)"):
        fitted.generate_block(0, 10, seed=1, conditions={"hour": [1, 2]})
    with pytest.raises(TypeError, match="generate_block takes conditions"):
        fitted.generate_block(0, 10, seed=1, conditions=pd.DataFrame({"hour": [1]}))
