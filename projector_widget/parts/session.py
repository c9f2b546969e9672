"""The projection state of one widget: which rows, spherized or not, and where each point is.

A :class:`ProjectionSession` owns the caches (PCA per row set, finished layouts), the first PCA
of large inputs and its refinement in the background, the running t-SNE/UMAP job, the isolated
subset and the current coordinates. It never touches the widget: it takes plain values and
reports through callbacks (new coordinates, progress, a refined PCA), so it is testable without
a kernel. Long work reports its phases (:mod:`.progress`) to the widget's status while a view is
displayed (the browser has drawn the points: :attr:`ProjectionSession.drawn`), else to tqdm bars. Projections are two steps: :meth:`prepare` validates and computes (an error there
changes nothing), :meth:`show` makes the result current.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute import projections
from projector_widget.compute.backend import Backend, Refine, Rows
from projector_widget.compute.projections import Hooks, Layout, Method, PCAResult
from projector_widget.compute.projections.pca import pca_coords
from projector_widget.data.columns import Column
from projector_widget.util.jobs import JOIN_S, Job, join_thread
from projector_widget.util.progress import OPTIMISING, Reporter, Stopped, Update, ViewOrBars

#: Animation of a projection switch, in milliseconds.
TRANSITION_MS = 600
#: Longest wait of the background PCA for the browser's first complete frame.
REFINE_WAIT_S = 5.0
#: Minimum seconds between two streamed frames of a running layout.
FRAME_INTERVAL_S = 0.1
#: Finished layouts kept (each is N x dims floats: 12 MB at a million 3-D points).
LAYOUT_CACHE = 4

Coords = npt.NDArray[np.float32]
#: ``on_coords(coords, transition_ms)``: new (N, 3) coordinates to show.
CoordsCallback = Callable[[Coords, int], None]
#: ``on_progress(state)``: a progress dict (``method``, ``state``, ``iteration``, ...).
ProgressCallback = Callable[[dict[str, Any]], None]


def progress_value(method: str, state: str, message: str = "") -> dict[str, Any]:
    """A progress dict for a method that has no iterations to report."""
    return {
        "method": method,
        "state": state,
        "iteration": 0,
        "total": 0,
        "eta_s": None,
        "message": message,
    }


def task_value(update: Update) -> dict[str, Any]:
    """A progress dict for kernel work that is not a projection (an index, files): its phase
    text, in the 'idle' state (no projection is running, nothing to pause)."""
    total = 0 if update.total is None else int(update.total)
    return {
        **progress_value("", "idle", update.text()),
        "iteration": int(update.done),
        "total": total,
    }


@dataclass(frozen=True)
class Plan:
    """A validated projection, ready to show: an instant method's layout is already computed."""

    method: Method
    params: dict[str, Any]
    layout: Layout | None = None


@dataclass(frozen=True)
class SavedView:
    """What isolating a subset hides: the projection shown before, to come back to."""

    method: str
    params: dict[str, Any]
    coords: Coords
    layout: Layout | None
    spherize: bool


def _pad3(layout: npt.NDArray[np.floating]) -> Coords:
    layout = np.asarray(layout, np.float32)
    if layout.shape[1] >= 3:
        return layout
    return np.hstack([layout, np.zeros((layout.shape[0], 3 - layout.shape[1]), np.float32)])


