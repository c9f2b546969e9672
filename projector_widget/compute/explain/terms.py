"""The terms of a text column that stand for each cluster: frequency contrast and centrality.

:func:`rank_terms` scores every term of a cluster's rows by the product of

* its class-based TF-IDF (c-TF-IDF): the words of a cluster's rows are one document, and a word
  scores ``tf(t, c) * log(1 + A / f(t))``, its share of cluster c's words weighed against how
  often it occurs over the clusters it is set against (``f(t)``; ``A`` is their average number
  of words): frequent in the cluster and rare elsewhere. A cluster is set against the other
  clusters of its group (its siblings: the other parts of its parent), or all clusters when it
  is alone in its group;
* with a :class:`~.central.Centrality` (the rows' embeddings), the mean closeness to the
  cluster's centroid of the rows that carry the term, or of the term's own vector from an
  encoder.

Where frequency discriminates, c-TF-IDF dominates (it varies by orders of magnitude); where it
does not (single words or short phrases: every term once, every c-TF-IDF equal), the terms of
the cluster's most central rows win. No tie is broken by the vocabulary's order: equal scores
keep the order of their first rows, and a group of equal scores that the cut at ``top`` would
split is left out whole. A term in more than :data:`MAX_ROW_SHARE` of the rows is never a name.
Stop words are scikit-learn's English list without number words (:data:`NUMBER_WORDS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.central import Centrality, Encoder, cluster_rows, encode
from projector_widget.compute.explain.checks import Labels, optional_import

#: Number words, removed from scikit-learn's English stop words: they name things in data
#: (digits, counts, ranks), so a cluster of "seven"s should be called that.
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion first second third fourth fifth sixth".split()
)
#: A term in more than this share of the rows with text is never a name. A term in a share p of
#: the rows can be at most 1/p times as common in a cluster as in the data: above 2/3, not even
#: 1.5 times, so it cannot set a cluster apart ("handwritten" in every "handwritten seven, heavy
#: ink"; its absence can, and the other rows' own terms name that). Below, a term can still mark
#: one side of a split: "heavy" and "light", each in half of the rows, both stay.
MAX_ROW_SHARE = 2 / 3
#: Terms an encoder embeds per cluster (the best by c-TF-IDF and the rows' centrality).
ENCODED_TERMS = 20
#: Terms scored at a time while looking for the best (the scores are exact; this bounds work).
CHUNK_TERMS = 512
StopWords = Literal["english"] | Sequence[str] | None
#: Candidate terms of a cluster (vocabulary indices) and their scores.
Candidates = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


@dataclass
class Ranked:
    """A cluster's terms, best first, with their scores; whether each is at least as common
    in the cluster's rows as in those it is set against (``typical``: it may join the label);
    and the next terms that several of its rows carry (``more``: to tell siblings apart)."""

    terms: list[str]
    weights: list[float]
    more: list[str] = field(default_factory=list)
    typical: list[bool] = field(default_factory=list)


def is_missing(v: object) -> bool:
    """Whether a cell holds no value (None, NaN, pandas' NA)."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ == "NAType"


@dataclass
class _Vocabulary:
    """The terms of the rows, counted once: ``present`` (rows x terms, 0/1), each cluster's
    c-TF-IDF (``scores``: clusters x terms) and share of rows carrying each term, next to the
    share among the rows of the clusters it is set against."""

    terms: npt.NDArray[np.str_]
    present: Any
    scores: npt.NDArray[np.float64]
    share: npt.NDArray[np.float64]
    group_share: npt.NDArray[np.float64]


def rank_terms(
    lab: Labels,
    texts: list[Any],
    ids: npt.NDArray[np.int32],
    *,
    top: int,
    stop_words: StopWords,
    groups: list[int],
    space: Centrality | None,
    encoder: Encoder | None,
    skip: frozenset[int] = frozenset(),
) -> dict[int, Ranked]:
    """The ``top`` terms that best stand for each cluster in ``ids`` but those in ``skip``
    (module docstring); ``groups`` holds each cluster's group (the clusters it is set
    against)."""
    vocabulary = _count(lab, texts, ids, stop_words, groups)
    if vocabulary is None:
        return {}
    members = cluster_rows(lab) if space is None else space.members
    wanted = top + 3 if encoder is None else max(top + 3, ENCODED_TERMS)
    carriers: dict[int, Any] = {}
    candidates: dict[int, Candidates] = {}
    for i, c in enumerate(ids.tolist()):
        if c in skip:
            continue
        carriers[c] = vocabulary.present[members[c]]  # the rows of Centrality.cluster(c)
        closeness = None
        if space is not None:
            cluster, carry = space.cluster(c), carriers[c]
            closeness = lambda js, k=cluster, b=carry: k.of_carriers(b[:, js])  # noqa: E731
        candidates[c] = _best(vocabulary.scores[i], closeness, wanted)
    if encoder is not None and space is not None:
        frequency = {c: vocabulary.scores[i] for i, c in enumerate(ids.tolist())}
        candidates = _encoded(candidates, frequency, vocabulary.terms, space, encoder)
    return {
        c: _ranked(candidates[c], carriers[c], vocabulary, i, top)
        for i, c in enumerate(ids.tolist())
        if c in candidates
    }


def _count(
    lab: Labels,
    texts: list[Any],
    ids: npt.NDArray[np.int32],
    stop_words: StopWords,
    groups: list[int],
) -> _Vocabulary | None:
    """The rows' terms counted, and each cluster's c-TF-IDF against its group; None when there
    are no clusters or no words."""
    if ids.size == 0:
        return None
    text = optional_import(
        "sklearn.feature_extraction.text", "Naming clusters from text needs scikit-learn"
    )
    CountVectorizer = text.CountVectorizer
    sparse = optional_import(
        "scipy.sparse", "Naming clusters needs scipy (installed with scikit-learn)"
    )
    docs = ["" if is_missing(t) else str(t) for t in texts]
    vectorizer = CountVectorizer(stop_words=_stop_words(stop_words))
    try:
        counts = vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no words at all (every text empty or a stop word)
        return None
    present = (counts > 0).astype(np.float64).tocsr()
    # Every row with text counts towards a term's share of rows (noise too).
    written = sum(1 for d in docs if d)
    common = np.asarray(present.sum(axis=0)).ravel() > MAX_ROW_SHARE * written
    rows = np.flatnonzero(lab >= 0)
    # Cluster x word counts: a 0/1 matrix of clusters x rows times rows x word counts.
    member = sparse.csr_matrix(
        (np.ones(rows.size), (np.searchsorted(ids, lab[rows]), rows)), shape=(ids.size, lab.size)
    )
    per_class = np.asarray((member @ counts).todense(), dtype=np.float64)
    per_class[:, common] = 0.0
    rows_with = np.asarray((member @ present).todense(), dtype=np.float64)
    sizes = np.asarray(member.sum(axis=1), dtype=np.float64)
    group_share = np.empty_like(rows_with)
    for among, mine in _groups(groups, ids.size):
        group_share[mine] = rows_with[among].sum(axis=0) / sizes[among].sum()
    return _Vocabulary(
        vectorizer.get_feature_names_out(),
        present,
        _contrast(per_class, groups),
        rows_with / sizes,
        group_share,
    )


def _stop_words(stop_words: StopWords) -> list[str] | None:
    if stop_words is None:
        return None
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ValueError(
                f"stop_words must be 'english', a list of words or None, got {stop_words!r}"
            )
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return sorted(set(ENGLISH_STOP_WORDS) - NUMBER_WORDS)
    return [str(w) for w in stop_words]


def _groups(groups: list[int], n: int) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """For each group of clusters (positions 0..n-1): the clusters it is set against (its own,
    or all ``n`` when it has one cluster) and its own."""
    keys, which = np.unique(np.asarray(groups, dtype=np.int64), return_inverse=True)
    out = []
    for k in range(keys.size):
        mine = np.flatnonzero(which == k).astype(np.int64)
        out.append((mine if mine.size > 1 else np.arange(n, dtype=np.int64), mine))
    return out


def _contrast(per_class: npt.NDArray[np.float64], groups: list[int]) -> npt.NDArray[np.float64]:
    """c-TF-IDF of each cluster's words (rows of ``per_class``) against its group's."""
    words = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, words, out=np.zeros_like(per_class), where=words > 0)
    out = np.zeros_like(per_class)
    for among, mine in _groups(groups, per_class.shape[0]):
        total = per_class[among].sum(axis=0)
        average = per_class[among].sum() / among.size
        out[mine] = tf[mine] * np.log1p(average / np.maximum(total, 1.0))
    return out


