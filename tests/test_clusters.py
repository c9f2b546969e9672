"""Clusters of a layout, their names and levels of detail."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score

from projector_widget.compute.explain.clusters import (
    cluster_levels,
    cluster_medoids,
    cluster_positions,
    default_min_size,
    find_clusters,
)
from projector_widget.compute.explain.naming import (
    MAX_ROW_SHARE,
    NUMBER_WORDS,
    cluster_table,
    name_clusters,
)

NAMES = np.array("zero one two three four five six seven eight nine".split())


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """A t-SNE layout of 1,000 handwritten digits and each one's digit (0-9)."""
    d = load_digits()
    x, target = d.data[:1000], d.target[:1000]
    reduced = PCA(20, random_state=0).fit_transform(x)
    layout = TSNE(2, perplexity=20, init="pca", max_iter=250, random_state=0).fit_transform(reduced)
    return layout, target


def _majority(target: np.ndarray, members: np.ndarray) -> int:
    return int(np.bincount(target[members], minlength=10).argmax())


def test_digit_clusters_are_named_after_their_digit(digits) -> None:
    layout, target = digits
    labels = find_clusters(layout)
    assert labels.dtype == np.int32 and labels.shape == (1000,)
    found = labels.max() + 1
    assert 8 <= found <= 30
    assert (labels == -1).mean() < 0.2
    # Largest first.
    sizes = np.bincount(labels[labels >= 0])
    assert (np.diff(sizes) <= 0).all()
    # Each cluster is mostly one digit...
    purity = [np.bincount(target[labels == c]).max() / (labels == c).sum() for c in range(found)]
    assert np.mean(purity) > 0.8
    # ...and its name, from the text column of digit names, leads with that digit's name.
    names = name_clusters(labels, texts=NAMES[target])
    assert [n.cluster for n in names] == list(range(found))
    assert [n.size for n in names] == sizes.tolist()
    right = [n.terms[0] == NAMES[_majority(target, labels == n.cluster)] for n in names]
    assert np.mean(right) >= 0.8
    assert all(n.label.startswith(n.terms[0]) for n in names)
    # Every digit with a cluster of its own is named somewhere.
    assert len({n.terms[0] for n in names}) >= 8


def test_cluster_table(digits) -> None:
    pd = pytest.importorskip("pandas")
    layout, target = digits
    labels = find_clusters(layout)
    names = name_clusters(labels, texts=NAMES[target])
    table = cluster_table(names, cluster_positions(layout, labels))
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["cluster", "label", "size", "terms", "weights", "position"]
    assert table["cluster"].tolist() == list(range(labels.max() + 1))
    assert table["size"].tolist() == np.bincount(labels[labels >= 0]).tolist()
    assert table["label"].tolist() == [n.label for n in names]


def test_categorical_names_are_the_majority_and_its_share(digits) -> None:
    layout, target = digits
    labels = find_clusters(layout)
    values = NAMES[target].astype(object)
    values[::17] = None  # missing values count against the share
    for name in name_clusters(labels, categories=values):
        members = np.flatnonzero(labels == name.cluster)
        present = [v for v in values[members] if v is not None]
        best = max(set(present), key=present.count)
        assert name.label == best and name.terms == (best,)
        assert name.weights[0] == pytest.approx(present.count(best) / members.size)


def test_class_based_tf_idf_weights() -> None:
    labels = np.array([0, 0, 1, 1, -1])
    texts = ["apple apple banana", "apple cherry", "banana banana", "banana date", "apple"]
    names = name_clusters(labels, texts=texts, top=4, stop_words=None)

    # Words per cluster: 0 -> apple 3, banana 1, cherry 1 (5); 1 -> banana 3, date 1 (4).
    # Over both: apple 3, banana 4, cherry 1, date 1; on average 4.5 words per cluster.
    # The noise row (-1) is left out.
    def weight(tf: float, total: int) -> float:
        return tf * np.log(1 + 4.5 / total)

    zero, one = names
    assert zero.terms == ("apple", "cherry", "banana")
    np.testing.assert_allclose(zero.weights, [weight(3 / 5, 3), weight(1 / 5, 1), weight(1 / 5, 4)])
    assert one.terms == ("banana", "date")
    np.testing.assert_allclose(one.weights, [weight(3 / 4, 4), weight(1 / 4, 1)])
    # 'banana' is in one of cluster 0's two rows but three of the four clustered rows: less
    # common there than overall, so it does not name cluster 0.
    assert zero.label == "apple, cherry"
    assert one.label == "banana, date"


def test_a_word_in_nearly_every_row_never_names_a_cluster() -> None:
    # Two clusters: 'handwritten' scored 1/2 * log(1 + 4/8) against 1/2 * log(1 + 4/4) for the
    # digit, over a quarter of it, and so was named; in every row, it now never is.
    labels = np.repeat([0, 1], 4)
    texts = [f"handwritten {NAMES[c]} ink" for c in labels]
    names = name_clusters(labels, texts=texts)
    assert [n.terms for n in names] == [("zero",), ("one",)]
    assert [n.label for n in names] == ["zero", "one"]
    vectors = np.random.default_rng(0).standard_normal((8, 5))
    names = name_clusters(labels, texts, vectors=vectors)
    assert [n.label for n in names] == ["zero", "one"]
    # In more than two thirds of the rows (noise included): never a name; in half: still one.
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1])
    texts = [
        "cat tabby",
        "cat tabby",
        "cat ginger",
        "dog tabby",
        "dog tabby",
        "dog",
        "x tabby",
        "y tabby",
        "z tabby",
    ]
    names = name_clusters(labels, texts=texts)
    assert [n.label for n in names] == ["cat, ginger", "dog"]
    assert all("tabby" not in n.terms for n in names)  # 7 of 9 rows
    assert MAX_ROW_SHARE == pytest.approx(2 / 3)


