"""Names of clusters: the terms of a text column that stand for a cluster, or the most common
value of a category.

:func:`name_clusters` names each cluster of a clustering (from :mod:`.clusters`, or any labels)
from one column of the rows:

* text: the terms that best stand for the cluster (:mod:`.terms`): class-based TF-IDF
  (frequent in the cluster, rare in the clusters it is set against), times, with the rows'
  embeddings, how central the rows carrying the term are (:mod:`.central`), so that where every
  term occurs once (single words, short phrases) the cluster's most central rows name it, never
  the alphabetically first. A term in more than :data:`~.terms.MAX_ROW_SHARE` of the rows never
  names a cluster. With ``groups`` (each cluster's parent), a cluster is set against its
  siblings only, so the names of the parts of one cluster say what tells them apart.
* categories: the most common value (ties: the value seen first) and its share of the cluster's
  rows.

A cluster's label is its terms that score at least :data:`LABEL_SHARE` of the best one's and
are at least as common in its rows as in those it is set against, or what ``namer`` (for
example a language model) makes of its terms and its most central texts. With groups, labels
are distinct within each: a repeated one takes the cluster's next term that several of its rows
carry, or a number. :func:`cluster_table` lists the names as a DataFrame. Everything takes
plain arrays and returns plain values; noise is cluster -1 and is not named.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.central import Centrality, Encoder, cluster_rows
from projector_widget.compute.explain.checks import (
    Labels,
    check_labels,
    int_at_least,
    optional_import,
)
from projector_widget.compute.explain.terms import (
    MAX_ROW_SHARE,
    NUMBER_WORDS,
    Ranked,
    StopWords,
    is_missing,
    rank_terms,
)

#: A keyword is part of a cluster's name when it scores at least this share of the best one's.
LABEL_SHARE = 0.25
#: How many of a cluster's most central texts a namer reads.
NAMER_TEXTS = 5
#: The longest name a namer may return.
NAME_MAX_CHARS = 80
#: ``namer(terms, texts)``: a cluster's name from its top terms and its most central texts.
Namer = Callable[[list[str], list[str]], str]

__all__ = [
    "LABEL_SHARE",
    "MAX_ROW_SHARE",
    "NAMER_TEXTS",
    "NAME_MAX_CHARS",
    "NUMBER_WORDS",
    "ClusterName",
    "Namer",
    "NamerError",
    "cluster_table",
    "name_clusters",
]


class NamerError(ValueError):
    """A namer failed on a cluster, or returned something that is not a name."""


@dataclass(frozen=True)
class ClusterName:
    """What a cluster is called and why.

    ``terms`` are the top keywords (text) or the most common value (categories); ``weights``
    their scores (class-based TF-IDF, times the terms' centrality when the rows' vectors were
    given), or the value's share of the cluster's rows. ``label`` is the text to show: the terms
    that score at least :data:`LABEL_SHARE` of the first's, joined by ", " (a word every cluster
    uses scores low and is left out of the name), or the namer's name; a sibling's repeated
    label takes one more term or a number; ``"cluster N"`` when nothing names it (no term, or
    only blank ones: an empty category value).
    """

    cluster: int
    size: int
    label: str
    terms: tuple[str, ...]
    weights: tuple[float, ...]


_NOTHING = Ranked([], [])


def name_clusters(
    labels: npt.ArrayLike,
    texts: Sequence[Any] | npt.ArrayLike | None = None,
    categories: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    top: int = 3,
    stop_words: StopWords = "english",
    vectors: npt.ArrayLike | None = None,
    metric: str = "cosine",
    groups: Mapping[int, int] | None = None,
    namer: Namer | None = None,
    encoder: Encoder | None = None,
    known: Mapping[int, ClusterName] | None = None,
) -> list[ClusterName]:
    """Name each cluster in ``labels`` (N,) (-1: noise, not named), in cluster order.

    With ``texts`` (N strings; None or NaN for none): the ``top`` terms that best stand for the
    cluster (:mod:`.terms`): c-TF-IDF, times the closeness to the cluster's centroid in
    ``vectors`` (N, D) (the rows' embeddings; ``metric`` "cosine" or "euclidean",
    :mod:`.central`) of the rows carrying each term when given, or of
    the term's vector from ``encoder`` (texts -> (n, D) vectors in the space of ``vectors``)
    when given too. Without ``vectors`` only c-TF-IDF ranks them, and a tie the cut at ``top``
    would split is left out. A term in more than :data:`MAX_ROW_SHARE` of the rows never names a cluster. Stop
    words are scikit-learn's English list without number words (:data:`NUMBER_WORDS`), or the
    given list, or none. With ``categories`` (N values): the most common value and its share of
    the cluster's rows (missing values count against it). Pass one of the two, or neither
    (then the clusters are called "cluster 0", ...).

    ``groups`` maps clusters to a group (their parent cluster): clusters of one group are
    contrasted with each other only, and their labels are made distinct. ``namer(terms, texts)``
    names each cluster from its top terms and its :data:`NAMER_TEXTS` most central texts
    (NamerError when it raises or returns something other than a non-empty str of at most
    :data:`NAME_MAX_CHARS` characters). ``known`` names clusters outright (not ranked, not
    passed to ``namer``).
    """
    lab = check_labels(labels)
    top = int_at_least("top", top, 1)
    if texts is not None and categories is not None:
        raise ValueError("pass texts or categories, not both")
    if encoder is not None and vectors is None:
        raise ValueError(
            "an encoder needs the rows' vectors (the embeddings it made) to compare with"
        )
    ids, sizes = np.unique(lab[lab >= 0], return_counts=True)
    space = None if vectors is None else Centrality(vectors, lab, metric)
    group_of = {c: (groups or {}).get(c, -1) for c in ids.tolist()}
    given = dict(known or {})
    values: list[Any] = []
    ranked: dict[int, Ranked] = {}
    if texts is not None:
        values = _column(texts, lab.size, "texts")
        ranked = rank_terms(
            lab,
            values,
            ids,
            top=top,
            stop_words=stop_words,
            groups=[group_of[c] for c in ids.tolist()],
            space=space,
            encoder=encoder,
            skip=frozenset(given),
        )
    elif categories is not None:
        values = _column(categories, lab.size, "categories")
        ranked = _majorities(lab, values, ids)
    out = []
    for c, size in zip(ids.tolist(), sizes.tolist(), strict=True):
        if c in given:
            out.append(replace(given[c], cluster=int(c), size=int(size)))
            continue
        r = ranked.get(c, _NOTHING)
        least = LABEL_SHARE * max(r.weights, default=0.0)
        typical = r.typical or [True] * len(r.terms)
        # A blank term ('' as a category's most common value) shows nothing: it names nothing.
        shown = [
            t
            for k, (t, w) in enumerate(zip(r.terms, r.weights, strict=True))
            if w >= least and (k == 0 or typical[k]) and t.strip()
        ]
        label = ", ".join(shown) if shown else f"cluster {c}"
        if namer is not None:
            label = _ask(namer, int(c), r.terms, _central_texts(values, lab, int(c), space))
        out.append(ClusterName(int(c), int(size), label, tuple(r.terms), tuple(r.weights)))
    return out if groups is None else _distinct(out, group_of, ranked, set(given))


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


def _central_texts(values: list[Any], lab: Labels, c: int, space: Centrality | None) -> list[str]:
    """Up to :data:`NAMER_TEXTS` distinct texts of cluster ``c``: its most central rows' (in
    ``space``), else its first rows'."""
    rows = cluster_rows(lab)[c] if space is None else space.cluster(c).central_rows(lab.size)
    out: list[str] = []
    for i in rows.tolist():
        if len(out) == NAMER_TEXTS:
            break
        v = values[i] if values else None
        text = "" if v is None or is_missing(v) else str(v).strip()
        if text and text not in out:
            out.append(text)
    return out


