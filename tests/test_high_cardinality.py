"""High-cardinality text is modelled, never left empty; identifier columns are fresh or, on request, dropped."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.augment import augment
from genesis_spark.core.blocks import ORDER_COLUMNS
from genesis_spark.spark.augment import augment_spark
from genesis_spark.synth.folding import fold_levels
from genesis_spark.synth.generator import SyntheticGenerator
from genesis_spark.synth.transformer import DataTransformer

CONFIG = {"epochs": 4, "batch_size": 500, "embedding_dim": 32, "generator_dim": (64, 64),
          "discriminator_dim": (64, 64), "device": "cpu", "seed": 3}


def job_titles(n: int, seed: int, null_share: float = 0.1) -> pd.Series:
    """Zipf-like job titles (exponent 0.9 over 20,000 titles): ~1,500 levels in 3,000 rows, most seen once."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, 20_001) ** 0.9
    titles = pd.Series(np.char.add("job title ", rng.choice(20_000, n, p=p / p.sum()).astype(str)), dtype=object)
    return titles.where(rng.random(n) >= null_share, None)


@pytest.fixture(scope="module")
def minority() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 3000
    return pd.DataFrame({"job_title": job_titles(n, 2), "salary": rng.lognormal(10, 0.4, n).round(2),
                         "remote": rng.random(n) < 0.3})


@pytest.fixture(scope="module")
def fitted(minority) -> SyntheticGenerator:
    return SyntheticGenerator("ctgan", CONFIG).fit(minority)


def test_the_fixture_is_high_cardinality(minority):
    counts = minority["job_title"].value_counts()
    assert 1300 <= len(counts) <= 1800 and (counts == 1).sum() > 1000  # ~1,500 levels, most seen once


def test_frequent_titles_are_categories_and_the_rest_one_learned_other_state(fitted, minority):
    col = fitted._transformer.column("job_title")
    counts = minority["job_title"].value_counts()
    assert col.is_folded and col.n_categories == 50 + 2  # 50 kept titles, "other", null
    kept = counts[list(col.values)]
    assert kept.min() >= counts.drop(kept.index).max()  # the 50 most frequent (ties by value)
    rest = counts.drop(kept.index)
    assert set(col.tail_values) == set(rest.index[rest >= 2])  # every other title seen at least twice
    assert list(col.tail_weights) == rest[list(col.tail_values)].tolist()


def test_synthetic_titles_are_real_never_copied_singletons_and_as_often_present(fitted, minority):
    real = minority["job_title"]
    counts = real.value_counts()
    syn = fitted.generate(6000, seed=11)["job_title"]
    assert abs(syn.isna().mean() - real.isna().mean()) < 0.05  # never emptier than the real column
    values = syn.dropna()
    assert values.isin(set(counts.index)).all()  # every value is a real title
    assert not values.isin(set(counts.index[counts == 1])).any()  # none seen exactly once
    assert values.nunique() > 100  # the tail is drawn from, not just the 50 categories
    real_share = real.value_counts(normalize=True, dropna=False)
    syn_share = syn.value_counts(normalize=True, dropna=False)
    for title in counts.index[:5]:
        assert syn_share.get(title, 0.0) == pytest.approx(real_share[title], rel=0.3, abs=0.01)
    rare_real = 1 - real_share[counts.index[:50]].sum() - real.isna().mean()
    rare_syn = 1 - syn_share.reindex(counts.index[:50]).fillna(0).sum() - syn.isna().mean()
    assert rare_syn == pytest.approx(rare_real, abs=0.05)  # the "other" share is learned


def test_same_seed_same_rows_and_blocks_on_their_own(fitted):
    a = fitted.generate(5000, seed=5)
    pd.testing.assert_frame_equal(a, fitted.generate(5000, seed=5))
    assert not a["job_title"].equals(fitted.generate(5000, seed=6)["job_title"])
    block = fitted.generate_block(1, 4096, 5)
    pd.testing.assert_frame_equal(block.iloc[:904].reset_index(drop=True), a.iloc[4096:].reset_index(drop=True))


def test_save_and_load_keep_the_tail(fitted, tmp_path):
    loaded = SyntheticGenerator.load(fitted.save(tmp_path / "titles.gen"))
    col, again = fitted._transformer.column("job_title"), loaded._transformer.column("job_title")
    assert again == col
    pd.testing.assert_frame_equal(loaded.generate(3000, seed=9), fitted.generate(3000, seed=9))
    rows = fitted.generate(200, seed=9)
    np.testing.assert_allclose(loaded.realism_score(rows), fitted.realism_score(rows))


def test_a_generator_saved_before_folding_still_loads(monkeypatch):
    from genesis_spark.synth import artifact

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(["a", "b", "c"], 400)})
    gen = SyntheticGenerator("ctgan", {**CONFIG, "epochs": 1, "batch_size": 100}).fit(df)
    tensors, manifest = artifact.load(gen.to_bytes())
    old = {k: v for k, v in manifest.items() if k not in ("sha256", "format", "format_version")}
    old["config"] = {k: v for k, v in old["config"].items() if k not in ("max_categories", "min_category_count")}
    old["transformer"] = {k: v for k, v in old["transformer"].items() if k not in ("max_categories", "min_count")}
    monkeypatch.setattr(artifact, "FORMAT_VERSION", 2)
    data = artifact.dump(tensors, old)
    monkeypatch.undo()
    assert artifact.load(data)[1]["format_version"] == 2
    pd.testing.assert_frame_equal(SyntheticGenerator.from_bytes(data).generate(300, seed=2),
                                  gen.generate(300, seed=2))


