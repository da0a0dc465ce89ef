"""The fast per-block scorers against their references: compiled trees, exact nearest distance, one-pass critic."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from genesis_spark.core.encoding import MixedTypeEncoder
from genesis_spark.core.nearest import MAX_KEY_GROUP_ROWS, NearestReal, OneHotLayout
from genesis_spark.core.scoring import CompiledForest, LabelModel
from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.synth.inference import CriticNet, critic_net


@pytest.fixture(scope="module")
def label_sample(transactions):
    return pd.concat([transactions[transactions[TARGET_COLUMN] == 1],
                      transactions[transactions[TARGET_COLUMN] == 0].head(3000)], ignore_index=True)


def test_compiled_trees_give_the_models_probabilities_bit_for_bit(label_sample, transactions):
    model = LabelModel.fit(label_sample, TARGET_COLUMN, 1, DISCRETE_COLUMNS, seed=3)
    assert model.forest is not None
    rows = transactions.drop(columns=TARGET_COLUMN).sample(4000, random_state=1).reset_index(drop=True)
    rows.loc[:99, "amount"] = np.nan                         # missing numbers
    rows.loc[100:199, "merchant_category"] = "never_seen"    # unknown categories: missing for the trees
    rows.loc[200:299, "hour"] = 99
    [amount] = [t for t in model.forest.features if t.index == model.features.index("amount")]
    rows.loc[300:399, "amount"] = amount.values[len(amount.values) // 2]  # exactly on a split threshold
    x, _ = model._matrix(rows)
    assert len(model.forest.joint) < len(model.forest.features)  # features with few values share a lookup
    np.testing.assert_array_equal(model.forest.predict_proba(x), model.model.predict_proba(x))
    np.testing.assert_array_equal(model.predict(rows), model.model.predict_proba(x)[:, model.minority_index])


def test_compiled_trees_cover_a_model_without_categorical_features(label_sample):
    numeric = label_sample[["amount", "distance_from_home", TARGET_COLUMN]]
    model = LabelModel.fit(numeric, TARGET_COLUMN, 1, [], seed=0)
    x, _ = model._matrix(numeric)
    assert model.forest is not None and model.model._preprocessor is None
    np.testing.assert_array_equal(CompiledForest.of(model.model).predict_proba(x), model.model.predict_proba(x))


def test_nearest_distance_is_exact_with_copies_duplicates_and_near_ties():
    rng = np.random.default_rng(0)
    reference = rng.random((700, 12)).astype(np.float32)
    reference[350:] = reference[:350]                         # every reference row twice
    reference[1] = reference[0] + np.float32(1e-6)            # a near tie
    queries = np.vstack([reference[:50],                      # exact copies
                         reference[:50] + np.float32(1e-7),
                         rng.random((2000, 12)).astype(np.float32)])
    got = NearestReal.of(reference, chunk_rows=256).distances(queries)
    diff = queries[:, None, :].astype(np.float64) - reference[None].astype(np.float64)
    expected = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff).min(axis=1))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert (got[:50] == 0).all()


def _brute_force_nearest(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    x, r = queries.astype(np.float64), reference.astype(np.float64)
    return np.sqrt(np.array([np.einsum("ij,ij->i", q - r, q - r).min() for q in x]))


def test_clustered_search_gives_the_whole_scans_distances_bit_for_bit():
    rng = np.random.default_rng(1)
    # Rows in 40 tight groups (as a few discrete columns and scaled numbers make them), 6,000 of them.
    centres = rng.random((40, 10)) * 4
    reference = (centres[rng.integers(0, 40, 6000)] + rng.normal(0, 0.05, (6000, 10))).astype(np.float32)
    reference[3000:3100] = reference[:100]                    # duplicates across the table
    queries = np.vstack([reference[:200],                     # exact copies
                         (centres[rng.integers(0, 40, 1500)] + rng.normal(0, 0.08, (1500, 10))).astype(np.float32),
                         (rng.random((300, 10)) * 4).astype(np.float32)])  # between the groups
    index = NearestReal.of(reference)
    assert index.clusters is not None
    scanned = NearestReal.of(reference[:5]).whole               # a scan of other rows: used only as a fallback
    pruned = index.clusters.distances(queries, scanned)         # so these come from the clusters alone
    np.testing.assert_array_equal(pruned, index.whole.distances(queries))
    np.testing.assert_array_equal(index.distances(queries), pruned)
    np.testing.assert_allclose(pruned, _brute_force_nearest(queries, reference), rtol=1e-12, atol=1e-15)
    assert (pruned[:200] == 0).all()


def test_search_falls_back_to_the_whole_reference_where_clusters_do_not_separate_rows():
    rng = np.random.default_rng(2)
    reference = rng.random((4500, 60)).astype(np.float32)     # no structure in 60 dimensions
    queries = rng.random((700, 60)).astype(np.float32)
    index = NearestReal.of(reference)
    assert index.clusters is not None
    np.testing.assert_array_equal(index.distances(queries), index.whole.distances(queries))
    np.testing.assert_allclose(index.distances(queries), _brute_force_nearest(queries, reference), rtol=1e-12)
    assert index.distances(queries[:0]).shape == (0,)


def _mixed_rows(rng: np.random.Generator, n: int, levels: int = 12) -> pd.DataFrame:
    """Rows of two numbers (one with nulls) and three discrete columns, as the scorer encodes them."""
    amount = rng.gamma(2.0, 50.0, n)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"amount": amount, "hour": rng.integers(0, 24, n).astype(float),
                         "category": rng.choice([f"c{i}" for i in range(levels)], n),
                         "channel": rng.choice(["web", "pos", "atm"], n),
                         "flag": rng.random(n) < 0.3})


def test_same_key_search_gives_the_matmul_searchs_distances_bit_for_bit():
    rng = np.random.default_rng(3)
    real = _mixed_rows(rng, 6000)
    encoder = MixedTypeEncoder.fit(real, ["category", "channel", "flag"])
    reference = encoder.transform(real)
    reference[3000:3100] = reference[:100]                    # duplicates across the table
    unseen = _mixed_rows(rng, 200, levels=15)                 # categories c12-c14: the encoder's "other" code
    queries = encoder.transform(pd.concat([real.iloc[:200], _mixed_rows(rng, 1500), unseen], ignore_index=True))
    queries[200:260] = reference[200:260] + np.float32(1e-6)  # near ties with real rows
    keyed = NearestReal.of(reference, layout=encoder.one_hot_layout())
    plain = NearestReal.of(reference)
    assert keyed.keyed is not None and plain.keyed is None
    resolved, _ = keyed.keyed.search(queries)
    assert 0.5 < resolved.mean() < 1.0                         # both paths are exercised
    got = keyed.distances(queries)
    np.testing.assert_array_equal(got, plain.distances(queries))
    np.testing.assert_allclose(got, _brute_force_nearest(queries, reference), rtol=1e-12, atol=1e-15)
    assert (got[:200] == 0).all()


def test_same_key_search_leaves_large_key_groups_and_far_rows_to_the_matmul_search():
    rng = np.random.default_rng(4)
    kinds = np.array(["big"] * 2 * MAX_KEY_GROUP_ROWS + [f"k{i}" for i in range(80) for _ in range(10)])
    real = pd.DataFrame({"x": rng.random(kinds.size), "y": rng.random(kinds.size), "kind": kinds})
    encoder = MixedTypeEncoder.fit(real, ["kind"])
    reference = encoder.transform(real)
    far = pd.DataFrame({"x": [30.0], "y": [30.0], "kind": ["k3"]})  # its same-key rows are no nearer than others
    frame = pd.concat([real.iloc[::7], far], ignore_index=True)
    queries = encoder.transform(frame)
    index = NearestReal.of(reference, layout=encoder.one_hot_layout())
    resolved, _ = index.keyed.search(queries)
    small = frame["kind"].to_numpy() != "big"
    assert not resolved[~small].any() and resolved[small][:-1].all() and not resolved[-1]
    np.testing.assert_array_equal(index.distances(queries), NearestReal.of(reference).distances(queries))
    np.testing.assert_allclose(index.distances(queries), _brute_force_nearest(queries, reference), rtol=1e-12)


def test_same_key_search_is_not_built_where_rows_rarely_share_their_discrete_values():
    rng = np.random.default_rng(6)
    real = pd.DataFrame({"x": rng.random(500), "id_like": [f"u{i}" for i in range(500)]})
    encoder = MixedTypeEncoder.fit(real, ["id_like"])
    index = NearestReal.of(encoder.transform(real), layout=encoder.one_hot_layout())
    assert index.keyed is None
    queries = encoder.transform(real.iloc[:50])
    np.testing.assert_array_equal(index.distances(queries), np.zeros(50))


def _one_hot_rows(x: list[float], keys: list[tuple[int, int]], width: int, value: np.float32) -> np.ndarray:
    """Rows of one continuous column and two discrete ones of ``width`` values each, encoded."""
    rows = np.zeros((len(x), 1 + 2 * width), dtype=np.float32)
    rows[:, 0] = x
    for i, (a, b) in enumerate(keys):
        rows[i, 1 + a] = rows[i, 1 + width + b] = value
    return rows


def test_rows_one_discrete_value_apart_settle_a_query_and_two_apart_are_left_to_the_matmul_search():
    width = 40
    layout = OneHotLayout(continuous=1, widths=(width, width), value=float(np.float32(1 / np.sqrt(2))))
    v = np.float32(layout.value)
    x = [1.3, 1.4, 0.1,      # (0, 0) twice 1.3+ out; (1, 0), one value apart, at 0.1
         1.5, 1.6, 1.2,      # (5, 5) twice 1.5+ out; (6, 5), one value apart, at 1.2
         0.0,                # (7, 7), two values apart from (5, 5), at 0
         1.05, 1.1, 0.45]    # (2, 2) twice 1.05+ out; (3, 2) nearer in x (0.45) but one value apart
    keys = [(0, 0), (0, 0), (1, 0), (5, 5), (5, 5), (6, 5), (7, 7), (2, 2), (2, 2), (3, 2)]
    x += [10.0 + a for a in range(8, width) for _ in range(3)]  # the rest: far out
    keys += [(a, a) for a in range(8, width) for _ in range(3)]
    reference = _one_hot_rows(x, keys, width, v)
    queries = _one_hot_rows([0.0, 0.0, 1.35, 0.0], [(0, 0), (5, 5), (0, 0), (2, 2)], width, v)
    index = NearestReal.of(reference, layout=layout)
    settled, _ = index.keyed.search(queries)
    # (0, 0) at 0: 1 + 0.1^2 one value apart beats 1.3^2 among its own; (5, 5) at 0: the row two values
    # apart (2) beats 1 + 1.2^2 one apart, which no search of one value apart can know; (0, 0) at 1.35:
    # its own; (2, 2) at 0: its own at 1.05^2 beats 1 + 0.45^2, though 0.45 is the nearer x.
    assert settled.tolist() == [True, False, True, True]
    np.testing.assert_allclose(index.distances(queries), np.sqrt([1.01, 2.0, 0.05 ** 2, 1.05 ** 2]), rtol=1e-6)
    np.testing.assert_array_equal(index.distances(queries), _brute_force_nearest(queries, reference))


def test_same_key_search_without_continuous_columns_finds_exact_copies():
    rng = np.random.default_rng(5)
    real = pd.DataFrame({"a": rng.choice(list("pqrs"), 500), "b": rng.choice(list("xyz"), 500)})
    encoder = MixedTypeEncoder.fit(real, ["a", "b"])
    queries = encoder.transform(pd.DataFrame({"a": ["p", "t"], "b": ["x", "x"]}))  # "t": never seen
    index = NearestReal.of(encoder.transform(real), layout=encoder.one_hot_layout())
    np.testing.assert_allclose(index.distances(queries), [0.0, 1.0], atol=1e-6)


@pytest.fixture(scope="module")
def fitted(fraud_rows):
    from genesis_spark.synth.generator import SyntheticGenerator

    config = {"epochs": 3, "batch_size": 100, "seed": 2, "device": "cpu"}
    return SyntheticGenerator("ctgan", config).fit(fraud_rows, discrete_columns=DISCRETE_COLUMNS)


def _net(generator) -> CriticNet:
    return critic_net(generator._model, generator._transformer.discrete_spans,
                      generator._sampler.column_offsets.tolist())


def test_one_pass_critic_is_the_critic_on_the_averaged_condition_of_pac_copies(fitted):
    model, spans = fitted._model, fitted._transformer.discrete_spans
    matrix = fitted._transformer.transform(fitted.generate(3000, seed=4), None)
    x = torch.from_numpy(matrix)
    cond = torch.zeros(len(x), model.cond_dim)
    for span, offset in zip(spans, fitted._sampler.column_offsets.tolist()):
        cond[:, offset:offset + span.width] = x[:, span.start:span.end] / len(spans)
    with torch.no_grad():
        group = torch.cat([x, cond], dim=1).repeat_interleave(model.pac, dim=0)
        expected = model.discriminator.eval()(group).view(-1).double().numpy()
    np.testing.assert_allclose(_net(fitted).scores(matrix), expected, rtol=1e-4, atol=1e-5)
    assert _net(fitted) is _net(fitted)  # cached with the sampling nets


def test_one_pass_critic_ranks_rows_as_the_per_column_average(fitted):
    """The score it replaces: the critic once per discrete column, conditioned on that column alone."""
    from scipy.stats import spearmanr

    model, spans = fitted._model, fitted._transformer.discrete_spans
    matrix = fitted._transformer.transform(fitted.generate(3000, seed=5), None)
    x = torch.from_numpy(matrix)
    per_column = np.zeros(len(x))
    for span, offset in zip(spans, fitted._sampler.column_offsets.tolist()):
        cond = torch.zeros(len(x), model.cond_dim)
        cond[:, offset:offset + span.width] = x[:, span.start:span.end]
        with torch.no_grad():
            group = torch.cat([x, cond], dim=1).repeat_interleave(model.pac, dim=0)
            per_column += model.discriminator.eval()(group).view(-1).double().numpy() / len(spans)
    assert spearmanr(_net(fitted).scores(matrix), per_column).statistic > 0.99


def test_one_pass_critic_scores_rows_alone_in_any_chunking(fitted):
    matrix = fitted._transformer.transform(fitted.generate(1000, seed=6), None)
    net = _net(fitted)
    small = CriticNet(fitted._model.discriminator, fitted._transformer.discrete_spans,
                      fitted._sampler.column_offsets.tolist(), chunk_rows=7)
    np.testing.assert_allclose(small.scores(matrix), net.scores(matrix), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.scores(matrix[5:6]), net.scores(matrix)[5:6], rtol=1e-5, atol=1e-6)