def test_stop_words_go_but_number_words_stay() -> None:
    labels = np.array([0, 0, 1, 1])
    texts = ["the seven of them", "seven and the rest", "it is the nine", "nine of the"]
    names = name_clusters(labels, texts=texts, top=1)
    assert [n.terms for n in names] == [("seven",), ("nine",)]
    assert {"one", "nine", "seven"} <= NUMBER_WORDS
    nothing = name_clusters(labels, texts=["the", "of", None, float("nan")])
    assert [n.label for n in nothing] == ["cluster 0", "cluster 1"]


def test_unnamed_clusters_and_errors() -> None:
    assert [n.label for n in name_clusters(np.array([1, 0, 1, -1]))] == ["cluster 0", "cluster 1"]
    with pytest.raises(ValueError, match="not both"):
        name_clusters(np.array([0]), texts=["a"], categories=["b"])
    with pytest.raises(ValueError, match="texts has 2 entries but labels has 3"):
        name_clusters(np.array([0, 0, 1]), texts=["a", "b"])
    with pytest.raises(ValueError, match="1-D array of integers"):
        name_clusters(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="-1 for noise"):
        name_clusters(np.array([0, -2]))


def _blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [12, 0], [0, 12], [12, 12], [6, 24]], float)
    truth = rng.integers(0, len(centres), n)
    return centres[truth] + rng.standard_normal((n, 2)), truth


def test_sampled_clustering_labels_every_point() -> None:
    y, truth = _blobs(8000)
    outliers = np.array([[60.0, 60.0], [-50.0, 40.0]])
    y = np.vstack([y, outliers])
    labels = find_clusters(y, max_points=1500, seed=2)
    assert labels.max() + 1 == 5
    assert adjusted_rand_score(truth, labels[:8000]) > 0.95
    # Points beyond their nearest sampled point's core distance are noise, as far outliers are.
    assert (labels[-2:] == -1).all()
    assert (labels[:8000] == -1).mean() < 0.02
    # Same seed, same labels.
    np.testing.assert_array_equal(labels, find_clusters(y, max_points=1500, seed=2))


def test_default_min_size_grows_with_the_points() -> None:
    assert default_min_size(10) == 5
    assert default_min_size(1797) == 21
    assert default_min_size(100_000) == 158
    assert default_min_size(10**8) == 1000


def test_levels_are_nested_coarse_to_fine(digits) -> None:
    layout, target = digits
    levels = cluster_levels(layout, min_size=10, levels=3, texts=NAMES[target])
    assert [lv.min_size for lv in levels] == [90, 30, 10]
    counts = [len(lv.clusters) for lv in levels]
    assert counts[0] < counts[-1]
    for coarse, fine in zip(levels, levels[1:], strict=False):
        for c in fine.clusters:
            members = fine.labels == c.cluster
            above = np.unique(coarse.labels[members])
            # Inside one coarser cluster, or outside all of them (parent -1).
            assert above.tolist() == [c.parent]
    for lv in levels:
        for c in lv.clusters:
            members = np.flatnonzero(lv.labels == c.cluster)
            assert c.size == members.size
            # The label sits on one of the cluster's points.
            assert np.isclose(layout[members], c.position).all(axis=1).any()
            # The leading term first (siblings of one name take one more term or a number).
            assert c.label.startswith(c.terms[0])
    # The finest level names most clusters after their majority digit.
    fine = levels[-1]
    right = [
        c.terms[0] == NAMES[_majority(target, fine.labels == c.cluster)] for c in fine.clusters
    ]
    assert np.mean(right) >= 0.8


def test_positions_are_medoids() -> None:
    y = np.array([[0, 0], [1, 0], [2, 0], [10, 10], [50, 50]], float)
    assert cluster_positions(y, np.array([0, 0, 0, -1, 1])) == {0: (1.0, 0.0), 1: (50.0, 50.0)}
    assert cluster_medoids(y, np.array([0, 0, 0, -1, 1])) == {0: 1, 1: 4}


def test_layout_errors() -> None:
    y, _ = _blobs(100)
    y[3, 1] = np.inf
    with pytest.raises(ValueError, match="first: row 3"):
        find_clusters(y)
    with pytest.raises(ValueError, match=r"\(N, dims\) array"):
        find_clusters(np.zeros(5))
    with pytest.raises(ValueError, match="min_size must be an integer >= 2"):
        find_clusters(np.zeros((10, 2)), min_size=1)


def test_huge_coordinates_cluster_as_their_scaled_down_copy() -> None:
    # Squared distances of 1e160 overflow float64; HDBSCAN then allocated without bound.
    y = np.random.default_rng(0).normal(size=(60, 2)) * 2
    np.testing.assert_array_equal(find_clusters(y * 1e160), find_clusters(y))
    blobs, _ = _blobs(300)
    huge = blobs * 1e250
    levels, small = cluster_levels(huge, 10, 2), cluster_levels(blobs, 10, 2)
    for a, b in zip(levels, small, strict=True):
        np.testing.assert_array_equal(a.labels, b.labels)
        assert [c.row for c in a.clusters] == [c.row for c in b.clusters]
    labels = small[-1].labels
    assert cluster_medoids(huge, labels) == cluster_medoids(blobs, labels)


def test_a_cluster_whose_most_common_value_is_blank_is_numbered() -> None:
    # An empty (or blank) value names nothing: the label says which cluster it is instead.
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    names = name_clusters(labels, categories=["", "", "a", "b", "b", "", " ", "\t"])
    assert [n.label for n in names] == ["cluster 0", "b", "cluster 2"]
    assert names[0].terms == ("",) and names[0].weights[0] == pytest.approx(2 / 3)