class ProjectionSession:
    """Rows, spherize, subset, caches, the first PCA and its refinement, and running jobs.

    Parameters
    ----------
    backend:
        The embeddings where they are (:class:`~projector_widget.compute.backend.Backend`).
    columns:
        Returns the current metadata columns (custom projections search them).
    on_coords:
        Called with full (N, 3) coordinates whenever the shown layout changes (also settable
        later as :attr:`on_coords`).
    on_progress:
        Called with progress dicts of the current projection.
    on_refined:
        Called (from a background thread, under :attr:`lock`) when the PCA of every row
        replaced the first one on large inputs and the PCA is shown.
    """

    def __init__(
        self,
        backend: Backend,
        columns: Callable[[], list[Column]],
        *,
        on_coords: CoordsCallback | None = None,
        on_progress: ProgressCallback,
        on_refined: Callable[[PCAResult], None] | None = None,
    ) -> None:
        self.backend = backend
        self._columns = columns
        #: Told the full (N, 3) coordinates whenever the shown layout changes.
        self.on_coords: CoordsCallback = on_coords or (lambda _coords, _ms: None)
        self._on_progress = on_progress
        self._on_refined = on_refined
        #: Guards the coordinates and the PCA cache against the background threads.
        self.lock = threading.RLock()
        self.spherize = False
        self.subset: npt.NDArray[np.int64] | None = None
        self.method = "pca"
        self.params: dict[str, Any] = {"components": [0, 1, 2]}
        self.coords: Coords = np.zeros((backend.n, 3), np.float32)
        #: Which layout :attr:`coords` are of: a new projection (or a new set of rows shown) gets
        #: the next number; a job's frames, the refined first PCA and a redraw keep it. The page
        #: frames every new layout, and follows one that moves while its camera is the fit.
        self.layout_id = 0
        self.job: Job | None = None
        self._layout: Layout | None = None
        self._pca_cache: dict[tuple[bool, int], PCAResult] = {}
        self._layout_cache: dict[str, npt.NDArray[np.float32]] = {}
        #: Bumped by :meth:`set_backend`: a layout of older rows is never cached as current.
        self._generation = 0
        self._saved: SavedView | None = None
        self._last_frame = 0.0
        #: The last progress of a projection reported (shown again after a task's phases).
        self._shown: dict[str, Any] = progress_value("pca", "done")
        self._task_showing = False
        #: Set once the first PCA is final (at once for up to EXACT_MAX_ROWS rows).
        self.refined = threading.Event()
        #: Set when the browser has drawn every point; the refinement waits for it.
        self.drawn = threading.Event()
        #: Set by :meth:`close`: the work of this session and of the parts on it stops at its
        #: next step (the job, the refinement between two passes, the panel's work).
        self.closed = threading.Event()
        self._refining: threading.Thread | None = None

    # ------------------------------------------------------------------ rows
    @property
    def n(self) -> int:
        """Number of rows (shown or not)."""
        return self.backend.n

    @property
    def rows(self) -> Rows:
        """The rows projections see now: (spherize, isolated subset or None)."""
        return self.spherize, self.subset

    def set_backend(self, backend: Backend, pca_result: PCAResult | None = None) -> None:
        """Project ``backend``'s embeddings (the same rows: another step of a sequence) from now on.

        The caches of the old ones are dropped; ``pca_result``, the PCA of every row when already
        known, is kept. What is shown changes with the next projection.
        """
        if backend.n != self.n:
            raise ValueError(
                f"the new embeddings have {backend.n} rows but the session has {self.n}"
            )
        with self.lock:
            self.backend = backend
            self._generation += 1
            self._pca_cache.clear()
            self._layout_cache.clear()
            if pca_result is not None:
                self._pca_cache[(False, 0)] = pca_result

    def take_layout(self, layout: Layout) -> None:
        """Make ``layout`` of every row (already on screen: a sequence step's aligned layout)
        the current layout and coordinates, without reporting them; later views (isolating a
        subset, a job's first frame) start from it."""
        with self.lock:
            self._layout = layout
            self.coords = np.ascontiguousarray(layout.coords, dtype=np.float32)

    def pca_result(self, rows: Rows | None = None) -> PCAResult:
        """The PCA of the current rows (or of ``rows``), cached per row set."""
        spherize, subset = self.rows if rows is None else rows
        key = (spherize, 0 if subset is None else hash(subset.tobytes()))
        with self.lock:
            if key not in self._pca_cache:
                self._pca_cache[key] = self.backend.pca((spherize, subset))
            return self._pca_cache[key]

    def variance(self) -> list[float]:
        """Explained variance ratio of each principal component of the current rows."""
        return [float(v) for v in self.pca_result().explained_variance_ratio]

    # ------------------------------------------------------------------ the first PCA
    def start(self, known: PCAResult | None = None) -> Coords:
        """Compute the first layout (PCA, components 0-2) and return its coordinates.

        ``known``, the PCA of every row when already computed (a sequence's first step), is
        used as it is: nothing is refined. Otherwise the backend's first PCA (on large inputs in
        memory, a sample's axes with every row projected) is shown, and the exact one replaces
        it in a background thread, which first waits (at most REFINE_WAIT_S) for :attr:`drawn`
        so it does not take the CPU from the first frame.
        """
        refine: Refine | None = None
        if known is None:
            with self.task() as report:
                known, refine = self.backend.first_pca(report)
        self._pca_cache[(False, 0)] = known
        if refine is None:
            self.refined.set()
        else:
            self._refining = threading.Thread(
                target=self._refine, args=(known, refine), name="projector-pca", daemon=True
            )
            self._refining.start()
        self._layout = self._pca_layout()
        self.coords = self._layout.coords
        return self.coords

    def _refine(self, quick: PCAResult, refine: Refine) -> None:
        try:
            self.drawn.wait(REFINE_WAIT_S)
            if self.closed.is_set():
                return
            refined = refine(self.closed.is_set)
            with self.lock:
                if self.closed.is_set() or self._pca_cache.get((False, 0)) is not quick:
                    return
                self._pca_cache[(False, 0)] = refined
                showing = self.method == "pca" and not self.spherize and self.subset is None
                if showing and not self.running:
                    self._show_layout(self._pca_layout(), 0)
                    if self._on_refined is not None:
                        self._on_refined(refined)
        except Stopped:  # closed between two passes over the rows
            pass
        finally:
            self.refined.set()

    # ------------------------------------------------------------------ projections
    def check(
        self, name: object, params: dict[str, Any], rows: Rows | None = None
    ) -> tuple[Method, dict[str, Any]]:
        """The method ``name`` and ``params`` merged over its defaults, checked by the method
        and the backend on the current rows or on ``rows``, without computing a layout (what
        :meth:`prepare` checks). Raises ValueError (or NeedsMemoryError) saying what is wrong,
        MissingExtra when the library the method runs on is not installed.
        """
        method = projections.get(name)
        method.needs()
        target = self.rows if rows is None else rows
        args = (target, lambda: self.pca_result(target), self._columns())
        return method, self.backend.check(method, method.canonical(params), *args)

    def prepare(self, name: object, params: dict[str, Any], rows: Rows | None = None) -> Plan:
        """Validate ``params`` of the method ``name`` (:meth:`check`) and compute an instant
        method's layout, on the current rows or on ``rows`` (spherize, subset: what
        :meth:`set_rows` will make current before :meth:`show`). Raises ValueError and changes
        nothing then.
        """
        method, checked = self.check(name, params, rows)
        if method.iterative:
            return Plan(method, checked)
        target = self.rows if rows is None else rows
        args = (target, lambda: self.pca_result(target), self._columns())
        return Plan(method, checked, self.backend.instant(method, checked, *args))

    def _pca_layout(self) -> Layout:
        """The PCA layout of the current rows with the current (checked) parameters."""
        args = (self.rows, self.pca_result, self._columns())
        return self.backend.instant(projections.get("pca"), self.params, *args)

    def show(self, plan: Plan, *, stream: bool = True) -> Job | None:
        """Make ``plan`` the current projection: show an instant layout, or start the job (with
        ``stream``, showing its frames; without, the layout on screen stays until the result)."""
        self.stop()
        with self.lock:
            self.layout_id += 1
        self.method, self.params = plan.method.name, dict(plan.params)
        if plan.layout is not None:
            self._show_layout(plan.layout, TRANSITION_MS)
            self._report(progress_value(plan.method.name, "done"))
            return None
        self._layout = None
        return self._start_job(plan.method, plan.params, stream)

    def _report(self, state: dict[str, Any]) -> None:
        """Report a projection's progress (it replaces a task's phase on screen)."""
        self._shown = state
        self._task_showing = False
        self._on_progress(state)

    @property
    def displayed(self) -> bool:
        """Whether a view of the widget is on screen (the browser has drawn the points)."""
        return self.drawn.is_set()

    @contextlib.contextmanager
    def task(self) -> Iterator[Reporter]:
        """A reporter for kernel work that is not a projection (an index, files).

        While a view is displayed its phases go to the widget's status (unless a layout job is
        running: the job's progress keeps the status), and the projection's progress is shown
        again at the end; with no view, to tqdm bars.
        """

        def to_view(update: Update) -> None:
            if not self.running:
                self._task_showing = True
                self._on_progress(task_value(update))

        sink = ViewOrBars(lambda: self.displayed, to_view)
        reporter = Reporter(sink)
        try:
            yield reporter
        finally:
            reporter.flush()
            sink.close()
            if self._task_showing and not self.running:
                self._report(self._shown)

    def _show_layout(self, layout: Layout, transition_ms: int) -> None:
        with self.lock:
            self._layout = layout
            self.set_coords(self._embed_rows(layout.coords), transition_ms)

    def set_coords(self, coords: Coords, transition_ms: int) -> None:
        """Store full-size (N, 3) coordinates and report them."""
        with self.lock:
            self.coords = coords
            self.on_coords(coords, transition_ms)

    def _embed_rows(self, sub: npt.NDArray[np.floating]) -> Coords:
        """Coordinates of the shown rows placed in an (N, k) array (hidden rows at the centre)."""
        if self.subset is None:
            return np.ascontiguousarray(sub, dtype=np.float32)
        full = np.empty((self.n, sub.shape[1]), np.float32)
        full[:] = sub.mean(axis=0) if len(sub) else 0.0
        full[self.subset] = sub
        return full

    def _layout_key(self, method: str, params: dict[str, Any]) -> str:
        sub = "all" if self.subset is None else str(hash(self.subset.tobytes()))
        return f"{self._generation}|{method}|{sorted(params.items())}|{self.spherize}|{sub}"

    def _start_job(self, method: Method, p: dict[str, Any], stream: bool) -> Job:
        run = self.backend.layout_run(method, self.rows)
        key = self._layout_key(method.name, p)
        generation = self._generation
        preview = pca_coords(self.pca_result(), [0, 1, 2], p["dims"]) if stream else None
        # The method's phases go to the job (hence the widget's status) and, while no view is
        # displayed, to tqdm bars; frames keep the phase text the method reported last.
        bars = ViewOrBars(lambda: self.displayed)
        phase = {"text": ""}

        def frame(job: Job, iteration: int, total: int, layout: np.ndarray) -> bool:
            stop = job.checkpoint(iteration, total, phase["text"])
            if not stream or not np.all(np.isfinite(layout)):
                return stop  # never on screen (the final layout is checked by the method)
            now = time.monotonic()
            if iteration == 0 or now - self._last_frame >= FRAME_INTERVAL_S:
                self._last_frame = now
                transition = TRANSITION_MS if iteration == 0 else 0
                self._show_job_layout(job, layout, transition)
            return stop

        def work(job: Job) -> np.ndarray:
            if key in self._layout_cache:
                return self._layout_cache[key]

            def progress(update: Update) -> None:
                phase["text"] = update.text()
                bars(update)
                total = 0 if update.total is None else int(update.total)
                if update.phase == OPTIMISING:  # the job counts the layout's iterations
                    stop = job.checkpoint(int(update.done), total, phase["text"])
                else:  # other steps are counted in their text (and their ETA)
                    stop = job.checkpoint(0, 0, phase["text"], phase=(update.done, total))
                if stop:
                    raise Stopped

            hooks = Hooks(
                frame=lambda i, t, e: frame(job, i, t, e), progress=progress, preview=preview
            )
            out = run(p, hooks)
            with self.lock:  # a layout of the matrix replaced meanwhile is not this one's
                if job.stopped or generation != self._generation:
                    return out
                self._layout_cache[key] = out
                while len(self._layout_cache) > LAYOUT_CACHE:  # oldest first (dict order)
                    self._layout_cache.pop(next(iter(self._layout_cache)))
            return out

        def done(job: Job) -> None:
            bars.close()
            if job.result is not None and (stream or not job.stopped):
                # A method that streamed its frames up to this one jumps; others animate.
                transition = 0 if stream and method.streams_frames else TRANSITION_MS
                self._show_job_layout(job, job.result, transition)
            elif not stream:  # stopped or failed: the layout on screen stays (not the start of
                with self.lock:  # one stopped half-way), shown in the dimensions asked for
                    if job is self.job and not self.closed.is_set():
                        self.set_coords(self.coords, 0)

        def report(job: Job, state: dict[str, Any]) -> None:
            if job is self.job:
                self._report(state)

        job = Job(method.name, work, report, on_done=done)
        self.job = job
        return job.start()

    def _show_job_layout(self, job: Job, layout: np.ndarray, transition_ms: int) -> None:
        """Show a layout of ``job`` while it is the current job and the session is open."""
        with self.lock:  # close() sets `closed` under the lock: no layout is shown after it
            if job is self.job and not self.closed.is_set():
                self.set_coords(self._embed_rows(_pad3(layout)), transition_ms)

    # ------------------------------------------------------------------ jobs
    @property
    def running(self) -> bool:
        """Whether a layout job is running (or paused)."""
        return self.job is not None and self.job.running

    def close(self) -> None:
        """Stop the running job and the refinement (waiting for them: at most the time of a
        step), drop the caches, release the backend."""
        with self.lock:
            self.closed.set()
        self.drawn.set()  # a refinement still waiting for the first frame ends now
        self.stop()
        if self._refining is not None:
            join_thread(self._refining, JOIN_S)
        with self.lock:
            self._pca_cache.clear()
            self._layout_cache.clear()
            self._saved = None
        self.backend.close()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running (or last) job finishes, re-raising its error."""
        if self.job is not None:
            self.job.wait(timeout)

    def stop(self) -> None:
        """Stop the running job, keeping the layout reached so far."""
        job = self.job
        if job is not None and job.running:
            job.stop()
            job.join(JOIN_S)

    # ------------------------------------------------------------------ isolation
    def isolate(self, rows: npt.NDArray[np.int64]) -> None:
        """Show only ``rows`` (sorted, unique, non-empty), in their current places."""
        self.backend.memory("isolating a selection")
        if self.subset is None:
            self._saved = SavedView(
                self.method, dict(self.params), self.coords, self._layout, self.spherize
            )
        self.stop()
        self.subset = rows
        with self.lock:
            self.layout_id += 1
        self.set_coords(self.coords, 0)

    def show_all(self) -> SavedView | None:
        """Show every row again; returns the view from before :meth:`isolate` (None if none)."""
        if self.subset is None:
            return None
        self.stop()
        self.subset = None
        with self.lock:
            self.layout_id += 1
        saved, self._saved = self._saved, None
        if saved is not None:
            self.method, self.params, self._layout = saved.method, dict(saved.params), saved.layout
            self.spherize = saved.spherize
            self.set_coords(saved.coords, 0)
        return saved

    def set_rows(self, *, spherize: bool, subset: npt.NDArray[np.int64] | None) -> None:
        """Change which rows projections see, without showing anything (a bookmark restore
        shows its projection once, after every change)."""
        self.stop()
        if subset is not None and self.subset is None:
            self._saved = SavedView(
                self.method, dict(self.params), self.coords, self._layout, self.spherize
            )
        if subset is None:
            self._saved = None
        self.spherize = spherize
        self.subset = subset

    # ------------------------------------------------------------------ new vectors
    def locate(self, vec: npt.NDArray[np.float32], dims: int) -> list[float]:
        """Where a new vector falls in the current linear projection ([] for t-SNE/UMAP)."""
        layout = self._layout
        if layout is None or layout.axes is None:
            return []
        v = vec.astype(np.float64)
        centre = self.backend.centre(self.spherize)
        if centre is not None:
            v = v - centre
            v = v / max(float(np.linalg.norm(v)), 1e-12)
        if layout.origin is not None:
            v = v - layout.origin
        return [float(c) for c in (layout.axes @ v)][:dims]