def test_without_a_tail_the_other_state_draws_kept_values():
    values = [f"v{i:02d}" for i in range(60)]
    counts = [5] * 40 + [1] * 20  # 40 values seen 5 times, 20 seen once: no tail value seen twice
    series = pd.Series(np.repeat(values, counts), dtype=object)
    t = DataTransformer(max_categories=50).fit(series.to_frame("v"), ["v"])
    col = t.column("v")
    assert col.is_folded and set(col.values) == set(col.tail_values) == set(values[:40])
    matrix = np.zeros((1000, t.output_dim), dtype=np.float32)
    matrix[:, col.other_code] = 1.0  # every row in the "other" state
    out = t.inverse_transform(matrix, np.random.default_rng(0))["v"]
    assert out.isin(values[:40]).all() and out.nunique() == 40


def test_few_levels_or_no_repeated_value_are_not_folded():
    assert fold_levels("c", ["a", "b"], [5, 5], 50, 2) is None
    assert fold_levels("c", [f"v{i}" for i in range(80)], [1] * 80, 50, 2) is None  # nothing seen twice
    assert fold_levels("c", [f"v{i}" for i in range(80)], [3] * 80, None, 2) is None  # max_categories None: off


def test_rare_and_unseen_values_encode_as_the_other_state(fitted, minority):
    rows = fitted.generate(10, seed=1)
    rows.loc[0, "job_title"] = minority["job_title"].value_counts().index[-1]  # seen once in training
    rows.loc[1, "job_title"] = "astronaut"  # never seen
    assert np.isfinite(fitted.realism_score(rows)).all()
    with pytest.raises(ValueError, match="folded into its 'other' state"):
        fitted.generate(5, conditions={"job_title": fitted._transformer.column("job_title").tail_values[0]})


def test_config_checks_the_folding_keys():
    with pytest.raises(TypeError, match="min_category_count"):
        SyntheticGenerator("ctgan", {"min_category_count": 1})
    with pytest.raises(TypeError, match="max_categories"):
        SyntheticGenerator("ctgan", {"max_categories": 0})


# ------------------------------------------------------------------ both engines

AUGMENT = {"epochs": 2, "batch_size": 100, "embedding_dim": 16, "generator_dim": (32, 32),
           "discriminator_dim": (32, 32), "device": "cpu", "block_size": 256}


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 1200
    churn = (rng.random(n) < 0.25).astype(int)
    return pd.DataFrame({
        "person_id": pd.Series([f"p-{i:05d}" for i in range(n)]).where(np.arange(n) % 8 != 1),
        "job_title": job_titles(n, 5),
        "tenure": rng.exponential(4.0, n).round(1),
        "churn": churn,
    })


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)


def test_identifier_columns_are_dropped_on_request_on_both_engines(spark, people):
    config = {**AUGMENT, "identifier_columns": "drop", "score": False}  # scoring: tests/test_engines_agree.py
    on_pandas = augment(people, "churn", 0.4, config=config, seed=1)
    on_spark = augment_spark(spark.createDataFrame(people), "churn", 0.4, config=config, seed=1)
    assert list(on_pandas.augmented.columns) == on_spark.augmented.columns == ["job_title", "tenure", "churn"]
    assert on_pandas.excluded_columns == on_spark.excluded_columns == ("person_id",)
    assert len(on_pandas.augmented) == len(people) + on_pandas.plan.n_synthetic
    pandas_rows, spark_rows = _rows(on_pandas.synthetic), _rows(on_spark.synthetic.toPandas())
    assert "person_id" not in pandas_rows.columns and "person_id" not in spark_rows.columns
    pd.testing.assert_frame_equal(pandas_rows, spark_rows, check_dtype=False)
    # the high-cardinality title: modelled, never a title seen once among the real churners
    real = people.loc[people["churn"] == 1, "job_title"]
    once = set(real.value_counts().index[real.value_counts() == 1])
    assert not pandas_rows["job_title"].isin(once).any()
    assert abs(pandas_rows["job_title"].isna().mean() - real.isna().mean()) < 0.05


def test_smote_gives_fresh_identifiers_by_default_and_drops_them_on_request_on_both_engines(spark, people):
    fresh = augment(people, "churn", 0.4, strategy="smote", seed=1).synthetic["person_id"]
    assert fresh.dropna().str.fullmatch(r"syn-[0-9a-f]{16}-0-\d+").all() and fresh.dropna().is_unique
    assert 0 < fresh.isna().mean() < 0.3  # null as often as in the real rows (1 in 8)
    config = {"identifier_columns": "drop"}
    on_pandas = augment(people, "churn", 0.4, strategy="smote", config=config, seed=1)
    on_spark = augment_spark(spark.createDataFrame(people), "churn", 0.4, strategy="smote", config=config, seed=1)
    assert list(on_pandas.augmented.columns) == on_spark.augmented.columns == ["job_title", "tenure", "churn"]
    assert on_spark.synthetic.count() == len(on_pandas.synthetic) == on_pandas.plan.n_synthetic


def test_an_unknown_identifier_mode_is_an_error_on_both_engines(spark, people):
    with pytest.raises(ValueError, match="identifier_columns"):
        augment(people, "churn", 0.4, config={"identifier_columns": "hash"})
    with pytest.raises(ValueError, match="identifier_columns"):
        augment_spark(spark.createDataFrame(people), "churn", 0.4, config={"identifier_columns": "hash"})