def _ask(namer: Namer, c: int, terms: list[str], texts: list[str]) -> str:
    """``namer``'s name for cluster ``c``, checked (NamerError otherwise)."""
    try:
        name = namer(list(terms), list(texts))
    except Exception as err:
        raise NamerError(
            f"the namer failed on cluster {c} (terms {terms}): {type(err).__name__}: {err}"
        ) from err
    if not isinstance(name, str):
        raise NamerError(
            f"the namer returned {type(name).__name__} for cluster {c} (terms {terms}); "
            "it must return the name as a str"
        )
    name = " ".join(name.split())
    if not name:
        raise NamerError(f"the namer returned an empty name for cluster {c} (terms {terms})")
    if len(name) > NAME_MAX_CHARS:
        raise NamerError(
            f"the namer returned a name of {len(name)} characters for cluster {c} "
            f"({name[:40]!r}...); names are at most {NAME_MAX_CHARS}"
        )
    return name


def _distinct(
    names: list[ClusterName], group_of: dict[int, int], ranked: dict[int, Ranked], fixed: set[int]
) -> list[ClusterName]:
    """``names`` with the labels of each group made distinct: a repeated label takes the
    cluster's next term when that tells them apart, else a number (the largest keeps it)."""
    out = list(names)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(out):
        if n.cluster not in fixed:
            groups[group_of.get(n.cluster, -1)].append(i)
    for members in groups.values():
        for label, count in Counter(out[i].label for i in members).items():
            if count < 2:
                continue
            same = [i for i in members if out[i].label == label]
            words = set(label.split(", "))
            longer = []
            for i in same:
                more = ranked.get(out[i].cluster, _NOTHING).more
                extra = next((t for t in more if t not in words), None)
                longer.append(f"{label}, {extra}" if extra else label)
            others = {out[i].label for i in members} - {label}
            if len(set(longer)) < len(longer) or others & set(longer):
                longer = [label] + [f"{label} ({k})" for k in range(2, len(same) + 1)]
            for i, new in zip(same, longer, strict=True):
                out[i] = replace(out[i], label=new)
    return out


def _majorities(lab: Labels, values: list[Any], ids: npt.NDArray[np.int32]) -> dict[int, Ranked]:
    """The most common value of each cluster (ties: the value seen first) and its share."""
    tallies: dict[int, Counter[Any]] = {int(c): Counter() for c in ids.tolist()}
    sizes: Counter[int] = Counter()
    for c, v in zip(lab.tolist(), values, strict=True):
        if c < 0:
            continue
        sizes[c] += 1
        if not is_missing(v):
            tallies[c][v] += 1
    out: dict[int, Ranked] = {}
    for c, tally in tallies.items():
        if tally:
            value, count = tally.most_common(1)[0]
            out[c] = Ranked([str(value)], [count / sizes[c]])
    return out
