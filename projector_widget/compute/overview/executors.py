"""Where the overview's per-chunk functions run: the kernel's threads, or a cluster.

An executor maps a pure function of one chunk over calls and hands back handles: the values
themselves in the kernel, futures on a ``distributed`` cluster (its executor lives in
``projector_widget.dask.overview``, so nothing here needs Dask).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from projector_widget.util.extras import MissingExtra
from projector_widget.util.threads import cpu_cores

#: ``to_dask(fn, calls, sizes)``: a 1-D Dask array of ``fn(*call)``'s values, one block of
#: ``size`` rows per call (made by the Dask backend; needs the dask extra).
LazyArrays = Callable[[Callable[..., Any], list[tuple[Any, ...]], list[int]], Any]


class Executor(Protocol):
    """Runs per-chunk functions where the chunks are; a handle is a value or a future."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A handle of ``fn(*args)``."""
        ...

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """A handle of ``fn(*args)`` for each of ``calls``, in order."""
        ...

    def gather(self, handles: list[Any]) -> list[Any]:
        """The values of ``handles``, in the kernel."""
        ...

    def map_sum(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Any:
        """The sum of ``fn(*args)`` over ``calls``, in the kernel."""
        ...

    def release(self, handles: list[Any]) -> None:
        """Drop ``handles`` (their values leave memory when nothing else holds them)."""
        ...

    def to_dask(
        self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], sizes: list[int]
    ) -> Any:
        """A 1-D Dask array of the values of ``fn(*args)`` for ``calls`` (``sizes`` rows each)."""
        ...


_pool: list[tuple[ThreadPoolExecutor, int]] = []
_pool_lock = threading.Lock()


def _threads() -> tuple[ThreadPoolExecutor, int]:
    """The kernel's pool for chunk work and its size: NumPy's sorts and gathers release the GIL,
    so chunks run side by side (at most four: each holds its chunk's temporaries, ~50 bytes a
    row)."""
    with _pool_lock:
        if not _pool:
            workers = max(1, min(4, cpu_cores()))
            _pool.append((ThreadPoolExecutor(workers, thread_name_prefix="overview"), workers))
        return _pool[0]


class LocalExecutor:
    """Runs the per-chunk functions in the kernel (a few chunks at a time in threads); a chunk
    handle is the chunk itself. ``lazy_arrays`` turns per-chunk calls into a Dask array (given
    by the Dask backend when it is installed; without it :meth:`to_dask` says what to install).
    """

    def __init__(self, lazy_arrays: LazyArrays | None = None) -> None:
        self._lazy_arrays = lazy_arrays

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` now."""
        return fn(*args)

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """``fn(*args)`` for each of ``calls``, in threads; the values, in order."""
        if len(calls) < 2:
            return [fn(*args) for args in calls]
        return list(_threads()[0].map(lambda args: fn(*args), calls))

    def gather(self, handles: list[Any]) -> list[Any]:
        """The values themselves."""
        return list(handles)

    def map_sum(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Any:
        """The sum of ``fn(*args)`` over ``calls``: as many partials in memory as threads."""
        pool, window = _threads()
        running = [pool.submit(fn, *args) for args in calls[:window]]
        total = None
        for i in range(len(calls)):
            part = running[i].result()
            running[i] = None  # type: ignore[call-overload]
            if i + window < len(calls):
                running.append(pool.submit(fn, *calls[i + window]))
            total = part if total is None else total + part
        return total

    def release(self, handles: list[Any]) -> None:
        """Nothing to release."""

    def to_dask(
        self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], sizes: list[int]
    ) -> Any:
        """A 1-D Dask array of ``fn(*args)`` for ``calls``, computed lazily from the chunks here."""
        if self._lazy_arrays is None:
            raise MissingExtra("a Dask array of the selection needs dask", "dask")
        return self._lazy_arrays(fn, calls, sizes)
