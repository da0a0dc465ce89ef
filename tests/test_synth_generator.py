"""SyntheticGenerator: training, seeding, blocks, conditions, realism, artifact."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch

from _synth_helpers import one_thread, small  # noqa: F401 (one_thread: an autouse fixture)
from genesis_spark.synth.artifact import ArtifactError
from genesis_spark.synth.generator import NotFittedError, SyntheticGenerator

DISCRETE = ["merchant_category", "hour", "day_of_week"]


@pytest.fixture(scope="module")
def fitted(fraud_rows):
    return SyntheticGenerator("ctgan", small(epochs=4)).fit(fraud_rows, DISCRETE)


def test_loss_history_has_one_finite_row_per_epoch(fitted):
    h = fitted.loss_history_
    assert list(h["epoch"]) == [0, 1, 2, 3]
    assert np.isfinite(h[["generator_loss", "discriminator_loss", "gradient_penalty"]].to_numpy()).all()


def test_generate_returns_training_columns_and_dtypes(fitted, fraud_rows):
    out = fitted.generate(250, seed=1)
    assert len(out) == 250
    assert list(out.columns) == list(fraud_rows.columns)
    assert (out.dtypes == fraud_rows.dtypes).all()
    assert set(out["merchant_category"]) <= set(fraud_rows["merchant_category"])
    for c in ["amount", "distance_from_home", "transaction_count_24h"]:
        assert out[c].between(fraud_rows[c].min(), fraud_rows[c].max()).all()


def test_same_seed_same_fit_and_same_rows(fraud_rows):
    a = SyntheticGenerator("ctgan", small(epochs=2)).fit(fraud_rows, DISCRETE)
    b = SyntheticGenerator("ctgan", small(epochs=2)).fit(fraud_rows, DISCRETE)
    pd.testing.assert_frame_equal(a.loss_history_, b.loss_history_)
    pd.testing.assert_frame_equal(a.generate(300, seed=3), b.generate(300, seed=3))
    assert a.sha256 == b.sha256
    c = SyntheticGenerator("ctgan", small(epochs=2, seed=8)).fit(fraud_rows, DISCRETE)
    assert not a.generate(300, seed=3).equals(c.generate(300, seed=3))


def test_generate_seed_reproducible_and_seedless_calls_differ(fitted):
    pd.testing.assert_frame_equal(fitted.generate(100, seed=11), fitted.generate(100, seed=11))
    assert not fitted.generate(100, seed=11).equals(fitted.generate(100, seed=12))
    assert not fitted.generate(100).equals(fitted.generate(100))


def test_generate_is_the_concatenation_of_blocks(fitted):
    rows = fitted.generate(5000, seed=2)
    blocks = pd.concat([fitted.generate_block(0, 4096, 2), fitted.generate_block(1, 4096, 2)], ignore_index=True)
    pd.testing.assert_frame_equal(rows, blocks.head(5000))


def test_block_depends_only_on_seed_and_index_not_call_order(fitted):
    forward = [fitted.generate_block(i, 64, seed=5) for i in range(4)]
    backward = [fitted.generate_block(i, 64, seed=5) for i in reversed(range(4))][::-1]
    fitted.generate(10)  # consuming the seedless stream changes nothing
    again = fitted.generate_block(2, 64, seed=5)
    for a, b in zip(forward, backward):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(forward[2], again)
    assert not forward[0].equals(forward[1])
    assert not forward[0].equals(fitted.generate_block(0, 64, seed=6))


def test_block_rows_do_not_depend_on_earlier_sizes_or_concurrent_threads(fitted):
    expected = {i: fitted.generate_block(i, 512, seed=8) for i in (3, 4)}
    fitted.generate_block(0, 100, seed=1)  # another size: the sampling buffers are reallocated
    pd.testing.assert_frame_equal(fitted.generate_block(3, 512, seed=8), expected[3])
    with ThreadPoolExecutor(4) as pool:  # each thread samples into its own buffers
        blocks = list(pool.map(lambda i: (i, fitted.generate_block(i, 512, seed=8)), [3, 4] * 6))
    for i, block in blocks:
        pd.testing.assert_frame_equal(block, expected[i])


def test_block_identical_in_a_fresh_process_after_from_bytes(fitted, tmp_path):
    art = tmp_path / "gen.bin"
    art.write_bytes(fitted.to_bytes())
    out = tmp_path / "block.parquet"
    script = textwrap.dedent(f"""
        import torch; torch.set_num_threads(1)
        from pathlib import Path
        from genesis_spark.synth.generator import SyntheticGenerator
        g = SyntheticGenerator.from_bytes(Path({str(art)!r}).read_bytes())
        g.generate_block(7, 500, seed=99).to_parquet({str(out)!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    pd.testing.assert_frame_equal(pd.read_parquet(out), fitted.generate_block(7, 500, seed=99))


def test_conditions_are_honoured_by_every_row(fitted, fraud_rows):
    out = fitted.generate(400, conditions={"merchant_category": "gas"}, seed=4)
    assert (out["merchant_category"] == "gas").all()
    both = fitted.generate(400, conditions={"hour": 3, "merchant_category": "travel"}, seed=4)
    assert (both["hour"] == 3).all() and (both["merchant_category"] == "travel").all()
    assert both["day_of_week"].nunique() > 1  # unconditioned columns still vary
    block = fitted.generate_block(0, 100, seed=1, conditions={"day_of_week": 6})
    assert (block["day_of_week"] == 6).all()


def test_condition_on_unknown_value_or_column_is_a_clear_error(fitted):
    with pytest.raises(ValueError, match=r"merchant_category='casino'.*Allowed values: 'gas', 'grocery'"):
        fitted.generate(10, conditions={"merchant_category": "casino"})
    with pytest.raises(ValueError, match="only discrete columns"):
        fitted.generate(10, conditions={"amount": 100.0})
    with pytest.raises(ValueError, match="unknown columns"):
        fitted.generate(10, conditions={"colour": "red"})


def test_realism_scores_are_in_unit_interval_and_calibrated_on_training_rows(fitted, fraud_rows):
    real = fitted.realism_score(fraud_rows)
    assert real.shape == (len(fraud_rows),)
    assert ((real >= 0) & (real <= 1)).all()
    assert abs(np.median(real) - 0.5) < 0.05  # calibrated on these very rows
    one_by_one = np.concatenate([fitted.realism_score(fraud_rows.iloc[[i]]) for i in range(5)])
    np.testing.assert_allclose(one_by_one, real[:5], rtol=1e-5)  # a row's score does not depend on its batch
    junk = fraud_rows.head(200).assign(amount=fraud_rows["amount"].max(), distance_from_home=0.0,
                                       transaction_count_24h=1)
    assert not np.allclose(fitted.realism_score(junk), real[:200])


def test_save_load_round_trip_generates_the_same_rows(fitted, tmp_path):
    path = fitted.save(tmp_path / "sub" / "fraud_generator.safetensors")
    loaded = SyntheticGenerator.load(path)
    pd.testing.assert_frame_equal(loaded.generate(300, seed=21), fitted.generate(300, seed=21))
    assert loaded.sha256 == fitted.sha256
    assert loaded.columns_ == fitted.columns_ and loaded.discrete_columns_ == fitted.discrete_columns_
    pd.testing.assert_frame_equal(loaded.loss_history_, fitted.loss_history_)
    np.testing.assert_allclose(loaded.realism_score(fitted.generate(50, seed=1)),
                               fitted.realism_score(fitted.generate(50, seed=1)))


def test_pkl_suffix_still_writes_the_safe_format_not_a_pickle(fitted, tmp_path):
    import json

    path = fitted.save(tmp_path / "fraud_generator.pkl")
    data = path.read_bytes()
    assert data[8:9] == b"{"  # a JSON header right after the u64 length: safetensors, not a pickle stream
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + header_len])  # safetensors layout: u64 length + JSON header
    manifest = json.loads(header["__metadata__"]["genesis_spark"])
    assert manifest["format"] == "genesis_spark.synth/ctgan"
    assert manifest["columns"][0] == {"name": "amount", "dtype": "float64"}
    assert manifest["library"]["torch"] == torch.__version__
    assert len(manifest["training"]["loss_history"]["generator_loss"]) == 4
    pd.testing.assert_frame_equal(SyntheticGenerator.load(path).generate(20, seed=1), fitted.generate(20, seed=1))


