"""Cluster names that stand for their cluster: on real embeddings of real words, with ties,
terms in nearly every row, siblings, a namer and an encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: E402

from projector_widget import Projector  # noqa: E402
from projector_widget.compute.explain.clusters import cluster_levels  # noqa: E402
from projector_widget.compute.explain.naming import (  # noqa: E402
    NAME_MAX_CHARS,
    NAMER_TEXTS,
    NamerError,
    name_clusters,
)

#: 1,500 of the 10,000 most common English words (wordfreq; two letters or more, no stop word),
#: embedded by the all-MiniLM-L6-v2 sentence model and kept on the 128 leading principal axes
#: of all 10,000 (74% of the variance), int8 per axis: ``benchmarks/names.py fixture`` writes it.
WORDS = Path(__file__).parent / "data" / "words.npz"


def _words() -> tuple[list[str], np.ndarray]:
    data = np.load(WORDS)
    return data["words"].tolist(), data["codes"].astype(np.float32) * data["scale"]


def _centrality(vectors: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each member's percentile of cosine similarity to the members' mean (1: most central)."""
    x = vectors[members] / np.linalg.norm(vectors[members], axis=1, keepdims=True)
    similarity = x @ x.mean(axis=0)
    return (np.argsort(np.argsort(similarity)) + 1) / members.size


def test_real_words_are_named_by_their_most_central_members() -> None:
    # Every word is one row: every c-TF-IDF weight ties, and names came out alphabetical
    # ("abilities, accept, accountability"), their words at the median of their cluster.
    words, vectors = _words()
    assert len(words) == 1500 and vectors.shape == (1500, 128)
    w = Projector(vectors, {"word": words}, dimensions=2)
    table = w.cluster(column="word", min_size=8)
    assert len(table) >= 20
    clusters = np.asarray([-1 if c is None else c for c in w.metadata["cluster"]])
    alphabetical, central = [], []
    for _, row in table.iterrows():
        members = np.flatnonzero(clusters == row["cluster"])
        shown = row["label"].split(", ")
        assert not row["label"].startswith("cluster ")
        if shown == sorted(words[i] for i in members)[: len(shown)]:
            alphabetical.append(row["label"])
        rank = dict(zip((words[i] for i in members), _centrality(vectors, members), strict=True))
        central += [rank[t] for t in shown]
    assert alphabetical == []
    # The name words sit near the middle of their cluster in the embeddings (chance: 0.5).
    assert np.median(central) > 0.9, np.median(central)


def _fruit() -> tuple[np.ndarray, list[str], np.ndarray]:
    """Two clusters of single words; in cluster 0 the alphabetically first words lie on its
    edge and 'kiwi', 'lemon', 'lime' near its centre."""
    words = ["apple", "apricot", "avocado", "kiwi", "lemon", "lime", "plum"]
    words += ["hammer", "drill", "saw", "wrench"]
    rng = np.random.default_rng(0)
    offsets = [3.0, 2.9, 2.8, 0.2, 0.3, 0.4, 1.5]
    directions = rng.standard_normal((7, 8))
    directions[:, 0] = 0
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    fruit = 10 * np.eye(8)[0] + np.asarray(offsets)[:, None] * directions
    tools = 10 * np.eye(8)[1] + rng.standard_normal((4, 8))
    return np.array([0] * 7 + [1] * 4), words, np.vstack([fruit, tools])


def _by_centrality(words: list[str], vectors: np.ndarray, members: np.ndarray) -> list[str]:
    """``members``' words, most central (cosine) first."""
    rank = _centrality(vectors, members)
    return [words[members[k]] for k in np.argsort(-rank)]


