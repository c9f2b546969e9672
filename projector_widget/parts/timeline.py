"""The steps of a sequence widget: validated embeddings per step, their aligned layouts, drift.

:func:`build_timeline` validates every step with the same rules as the constructor (errors name
the step), lays each step out by its own PCA (three components) and aligns the layouts with
:func:`projector_widget.compute.alignment.align_layouts` (each onto the previous), so that what moves
between steps is movement of the rows, not of the axes.

Why a PCA per step and not one shared basis, even when the steps have the same dimensions:
a shared basis assumes that coordinate ``j`` means the same thing at every step, and training
does not promise it (rotating a hidden layer's weights and undoing the rotation downstream
computes the same function; two models' axes are unrelated). Projecting every step onto one
basis would show that arbitrary rotation as movement. Each step's own PCA keeps its main
structure whatever its axes, and Procrustes removes exactly the rotation, mirror image, scale
and shift between two layouts; what remains is real.

It never imports the widget: the widget keeps a :class:`Timeline` and reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget import backends
from projector_widget.compute.alignment import Transform, align_transforms, check_neighbour_count
from projector_widget.compute.alignment import drift as row_drift
from projector_widget.compute.backend import MemoryBackend
from projector_widget.compute.projections.pca import COMPONENTS, PCAResult, pca, pca_coords
from projector_widget.data.inputs import Matrix, as_matrix

#: Dimensions of every step's layout (2-D views show the first two).
LAYOUT_DIMS = 3


@dataclass
class Timeline:
    """The steps of a sequence: names, validated matrices, their PCA and aligned (N, 3) layouts."""

    names: list[str]
    matrices: list[Matrix]
    pcas: list[PCAResult]
    layouts: list[npt.NDArray[np.float32]]
    #: Per step, the Procrustes transform from its PCA layout to its aligned layout.
    transforms: list[Transform]
    _backends: dict[int, MemoryBackend] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Number of steps."""
        return len(self.matrices)

    def backend(self, step: int) -> MemoryBackend:
        """The backend of ``step``'s embeddings (made on first use, kept with its neighbour
        search and indexes)."""
        if step not in self._backends:
            self._backends[step] = backends.in_memory(self.matrices[step])
        return self._backends[step]

    def drift(
        self, step: int, k: int = 10, metric: str = "euclidean"
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(displacement, jaccard)`` per row between the first step and ``step``.

        The displacement is measured in the aligned layouts as they are shown; the Jaccard
        overlap compares each row's ``k`` nearest neighbours in the two original spaces.
        """
        first, current = self.matrices[0], self.matrices[step]
        check_neighbour_count(k, first.n)
        return row_drift(
            first.values,
            current.values,
            self.layouts[0],
            self.layouts[step],
            k,
            metric=metric,
            align=False,
        )

    def displacement(self, step: int) -> npt.NDArray[np.float32]:
        """How far each row moved between the first step and ``step`` in the aligned layouts."""
        moved = self.layouts[step].astype(np.float64) - self.layouts[0]
        return np.sqrt(np.einsum("ij,ij->i", moved, moved)).astype(np.float32)

    def locate(self, step: int, vec: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Where a new vector of ``step``'s dimensions shows in that step's aligned layout (3,)."""
        result = self.pcas[step]
        comps = result.components[:LAYOUT_DIMS].astype(np.float64)
        y = np.zeros(LAYOUT_DIMS)
        y[: comps.shape[0]] = comps @ (vec.astype(np.float64) - result.mean)
        return self.transforms[step].apply(y[None, :])[0]


def build_timeline(
    embeddings_list: Sequence[Any], names: Sequence[str] | None = None, *, copy: bool | None = None
) -> Timeline:
    """Validate the steps of a sequence and align their layouts (see the module docstring).

    Every step must have the same rows (dimensions may differ). Errors name the step:
    ``ValueError("step 2 ('epoch 3'): embeddings contain NaN ...")``.
    """
    if isinstance(embeddings_list, (str, bytes)) or not isinstance(embeddings_list, Sequence):
        raise TypeError(
            "embeddings_list must be a list of (N, D) embeddings, one per step, got "
            f"{type(embeddings_list).__name__}"
        )
    if len(embeddings_list) == 0:
        raise ValueError("a sequence needs at least one step; embeddings_list is empty")
    labels = _names(names, len(embeddings_list))
    matrices: list[Matrix] = []
    for i, emb in enumerate(embeddings_list):
        where = f"step {i} ({labels[i]!r})"
        try:
            m = as_matrix(emb, copy=copy)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: {exc}") from None
        if matrices and m.n != matrices[0].n:
            raise ValueError(
                f"{where} has {m.n} rows but step 0 has {matrices[0].n}; every step must embed "
                "the same rows in the same order"
            )
        matrices.append(m)
    pcas = [pca(m.values, COMPONENTS, sq_norms=m.sq_norms) for m in matrices]
    layouts = [pca_coords(p, [0, 1, 2], LAYOUT_DIMS).astype(np.float64) for p in pcas]
    fits = align_transforms(layouts, to="previous")
    return Timeline(
        names=labels,
        matrices=matrices,
        pcas=pcas,
        layouts=[
            np.ascontiguousarray(fit.apply(y), dtype=np.float32)
            for fit, y in zip(fits, layouts, strict=True)
        ],
        transforms=fits,
    )


def _names(names: Sequence[str] | None, steps: int) -> list[str]:
    if names is None:
        return [f"step {i}" for i in range(steps)]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a list of strings, one per step, got {names!r}")
    out = list(names)
    if len(out) != steps:
        raise ValueError(
            f"names has {len(out)} entries but there are {steps} steps; give one per step"
        )
    for i, name in enumerate(out):
        if not isinstance(name, str):
            raise TypeError(f"names[{i}] must be a string, got {type(name).__name__}")
    if len(set(out)) != len(out):
        dup = next(n for n in out if out.count(n) > 1)
        raise ValueError(f"names must be unique; {dup!r} appears more than once")
    return out
