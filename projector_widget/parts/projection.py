"""Which projection shows, on which rows, in how many dimensions, at which step.

:class:`ProjectionPart` is the widget's side of the :class:`~.session.ProjectionSession`: it
checks the traits that choose a projection (``projection``, ``projection_params``,
``spherize``, ``dimensions``), turns their changes and the page's requests into session calls,
and keeps the traits consistent: a change the kernel makes to several of them at once is one
transaction (:meth:`ProjectionPart.kernel_change`), during which their observers do not
recompute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute import projections
from projector_widget.compute.projections import Layout
from projector_widget.parts.explain import ExplainPart
from projector_widget.parts.host import Host
from projector_widget.parts.overview import OverviewPart
from projector_widget.parts.points import PointsPart
from projector_widget.parts.session import ProjectionSession
from projector_widget.parts.timeline import TimelinePart
from projector_widget.sync import protocol
from projector_widget.sync.traits import normalize_selection
from projector_widget.util.jobs import Job


class ProjectionPart:
    """The projection traits of a widget and what changes them."""

    def __init__(
        self,
        host: Host,
        session: ProjectionSession,
        *,
        timeline: TimelinePart,
        points: PointsPart,
        overview: OverviewPart,
        explain: ExplainPart,
    ) -> None:
        self._host = host
        self._session = session
        self._timeline = timeline
        self._points = points
        self._overview = overview
        self._explain = explain
        self._applying = 0  # > 0 while the kernel changes several traits as one transaction
        #: Told when the rows shown or the embeddings behind them changed (isolating, showing
        #: every row again, another step): the neighbours and the labels follow.
        self.rows_changed: list[Callable[[], None]] = []

    @contextlib.contextmanager
    def kernel_change(self) -> Iterator[None]:
        """Traits set inside are one change made by the kernel: their observers do not
        recompute (``projection``, ``dimensions``, ``spherize``)."""
        self._applying += 1
        try:
            yield
        finally:
            self._applying -= 1

    # ------------------------------------------------------------------ trait checks
    def check_method(self, value: Any) -> str:
        """A projection method's name (custom needs its axes: :meth:`project`; a method whose
        library is not installed raises MissingExtra)."""
        method = projections.get(value)
        method.needs()
        if method.name == "custom" and not self._applying:
            raise ValueError(
                "a custom projection needs its axes: use w.project('custom', x=(left, right), ...)"
            )
        return method.name

    def check_params(self, value: Any) -> dict[str, Any]:
        """``projection_params`` is the kernel's to set."""
        if not self._applying:
            raise ValueError(
                "projection_params is read-only: use w.project(method, **params) to change them"
            )
        return dict(value)

    def check_spherize(self, value: Any) -> bool:
        """Spherize needs every row in the kernel's memory."""
        if value:
            self._session.backend.memory("spherize")
        return bool(value)

    def check_dims(self, value: Any) -> int:
        """2 or 3 (2 only in overview mode)."""
        return self._overview.check_dims(value)

    # ------------------------------------------------------------------ projections
    def project(
        self, method: str | None, params: dict[str, Any], *, wait: bool, stream: bool = True
    ) -> Job | None:
        """:meth:`Projector.project`: t-SNE and UMAP without ``dims`` (or with None) lay out in
        the view's dimensions. ``stream=False`` keeps the layout on screen until the job's
        final one replaces it (no frames on the way)."""
        host, session = self._host, self._session
        name = method or host.projection
        if projections.get(name).iterative:
            params = projections.get(name).canonical(params)
            if params.get("dims") is None:
                params["dims"] = host.dimensions
        plan = session.prepare(name, params)
        if plan.method.iterative:
            self.check_dims(int(plan.params["dims"]))
        with self.kernel_change():
            host.projection = plan.method.name
            host.projection_params = plan.params
            if plan.method.iterative:
                host.dimensions = plan.params["dims"]
            job = session.show(plan, stream=stream)
            if plan.method.name == "pca":
                host._pca_variance = session.variance()
        if job is not None and wait:
            job.wait()
        return job

    def rerun(self) -> None:
        """Recompute the current projection with its parameters on the current rows."""
        host = self._host
        params = dict(host.projection_params)
        if projections.get(host.projection).iterative:
            params["dims"] = host.dimensions
        try:
            self.project(host.projection, params, wait=False)
        except ValueError:  # e.g. a custom axis whose rows are no longer shown
            self.project("pca", {}, wait=False)

    def isolate(self, given: Any, selection: Callable[[], npt.NDArray[np.int64]]) -> None:
        """Show only the rows ``given`` (None: the ``selection``); projections then run on them."""
        rows = selection() if given is None else normalize_selection(given, self._session.n)
        if rows.size == 0:
            raise ValueError("nothing to isolate: select some points first (or pass rows=...)")
        self._session.isolate(rows)
        self._host._isolated = True
        self._host._pca_variance = self._session.variance()
        self.notify_rows_changed()

    def show_all(self) -> None:
        """Undo :meth:`isolate`: every row again, in the layout they had before."""
        host, session = self._host, self._session
        if session.subset is None:
            return
        saved = session.show_all()
        host._isolated = False
        host._pca_variance = session.variance()
        if saved is not None:
            with self.kernel_change():
                host.spherize = saved.spherize
                host.projection = saved.method
                host.projection_params = saved.params
        else:
            self.rerun()
        self.notify_rows_changed()

    def notify_rows_changed(self) -> None:
        """Tell the listeners of :attr:`rows_changed`."""
        for listener in self.rows_changed:
            listener()

    def control(self, action: str) -> None:
        """Pause, resume or stop the running layout job."""
        job = self._session.job
        if action == "stop":
            self._session.stop()
        elif job is not None:
            getattr(job, action)()

    # ------------------------------------------------------------------ observers
    def bind(self) -> None:
        """Follow the traits the page (or the user) may set."""
        host = self._host
        host.observe(self._on_projection, "projection")
        host.observe(self._on_dimensions, "dimensions")
        host.observe(self._on_spherize, "spherize")
        host.observe(self._on_step, "step")

    def _on_projection(self, change: dict[str, Any]) -> None:
        if self._applying or change["new"] == change["old"]:
            return  # set by the kernel itself
        self.project(change["new"], {}, wait=False)

    def _on_dimensions(self, change: dict[str, Any]) -> None:
        if self._applying:
            return  # set by the kernel itself
        host = self._host
        method = projections.get(host.projection)
        if method.iterative and host.projection_params.get("dims") != change["new"]:
            # The layout computed again in the other dimension: the one on screen stays until
            # the new one is ready (its progress shows in the status line), then it is framed.
            params = {**host.projection_params, "dims": change["new"]}
            self.project(host.projection, params, wait=False, stream=False)
            return
        self._points.redraw()

    def _on_spherize(self, change: dict[str, Any]) -> None:
        if self._applying or change["new"] == change["old"]:
            return
        self._session.spherize = bool(change["new"])
        self.rerun()

    def _on_step(self, _change: dict[str, Any]) -> None:
        # The sequence's own view: the browser moves the points itself from _timeline
        # (animated on the GPU), so no _points is sent; what the kernel sends later shows this
        # step (TimelinePart.shown). Other views (t-SNE, UMAP, custom, a subset) are recomputed.
        steps = self._timeline.steps
        if steps is None:
            return
        host, session, step = self._host, self._session, self._host.step
        session.set_backend(steps.backend(step), steps.pcas[step])
        host._pca_variance = session.variance()
        if self._timeline.sequence_view():
            # What the browser shows is the session's layout from now on (isolating keeps it).
            session.take_layout(Layout(steps.layouts[step]))
            with session.lock:
                self._explain.mark_stale(session.coords)
        else:
            self.rerun()
        self.notify_rows_changed()

    def handlers(self, selection: Callable[[], npt.NDArray[Any]]) -> dict[type, Any]:
        """The page's ``project``, ``control``, ``isolate``, ``show_all`` and ``drawn``."""
        session = self._session
        return {
            protocol.Drawn: lambda _r: session.drawn.set(),
            protocol.Project: lambda r: self.project(r.method, r.params, wait=False),
            protocol.Control: lambda r: self.control(r.action),
            protocol.Isolate: lambda _r: self.isolate(None, selection),
            protocol.ShowAll: lambda _r: self.show_all(),
        }

    def close(self) -> None:
        """Stop the running job."""
        self._session.stop()