def test_ties_are_broken_by_centrality_never_by_sort_order() -> None:
    labels, words, vectors = _fruit()
    fruit, _tools = name_clusters(labels, texts=words, vectors=vectors)
    central = _by_centrality(words, vectors, np.arange(7))
    assert set(central[:3]) == {"kiwi", "lemon", "lime"}
    assert list(fruit.terms) == central[:3]  # the most central first
    assert fruit.label == ", ".join(central[:3])
    weights = np.asarray(fruit.weights)
    assert (np.diff(weights) < 0).all()  # c-TF-IDF tied; closeness tells them apart
    # Without vectors nothing tells seven equal words apart: no three are picked by their order.
    fruit, _tools = name_clusters(labels, texts=words)
    assert fruit.terms == () and fruit.label == "cluster 0"
    # A word that occurs twice beats the tie, which stays out of the name.
    fruit, _tools = name_clusters(labels, texts=[*words[:6], "lemon plum", *words[7:]])
    assert fruit.terms == ("lemon",) and fruit.label == "lemon"


def test_frequency_leads_where_it_discriminates() -> None:
    # 'citrus' in four of the fruit rows, on the cluster's edge: still the name's first term.
    labels, words, vectors = _fruit()
    texts = [f"{w} citrus" if i < 4 else w for i, w in enumerate(words)]
    fruit, _tools = name_clusters(labels, texts=texts, vectors=vectors)
    assert fruit.terms[0] == "citrus"


def test_siblings_are_named_apart() -> None:
    # Two groups of two parts each; every row of a group says only its group's word.
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [0, 6], [40, 0], [40, 6]], float)
    part = np.repeat(np.arange(4), 60)
    layout = centres[part] + 0.5 * rng.standard_normal((part.size, 2))
    texts = ["fruit" if p < 2 else "tools" for p in part]
    levels = cluster_levels(layout, min_size=20, levels=2, factor=4, texts=texts)
    assert sorted(c.label for c in levels[0].clusters) == ["fruit", "tools"]
    fine = levels[1]
    assert len(fine.clusters) == 4
    by_parent: dict[int, list[str]] = {}
    for c in fine.clusters:
        by_parent.setdefault(c.parent, []).append(c.label)
    # Nothing in the text tells the parts apart: a number does ("fruit", "fruit (2)").
    assert sorted(map(sorted, by_parent.values())) == [
        ["fruit", "fruit (2)"],
        ["tools", "tools (2)"],
    ]
    # With words that differ between the parts, the parts are named by them, against their
    # sibling only (the group's word, in both, stays as context).
    texts = [["fruit sweet", "fruit sour", "tools heavy", "tools light"][p] for p in part]
    fine = cluster_levels(layout, min_size=20, levels=2, factor=4, texts=texts)[1]
    labels = {frozenset(c.label.split(", ")) for c in fine.clusters}
    assert labels == {
        frozenset({"sweet", "fruit"}),
        frozenset({"sour", "fruit"}),
        frozenset({"heavy", "tools"}),
        frozenset({"light", "tools"}),
    }


def test_a_part_that_is_its_whole_keeps_its_name() -> None:
    rng = np.random.default_rng(2)
    layout = np.r_[rng.standard_normal((80, 2)), 30 + rng.standard_normal((80, 2))]
    texts = ["north star"] * 80 + ["south pole"] * 80
    coarse, fine = cluster_levels(layout, min_size=20, levels=2, texts=texts)
    assert [c.label for c in fine.clusters] == [c.label for c in coarse.clusters]
    assert [c.parent for c in fine.clusters] == [c.cluster for c in coarse.clusters]


def test_a_namer_names_from_the_top_terms_and_the_most_central_texts() -> None:
    labels, words, vectors = _fruit()
    calls: list[tuple[list[str], list[str]]] = []

    def namer(terms: list[str], texts: list[str]) -> str:
        calls.append((terms, texts))
        return f"  {terms[0].title()}\n things "

    fruit, tools = name_clusters(labels, texts=words, vectors=vectors, namer=namer)
    central = _by_centrality(words, vectors, np.arange(7))
    assert fruit.label == f"{central[0].title()} things" and tools.label.endswith("things")
    assert list(fruit.terms) == central[:3]  # the terms stay what they were
    terms, texts = calls[0]
    assert terms == central[:3]
    assert texts == central[:NAMER_TEXTS]  # the most central texts, most central first


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, "returned NoneType for cluster 0 .* must return the name as a str"),
        ("   ", "empty name for cluster 0"),
        ("x" * (NAME_MAX_CHARS + 1), f"{NAME_MAX_CHARS + 1} characters for cluster 0"),
    ],
)
def test_a_namer_that_returns_no_name_is_refused(returned: object, message: str) -> None:
    labels, words, vectors = _fruit()
    with pytest.raises(NamerError, match=message):
        name_clusters(labels, texts=words, vectors=vectors, namer=lambda t, x: returned)  # type: ignore[arg-type,return-value]


