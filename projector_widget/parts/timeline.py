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

It never imports the widget: :class:`TimelinePart` is what the widget composes.
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
from projector_widget.compute.neighbours import check_metric
from projector_widget.compute.projections.pca import COMPONENTS, PCAResult, pca, pca_coords
from projector_widget.data.inputs import Matrix, as_matrix
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.session import ProjectionSession
from projector_widget.sync import wire

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

    def close(self) -> None:
        """Release the steps' backends."""
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()

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


class TimelinePart:
    """The steps of a sequence widget as the view uses them (a single embedding: no steps).

    While the view is the sequence's own (the first three principal components of every row,
    not spherized), what shows is the current step's aligned layout; the page steps through
    ``_timeline`` itself, and the kernel says with ``_timeline_active`` when it may.
    """

    def __init__(self, host: Host, session: ProjectionSession, steps: Timeline | None) -> None:
        self._host = host
        self._session = session
        self.steps = steps

    @property
    def count(self) -> int:
        """Number of steps (1 for a single embedding)."""
        return 1 if self.steps is None else self.steps.steps

    @property
    def names(self) -> list[str]:
        """The names of the steps."""
        return ["step 0"] if self.steps is None else list(self.steps.names)

    def encoded(self) -> dict[str, Any]:
        """The ``_timeline`` value: every step's aligned layout ({} for a single embedding)."""
        if self.steps is None:
            return {}
        return wire.encode_timeline(self.steps.layouts, self.steps.names)

    def check_step(self, value: Any) -> int:
        """``value`` as a step index; TypeError, ValueError or IndexError saying why not."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"step must be a step index (an int), got {value!r}")
        if not 0 <= int(value) < self.count:
            if self.steps is None:
                raise ValueError("step applies to sequences: use Projector.sequence([...])")
            raise IndexError(
                f"step {value} is out of range: this sequence has {self.count} steps "
                f"(0..{self.count - 1})"
            )
        return int(value)

    def sequence_view(self) -> bool:
        """Whether the sequence's own layouts show (PCA 0, 1, 2 of every row, not spherized)."""
        session = self._session
        return (
            self.steps is not None
            and session.method == "pca"
            and list(session.params.get("components", [])) == [0, 1, 2]
            and not session.spherize
            and session.subset is None
        )

    def active(self) -> bool:
        """Whether the page may step through ``_timeline`` itself."""
        return self.sequence_view()

    def shown(self, coords: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """What shows for the session's ``coords``: the current step's aligned layout in the
        sequence's own view, else the coordinates as they are."""
        if self.steps is None or not self.sequence_view():
            return coords
        return self.steps.layouts[self._host.step]

    def coordinates(self) -> npt.NDArray[np.float32]:
        """The (N, dimensions) coordinates shown now (a copy; while a selection is isolated,
        rows outside it hold placeholder values)."""
        session = self._session
        with session.lock:
            return self.shown(session.coords)[:, : self._host.dimensions].copy()

    def locate(self, vec: npt.NDArray[np.float32], dims: int) -> list[float] | None:
        """Where a new vector shows in the sequence's own view (None: not that view)."""
        if self.steps is None or not self.sequence_view():
            return None
        return [float(v) for v in self.steps.locate(self._host.step, vec)[:dims]]

    def require(self, what: str) -> Timeline:
        """The steps; ValueError naming ``what`` for a single embedding."""
        if self.steps is None:
            raise ValueError(
                f"{what} compares the steps of a sequence: use Projector.sequence(...)"
            )
        return self.steps

    def drift(self, metadata: Metadata, k: int, metric: str) -> Any:
        """:meth:`Projector.drift`: the table, and its columns put into ``metadata``."""
        steps = self.require("drift")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                'drift needs pandas: pip install "projector-widget[explain]"'
            ) from None
        names = ("displacement", "neighbours shared")
        for name in names:  # before the work: a column of the user's is never overwritten
            metadata.check_made_name(name, "drift", _drift_remedy(name))
        moved, shared = steps.drift(self._host.step, k, check_metric(metric))
        for name, values in zip(names, (moved, shared), strict=True):
            metadata.put_made_values(name, values, "drift", _drift_remedy(name))
        return pd.DataFrame({"displacement": moved, "neighbours shared": shared})

    def close(self) -> None:
        """Release every step's backend (its neighbour indexes)."""
        if self.steps is not None:
            self.steps.close()

    def most_moved(self, top: int) -> npt.NDArray[np.int64]:
        """The ``top`` rows that moved most since the first step (by displacement)."""
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
            raise ValueError(f"top must be a positive number of rows, got {top!r}")
        moved = self.require("select_drifted").displacement(self._host.step)
        return np.argsort(-moved, kind="stable")[: int(top)].astype(np.int64)


def _drift_remedy(name: str) -> str:
    """What to do when a column of the user's has the name of one of drift()'s (which takes no
    ``into``: its columns' names are fixed)."""
    return (
        "drift() always writes its columns 'displacement' and 'neighbours shared', so rename "
        "yours in the metadata you pass to Projector.sequence(...), e.g. "
        f"metadata.rename(columns={{{name!r}: 'my {name}'}}) for a DataFrame"
    )
