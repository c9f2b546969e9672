"""Background work: projection jobs that report progress, pause, resume and stop
(:class:`Job`), and other kernel work run one at a time (:class:`OneAtATime`).

The kernel and the browser stay responsive while t-SNE or UMAP runs, or clusters are found:
the work happens in a daemon thread (openTSNE, numba and scikit-learn's compiled loops release
the GIL in their hot loops), and the widget's traits are updated from that thread, which
ipykernel's IOPub channel supports.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from projector_widget.util.progress import Reporter, Stopped

T = TypeVar("T")

#: The longest a stop or a close waits for background work told to stop (it stops at its next
#: step; a step of native code, such as building an index, cannot be interrupted).
JOIN_S = 30.0


class Job:
    """One projection run in a background thread.

    ``work(job)`` does the computation and calls :meth:`checkpoint` often; ``report(job, state)``
    is called with progress dictionaries (``state``, ``iteration``, ``total``, ``eta_s``, ...).
    """

    def __init__(
        self,
        method: str,
        work: Callable[[Job], Any],
        report: Callable[[Job, dict[str, Any]], None],
        on_done: Callable[[Job], None] | None = None,
    ) -> None:
        self.method = method
        self._work = work
        self._report = report
        self._on_done = on_done
        self._resume = threading.Event()
        self._resume.set()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._paused_for = 0.0
        #: How far the current phase is (done, total) and where it began (elapsed seconds,
        #: done): the ETA is the phase's own.
        self._counts: tuple[float, float] = (0, 0)
        self._phase_origin: tuple[float, float] = (0.0, 0)
        self.result: Any = None
        self.error: BaseException | None = None
        self.state = "running"
        self.iteration = 0
        self.total = 0
        self._thread = threading.Thread(target=self._run, name=f"projector-{method}", daemon=True)

    def __repr__(self) -> str:
        """The method, its state and how far it got, e.g. ``<Job tsne: running 120/666>``."""
        done = f" {self.iteration}/{self.total}" if self.total else ""
        error = f" ({type(self.error).__name__}: {self.error})" if self.error else ""
        return f"<Job {self.method}: {self.state}{done}{error}>"

    def start(self) -> Job:
        """Start the thread; returns self."""
        self._send("running", "")
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self._work(self)
            self.state = "stopped" if self._stop.is_set() else "done"
        except Stopped:
            self.state = "stopped"
        except BaseException as exc:  # reported to the UI and re-raised by wait()
            self.error = exc
            self.state = "error"
        # The result is put in place before the final state is reported, so whoever sees
        # "done" (a `_progress` observer, the browser) reads the final layout, not the last frame.
        if self._on_done is not None:
            self._on_done(self)
        message = f"{type(self.error).__name__}: {self.error}" if self.error else ""
        self._send(self.state, message)

    def _send(self, state: str, message: str) -> None:
        eta = None
        elapsed = self._elapsed()
        t0, d0 = self._phase_origin
        done, total = self._counts
        if state == "running" and total and d0 < done < total:
            eta = (elapsed - t0) / (done - d0) * (total - done)
        self._report(
            self,
            {
                "method": self.method,
                "state": state,
                "iteration": int(self.iteration),
                "total": int(self.total),
                "eta_s": None if eta is None else round(float(eta), 1),
                "elapsed_s": round(float(elapsed), 2),
                "message": message,
            },
        )

    def _elapsed(self) -> float:
        return time.monotonic() - self._started - self._paused_for

    def checkpoint(
        self,
        iteration: int,
        total: int,
        message: str = "",
        *,
        phase: tuple[float, float] | None = None,
    ) -> bool:
        """Record progress; block while paused; return True when the job should stop.

        ``iteration`` and ``total`` count the layout's iterations (0 before they start);
        ``phase`` is (done, total) of a step that is not iterations (a k-NN search), whose
        ETA is then reported. A new total, or a count below the last one, begins a new phase:
        the ETA counts from there.
        """
        counts = (float(iteration), float(total)) if phase is None else phase
        if counts[1] != self._counts[1] or counts[0] < self._counts[0]:
            self._phase_origin = (self._elapsed(), counts[0])
        self._counts = counts
        self.iteration, self.total = iteration, total
        if self._stop.is_set():
            return True
        if not self._resume.is_set():
            self._send("paused", message)
            t = time.monotonic()
            while not self._resume.wait(0.1):
                if self._stop.is_set():
                    return True
            self._paused_for += time.monotonic() - t
        self._send("running", message)
        return self._stop.is_set()

    def pause(self) -> None:
        """Pause at the next checkpoint (progress says 'paused' once the work has stopped)."""
        if self.running:
            self._resume.clear()
            self.state = "paused"

    def resume(self) -> None:
        """Resume a paused job."""
        if self.state == "paused":
            self.state = "running"
            self._resume.set()

    def stop(self) -> None:
        """Stop at the next checkpoint (the layout reached so far is kept)."""
        self._stop.set()
        self._resume.set()

    @property
    def stopped(self) -> bool:
        """True once a stop was asked for."""
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (without raising the job's error); from the job's own
        thread (an observer of its progress) it returns at once."""
        join_thread(self._thread, timeout)

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the job; return its result or raise its error."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"{self.method} still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result


