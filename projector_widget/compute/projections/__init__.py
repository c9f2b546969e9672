"""Projection methods: one module each, each ending with its :class:`~.base.Method`.

``METHODS`` maps every method's name to its declaration; it is the only list of methods (the
browser receives it through ``protocol.spec``).
"""

from __future__ import annotations

from typing import Any

from projector_widget.compute.projections import custom, pca, tsne, umap
from projector_widget.compute.projections.base import Hooks, Inputs, Layout, Method
from projector_widget.compute.projections.pca import PCAResult

METHODS: dict[str, Method] = {m.METHOD.name: m.METHOD for m in (pca, tsne, umap, custom)}


def get(name: object) -> Method:
    """The method called ``name``; ValueError listing the methods otherwise."""
    method = METHODS.get(name) if isinstance(name, str) else None
    if method is None:
        raise ValueError(f"projection must be one of {list(METHODS)}, got {name!r}")
    return method


def with_aliases(method: str, params: dict[str, Any], aliases: dict[str, Any]) -> dict[str, Any]:
    """``params`` of ``method`` with the ecosystem's names in ``aliases`` (scikit-learn's
    ``random_state``, ...) taking the place of ours; TypeError for a name it does not know."""
    spec = get(method)
    unknown = sorted(set(aliases) - set(spec.aliases))
    if unknown:
        raise TypeError(
            f"{method}() got unexpected parameter(s) {unknown}; it takes {sorted(params)} "
            f"(or {sorted(spec.aliases)})"
        )
    out = dict(params)
    for alias in aliases:
        out.pop(spec.aliases[alias], None)
    return {**out, **aliases}


__all__ = ["METHODS", "Hooks", "Inputs", "Layout", "Method", "PCAResult", "get", "with_aliases"]