def test_real_pickle_file_is_refused(tmp_path):
    import pickle

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"not": "a generator"}))
    with pytest.raises(ArtifactError, match="never unpickles"):
        SyntheticGenerator.load(path)


@pytest.mark.parametrize("where", ["tensor", "manifest", "truncate"])
def test_tampered_artifact_fails_to_load_with_a_clear_error(fitted, tmp_path, where):
    data = bytearray(fitted.to_bytes())
    header_len = int.from_bytes(data[:8], "little")
    if where == "tensor":
        data[-10] ^= 0xFF
    elif where == "manifest":
        text = bytes(data[8:8 + header_len]).replace(b'\\"epochs\\": 4', b'\\"epochs\\": 5')
        assert len(text) == header_len
        data[8:8 + header_len] = text
    else:
        data = data[: len(data) // 2]
    path = tmp_path / "tampered.safetensors"
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="integrity check|not a readable"):
        SyntheticGenerator.load(path)


def test_max_training_rows_trains_on_a_seeded_sample(fraud_rows, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="genesis_spark.synth.generator"):
        g = SyntheticGenerator("ctgan", small(epochs=1, max_training_rows=120)).fit(fraud_rows, DISCRETE)
    assert g.training_rows_ == 120
    assert f"120 of {len(fraud_rows)} rows" in caplog.text