class Busy(RuntimeError):
    """Kernel work was asked for while other work of the same :class:`OneAtATime` runs."""


@dataclass(frozen=True)
class Work(Generic[T]):
    """Kernel work in two parts: ``compute(progress)`` does the long part (in a background
    thread, or in the caller's), ``land(result)`` puts its result in place (traits, columns)."""

    compute: Callable[[Reporter], T]
    land: Callable[[T], None]


class OneAtATime:
    """Runs kernel work that is not a projection (clustering, layout quality) one at a time.

    :meth:`start` runs it in a background thread, so the kernel keeps answering messages and
    cells, and refuses (:class:`Busy`) while other work runs; :meth:`run` runs it in the calling
    thread, after waiting for the work under way. ``prepare()`` (given to either) checks the
    request and takes what the work needs (the layout as it is now) before any thread starts:
    its errors reach the caller. Each run's phases go to a reporter from ``task()`` (the
    widget's status, or tqdm bars) after a first phase naming the work; an error of a
    background run goes to ``on_error``, a run's own errors are raised by :meth:`wait`. Once
    ``cancelled()`` is true (the widget was closed) a run ends at its next phase or update
    (:class:`~projector_widget.util.progress.Stopped`, no error) and its result never lands.
    """

    def __init__(
        self,
        task: Callable[[], contextlib.AbstractContextManager[Reporter]],
        on_error: Callable[[BaseException], None],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self._task = task
        self._on_error = on_error
        self._cancelled = cancelled
        self._lock = threading.Lock()
        self._what = ""
        self._thread: threading.Thread | None = None
        #: The error of the last background run (None when it succeeded).
        self.error: BaseException | None = None

    @property
    def running(self) -> str:
        """What runs now ("finding clusters"), or "" when nothing does."""
        return self._what if self._lock.locked() else ""

    def run(self, what: str, prepare: Callable[[], Work[T]]) -> T:
        """Do the work in the calling thread once no other runs; returns what it computed."""
        with self._lock:
            self._what = what
            work = prepare()
            return self._do(what, work)

    def start(self, what: str, prepare: Callable[[], Work[Any]]) -> threading.Thread:
        """Do the work in a background thread; returns the thread.

        Raises :class:`Busy` (nothing starts) while other work runs, and whatever
        ``prepare()`` raises.
        """
        if not self._lock.acquire(blocking=False):
            raise Busy(
                f"{self._what} is still running in the kernel: wait until it finishes (the "
                "status line shows how far it is), then try again"
            )
        try:
            self._what = what
            work = prepare()
            thread = threading.Thread(
                target=self._background, args=(what, work), name=f"projector-{what}", daemon=True
            )
            self._thread = thread
            thread.start()
        except BaseException:
            self._lock.release()
            raise
        return thread

    def _background(self, what: str, work: Work[Any]) -> None:
        try:
            self.error = None
            self._do(what, work)
        except Stopped:  # cancelled: nothing to report
            pass
        except BaseException as exc:  # reported to the user; wait() raises it
            self.error = exc
            self._on_error(exc)
        finally:
            self._lock.release()

    def _do(self, what: str, work: Work[T]) -> T:
        with self._task() as progress:  # the status clears once the result is in place
            progress.stop_when = self._cancelled
            progress.phase(what)
            result = work.compute(progress)
            if self._cancelled():
                raise Stopped
            work.land(result)
        return result

    def join(self, timeout: float | None = JOIN_S) -> None:
        """Wait (at most ``timeout`` seconds) for the background run, if any, to end (at once
        from the run's own thread); its error is not raised (:meth:`wait` raises it)."""
        if self._thread is not None:
            join_thread(self._thread, timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background run (if any) to end; raise its error."""
        thread = self._thread
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"{self._what} still running after {timeout} s")
        if self.error is not None:
            raise self.error


def join_thread(thread: threading.Thread, timeout: float | None) -> None:
    """Wait for ``thread`` to end, unless it is the calling thread (closing a widget from an
    observer called by its own background work)."""
    if thread is not threading.current_thread():
        thread.join(timeout)