def _best(
    s: npt.NDArray[np.float64],
    closeness: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float64]] | None,
    wanted: int,
) -> Candidates:
    """The terms with the ``wanted`` highest scores ``s * closeness`` (and every term tied
    with the last of them), and their scores. Closeness is at most 1, so a term whose ``s`` is
    below the ``wanted``-th best score so far cannot enter: terms are scored best ``s`` first
    until that happens (all of them when every ``s`` is equal)."""
    order = np.argsort(-s, kind="stable")
    order = order[s[order] > 0].astype(np.int64)
    if closeness is None:
        return _top(order, s[order], wanted)
    parts: list[npt.NDArray[np.float64]] = []
    bound, done = -np.inf, 0
    while done < order.size and s[order[done]] >= bound:
        chunk = order[done : done + CHUNK_TERMS]
        parts.append(s[chunk] * closeness(chunk))
        done += chunk.size
        so_far = np.concatenate(parts)
        if so_far.size >= wanted:
            bound = float(np.partition(so_far, so_far.size - wanted)[so_far.size - wanted])
    return _top(order[:done], np.concatenate(parts) if parts else np.zeros(0), wanted)


def _top(js: npt.NDArray[np.int64], s: npt.NDArray[np.float64], wanted: int) -> Candidates:
    """The ``wanted`` best of ``js`` by ``s``, and every one tied with the last of them."""
    if js.size <= wanted:
        return js, s
    kept = s >= np.partition(s, s.size - wanted)[s.size - wanted]
    return js[kept], s[kept]