def test_generator_without_discrete_columns_trains_and_generates(fraud_rows):
    df = fraud_rows[["amount", "distance_from_home"]]
    g = SyntheticGenerator("ctgan", small(epochs=2)).fit(df)
    out = g.generate(100, seed=0)
    assert list(out.columns) == ["amount", "distance_from_home"] and out.notna().all().all()
    assert ((g.realism_score(df) >= 0) & (g.realism_score(df) <= 1)).all()


def test_nulls_in_training_are_generated(fraud_rows):
    df = fraud_rows.copy()
    df.loc[df.index % 4 == 0, "distance_from_home"] = np.nan
    g = SyntheticGenerator("ctgan", small(epochs=2)).fit(df, DISCRETE)
    out = g.generate(2000, seed=0)
    assert out["distance_from_home"].isna().any()
    assert out["distance_from_home"].notna().any()


def test_params_follow_scikit_learn_so_clone_works(fitted):
    from sklearn.base import clone

    config = small(epochs=2)
    gen = SyntheticGenerator("ctgan", config)
    assert gen.get_params() == gen.get_params(deep=False) == {"method": "ctgan", "config": config}
    twin = clone(gen)
    assert twin is not gen and twin.get_params() == gen.get_params() and twin.config_ == gen.config_
    unfitted = clone(fitted)  # a clone has the parameters, not the learned state
    assert unfitted.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError, match="not fitted"):
        unfitted.generate(5)
    assert twin.set_params(config=small(epochs=3)) is twin and twin.config_["epochs"] == 3
    with pytest.raises(ValueError, match="Invalid parameter 'epochs'.*Valid parameters are: method, config"):
        twin.set_params(epochs=3)
    with pytest.raises(TypeError, match=r"config\['epochs'\]"):
        twin.set_params(config={"epochs": 0})
    assert twin.config_["epochs"] == 3  # a refused set_params changes nothing


def test_set_params_on_a_fitted_generator_unfits_it(fraud_rows):
    gen = SyntheticGenerator("ctgan", small(epochs=1)).fit(fraud_rows.head(60), DISCRETE)
    gen.set_params(config=gen.config)  # the same object: nothing changes
    assert len(gen.generate(5, seed=1)) == 5
    gen.set_params(config=small(epochs=2))
    with pytest.raises(NotFittedError):
        gen.generate(5, seed=1)
    assert gen.fit(fraud_rows.head(60), DISCRETE).loss_history_["epoch"].tolist() == [0, 1]
