"""The overview's executor on a ``distributed`` cluster: each chunk of the index stays in the
workers' memory as a future; only samples, one summed grid and selected rows come back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from projector_widget.compute.overview.chunks import add_grids
from projector_widget.util.extras import imported


class DaskExecutor:
    """Runs the per-chunk functions on a ``distributed`` cluster; a handle is a future, and
    chunks stay in the workers' memory until the index is dropped."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """A future of ``fn(*args)`` for each of ``calls``."""
        return [self.submit(fn, *args) for args in calls]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A future of ``fn(*args)``; NumPy arguments over 1 MB are scattered to the workers
        first (a chunk's coordinates: not part of the task's message)."""
        sent = [
            self.client.scatter(a, hash=False)
            if isinstance(a, np.ndarray) and a.nbytes > 1 << 20
            else a
            for a in args
        ]
        return self.client.submit(fn, *sent, pure=False)

    def gather(self, handles: list[Any]) -> list[Any]:
        """The futures' values, in the kernel."""
        return list(self.client.gather(handles))

    def map_sum(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Any:
        """The sum of ``fn(*args)`` over ``calls``, added pairwise on the cluster (a tree
        reduction); only the total comes back to the kernel."""
        level = [self.client.submit(fn, *args, pure=False) for args in calls]
        while len(level) > 1:
            pairs = [
                self.client.submit(add_grids, level[i], level[i + 1], pure=False)
                for i in range(0, len(level) - 1, 2)
            ]
            level = pairs + (level[-1:] if len(level) % 2 else [])
        return self.client.gather(level[0])

    def release(self, handles: list[Any]) -> None:
        """Drop the futures (their values leave the workers' memory)."""
        for h in handles:
            h.release()

    def to_dask(
        self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], sizes: list[int]
    ) -> Any:
        """A 1-D Dask array of ``fn(*args)`` for ``calls``, each block computed on the workers."""
        return delayed_array(fn, calls, sizes)


def delayed_array(fn: Callable[..., Any], calls: list[tuple[Any, ...]], sizes: list[int]) -> Any:
    """A 1-D int64 Dask array of one block per call: ``fn(*call)``, of ``size`` rows."""
    dask = imported("dask", "LazySelection.to_dask needs dask", "dask")
    da = imported("dask.array", "LazySelection.to_dask needs dask", "dask")
    blocks = [
        da.from_delayed(dask.delayed(fn, pure=False)(*call), shape=(size,), dtype=np.int64)
        for call, size in zip(calls, sizes, strict=True)
    ]
    return da.concatenate(blocks) if blocks else da.zeros(0, dtype=np.int64)