def test_a_failing_namer_names_the_cluster() -> None:
    labels, words, vectors = _fruit()

    def namer(terms: list[str], texts: list[str]) -> str:
        if "hammer" in texts:
            raise RuntimeError("rate limited")
        return "fruit"

    with pytest.raises(
        NamerError, match=r"failed on cluster 1 .*RuntimeError: rate limited"
    ) as err:
        name_clusters(labels, texts=words, vectors=vectors, namer=namer)
    assert isinstance(err.value.__cause__, RuntimeError)


def test_w_cluster_takes_a_namer() -> None:
    words, vectors = _words()
    w = Projector(vectors[:400], {"word": words[:400]}, dimensions=2)
    seen: list[list[str]] = []

    def namer(terms: list[str], texts: list[str]) -> str:
        seen.append(texts)
        return f"about {terms[0]}"

    table = w.cluster(column="word", namer=namer)
    assert all(label.startswith("about ") for label in table["label"])
    shown = [c["label"] for level in w._clusters["levels"] for c in level["clusters"]]
    assert all(label.startswith("about ") for label in shown)
    assert seen and all(0 < len(texts) <= NAMER_TEXTS for texts in seen)
    with pytest.raises(TypeError, match="namer must be a function"):
        w.cluster(column="word", namer="gpt")  # type: ignore[arg-type]


def test_w_cluster_embeds_the_candidate_terms_with_the_widgets_encoder() -> None:
    words, vectors = _words()
    own = dict(zip(words, vectors, strict=True))
    calls: list[list[str]] = []

    def encoder(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.stack([own[t] for t in texts])

    w = Projector(vectors[:400], {"word": words[:400]}, dimensions=2, encoder=encoder)
    table = w.cluster(column="word")
    assert 1 <= len(calls) <= 3  # one batch per level (none where every part is its whole)
    assert set().union(*calls) <= set(words[:400])
    assert all(set(terms) <= set().union(*calls) for terms in table["terms"])


def test_an_encoder_ranks_terms_by_their_own_vectors() -> None:
    # The rows' centrality says 'kiwi, lemon, lime'; the encoder puts 'plum' and 'apple' at
    # the centre.
    labels, words, vectors = _fruit()
    own = {w: vectors[i] for i, w in enumerate(words)}
    centre = vectors[:7].mean(axis=0)
    own["plum"], own["apple"] = centre, centre + 0.05

    def encoder(texts: list[str]) -> np.ndarray:
        return np.stack([own[t] for t in texts])

    fruit, _tools = name_clusters(labels, texts=words, vectors=vectors, encoder=encoder)
    assert fruit.terms[:2] == ("plum", "apple")
    with pytest.raises(ValueError, match=r"encoder returned shape \(\d+, 3\) .*\(8 dimensions\)"):
        name_clusters(labels, texts=words, vectors=vectors, encoder=lambda t: np.ones((len(t), 3)))
    with pytest.raises(ValueError, match="needs the rows' vectors"):
        name_clusters(labels, texts=words, encoder=encoder)


def test_the_fixture_is_real_words() -> None:
    words, vectors = _words()
    assert all(w.isalpha() and w not in ENGLISH_STOP_WORDS for w in words)
    assert {"time", "life", "world"} <= set(words)
    assert np.isfinite(vectors).all()
