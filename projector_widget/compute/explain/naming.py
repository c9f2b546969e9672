"""Names of clusters: keywords from a text column, or the most common value of a category.

:func:`name_clusters` names each cluster of a clustering (from :mod:`.clusters`, or any labels)
from one column of the rows:

* text: class-based TF-IDF (c-TF-IDF). The words of a cluster's rows are one document, and a
  word scores ``tf(t, c) * log(1 + A / f(t))``: its share of cluster c's words, weighed
  against how often it occurs over all clusters (``f(t)``; ``A`` is the average number of words
  per cluster), so words frequent in the cluster and rare elsewhere win. Stop words are
  scikit-learn's English list without number words (:data:`NUMBER_WORDS`), which name things in
  data.
* categories: the most common value (ties: the value seen first) and its share of the cluster's
  rows.

A cluster's label is its terms that score at least :data:`LABEL_SHARE` of the best one's, so a
word every cluster uses is left out of the name; :func:`cluster_table` lists the names as a
DataFrame. Everything takes plain arrays and returns plain values; noise is cluster -1 and is not
named.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import (
    Labels,
    check_labels,
    int_at_least,
    optional_import,
)

#: Number words, removed from scikit-learn's English stop words: they name things in data
#: (digits, counts, ranks), so a cluster of "seven"s should be called that.
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion first second third fourth fifth sixth".split()
)

#: A keyword is part of a cluster's name when it scores at least this share of the best one's.
LABEL_SHARE = 0.25


@dataclass(frozen=True)
class ClusterName:
    """What a cluster is called and why.

    ``terms`` are the top keywords (text) or the most common value (categories); ``weights``
    their class-based TF-IDF scores, or the value's share of the cluster's rows. ``label`` is
    the text to show: the terms that score at least :data:`LABEL_SHARE` of the first's, joined by
    ", " (a word every cluster uses scores low and is left out of the name), or ``"cluster N"``
    when nothing names it (no term, or only blank ones: an empty category value).
    """

    cluster: int
    size: int
    label: str
    terms: tuple[str, ...]
    weights: tuple[float, ...]


def name_clusters(
    labels: npt.ArrayLike,
    texts: Sequence[Any] | npt.ArrayLike | None = None,
    categories: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    top: int = 3,
    stop_words: Literal["english"] | Sequence[str] | None = "english",
) -> list[ClusterName]:
    """Name each cluster in ``labels`` (N,) (-1: noise, not named), in cluster order.

    With ``texts`` (N strings; None or NaN for none): the ``top`` words with the highest
    class-based TF-IDF, ``tf(t, c) * log(1 + A / f(t))``, where ``tf`` is the share of cluster
    c's words that are t, ``f(t)`` how often t occurs over all clusters and ``A`` the average
    number of words per cluster: words frequent in the cluster and rare elsewhere. Stop words
    are scikit-learn's English list without number words (:data:`NUMBER_WORDS`), or the given
    list, or none. With ``categories`` (N values): the most common value and its share of the
    cluster's rows (missing values count against it). Pass one of the two, or neither (then the
    clusters are called "cluster 0", ...).
    """
    lab = check_labels(labels)
    top = int_at_least("top", top, 1)
    if texts is not None and categories is not None:
        raise ValueError("pass texts or categories, not both")
    ids, sizes = np.unique(lab[lab >= 0], return_counts=True)
    if texts is not None:
        named = _keywords(lab, _column(texts, lab.size, "texts"), ids, top, stop_words)
    elif categories is not None:
        named = _majorities(lab, _column(categories, lab.size, "categories"), ids)
    else:
        named = {}
    out = []
    for c, size in zip(ids.tolist(), sizes.tolist(), strict=True):
        terms, weights = named.get(c, ([], []))
        least = LABEL_SHARE * max(weights, default=0.0)
        # A blank term ('' as a category's most common value) shows nothing: it names nothing.
        shown = [t for t, w in zip(terms, weights, strict=True) if w >= least and t.strip()]
        label = ", ".join(shown) if shown else f"cluster {c}"
        out.append(ClusterName(int(c), int(size), label, tuple(terms), tuple(weights)))
    return out


def cluster_table(
    names: Sequence[ClusterName], positions: dict[int, tuple[float, ...]] | None = None
) -> Any:
    """A pandas DataFrame of ``names`` (from :func:`name_clusters`): one row per cluster with
    ``cluster``, ``label``, ``size``, ``terms`` and ``weights``, and the label ``position``
    when ``positions`` (from
    :func:`~projector_widget.compute.explain.clusters.cluster_positions`) are given.
    ImportError without pandas.
    """
    pd = optional_import("pandas", "The cluster table needs pandas")
    table = pd.DataFrame(
        {
            "cluster": [n.cluster for n in names],
            "label": [n.label for n in names],
            "size": [n.size for n in names],
            "terms": [list(n.terms) for n in names],
            "weights": [list(n.weights) for n in names],
        }
    )
    if positions is not None:
        table["position"] = [positions.get(n.cluster) for n in names]
    return table


# --- helpers ---------------------------------------------------------------------------------


def _column(values: object, n: int, name: str) -> list[Any]:
    """The values of a column (a list, array or pandas Series) as a list, checked for length."""
    tolist = getattr(values, "tolist", None)
    if callable(tolist):
        vals = list(tolist())
    elif isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{name} must be a sequence with one value per point, got {type(values).__name__}"
        )
    else:
        vals = list(values)
    if len(vals) != n:
        raise ValueError(f"{name} has {len(vals)} entries but labels has {n}; one per point")
    return vals


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ == "NAType"


def _stop_words(stop_words: Literal["english"] | Sequence[str] | None) -> list[str] | None:
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


def _keywords(
    lab: Labels,
    texts: list[Any],
    ids: npt.NDArray[np.int32],
    top: int,
    stop_words: Literal["english"] | Sequence[str] | None,
) -> dict[int, tuple[list[str], list[float]]]:
    """Class-based TF-IDF keywords of each cluster in ``ids``."""
    if ids.size == 0:
        return {}
    text = optional_import(
        "sklearn.feature_extraction.text", "Naming clusters from text needs scikit-learn"
    )
    CountVectorizer = text.CountVectorizer
    sparse = optional_import(
        "scipy.sparse", "Naming clusters needs scipy (installed with scikit-learn)"
    )
    rows = np.flatnonzero(lab >= 0)
    docs = ["" if _is_missing(texts[i]) else str(texts[i]) for i in rows.tolist()]
    vectorizer = CountVectorizer(stop_words=_stop_words(stop_words))
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # no words at all (every text empty or a stop word)
        return {}
    vocab = vectorizer.get_feature_names_out()
    # Cluster x word counts: a 0/1 matrix of clusters x rows times rows x word counts.
    position = np.searchsorted(ids, lab[rows])
    member = sparse.csr_matrix(
        (np.ones(rows.size), (position, np.arange(rows.size))), shape=(ids.size, rows.size)
    )
    per_class = np.asarray((member @ counts).todense(), dtype=np.float64)
    words = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, words, out=np.zeros_like(per_class), where=words > 0)
    total = per_class.sum(axis=0)
    average = per_class.sum() / ids.size
    idf = np.log1p(average / np.maximum(total, 1.0))
    score = tf * idf
    out: dict[int, tuple[list[str], list[float]]] = {}
    for i, c in enumerate(ids.tolist()):
        s = score[i]
        order = np.lexsort((vocab, -s))[:top]
        order = order[s[order] > 0]
        out[int(c)] = ([str(vocab[j]) for j in order], [float(s[j]) for j in order])
    return out


def _majorities(
    lab: Labels, values: list[Any], ids: npt.NDArray[np.int32]
) -> dict[int, tuple[list[str], list[float]]]:
    """The most common value of each cluster (ties: the value seen first) and its share."""
    tallies: dict[int, Counter[Any]] = {int(c): Counter() for c in ids.tolist()}
    sizes: Counter[int] = Counter()
    for c, v in zip(lab.tolist(), values, strict=True):
        if c < 0:
            continue
        sizes[c] += 1
        if not _is_missing(v):
            tallies[c][v] += 1
    out: dict[int, tuple[list[str], list[float]]] = {}
    for c, tally in tallies.items():
        if tally:
            value, count = tally.most_common(1)[0]
            out[c] = ([str(value)], [count / sizes[c]])
    return out