def _encoded(
    candidates: dict[int, Candidates],
    frequency: dict[int, npt.NDArray[np.float64]],
    terms: npt.NDArray[np.str_],
    space: Centrality,
    encoder: Encoder,
) -> dict[int, Candidates]:
    """Each cluster's candidates scored again: c-TF-IDF (``frequency``) times the closeness of
    the terms' own vectors (``encoder``: one call for every candidate of every cluster)."""
    every = sorted({int(j) for js, _ in candidates.values() for j in js.tolist()})
    if not every:
        return candidates
    where = {j: k for k, j in enumerate(every)}
    vectors = encode(encoder, [str(terms[j]) for j in every], space.dims)
    out = {}
    for c, (js, _) in candidates.items():
        near = space.cluster(c).of_vectors(vectors[[where[j] for j in js.tolist()]])
        out[c] = (js, frequency[c][js] * near)
    return out


def _ranked(
    candidates: Candidates, carriers: Any, vocabulary: _Vocabulary, i: int, top: int
) -> Ranked:
    """Cluster ``i``'s candidates in order, cut at ``top`` without splitting a tie."""
    js, s = candidates
    # Equal scores in the order of their first rows (never the vocabulary's order).
    order = np.lexsort((_first_rows(carriers, js), -s))
    js, s = js[order], s[order]
    cut = _cut(s, top)
    # Siblings with one label are told apart by a term several of their rows share.
    shared = np.asarray(carriers[:, js].sum(axis=0)).ravel() >= 2
    more = [str(vocabulary.terms[js[k]]) for k in range(cut, js.size) if _alone(s, k) and shared[k]]
    kept = js[:cut]
    return Ranked(
        [str(vocabulary.terms[j]) for j in kept],
        [float(v) for v in s[:cut]],
        more,
        (vocabulary.share[i, kept] >= vocabulary.group_share[i, kept]).tolist(),
    )


def _first_rows(carriers: Any, js: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The first row (of the cluster's) that carries each term of ``js``."""
    cols = carriers[:, js].tocsc()
    cols.sort_indices()
    first = np.full(js.size, np.iinfo(np.int64).max, np.int64)
    filled = np.diff(cols.indptr) > 0
    first[filled] = cols.indices[cols.indptr[:-1][filled]]
    return first


def _cut(s: npt.NDArray[np.float64], top: int) -> int:
    """How many of the scores ``s`` (best first) name: ``top``, less the group of equal scores
    the cut would split (no tie is broken by order)."""
    if s.size <= top or s[top - 1] != s[top]:
        return min(top, s.size)
    return int(np.searchsorted(-s, -s[top - 1], side="left"))


def _alone(s: npt.NDArray[np.float64], k: int) -> bool:
    """Whether score ``k`` of ``s`` (best first) equals neither neighbour."""
    return (k == 0 or s[k - 1] != s[k]) and (k + 1 >= s.size or s[k + 1] != s[k])
