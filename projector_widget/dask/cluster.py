"""The cluster that computes: the user's ``distributed`` client, or this process's own.

Every pass of the Dask backend goes through :func:`run_blocks`: delayed tasks computed on the
cluster, their results yielded as each lands, so the phases report progress and a stop cancels
what is still queued.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from projector_widget.util.extras import imported, install_line
from projector_widget.util.progress import Reporter
from projector_widget.util.threads import cpu_cores

EXTRA = install_line("dask")


def import_module(name: str) -> Any:
    """``distributed`` or ``dask.array``, or :class:`~projector_widget.util.extras.MissingExtra`
    naming the extra to install."""
    module = "distributed" if name == "distributed" else "dask.array"
    return imported(
        module, f"embeddings larger than memory (Dask and Zarr arrays) need {name}", "dask"
    )


# ----------------------------------------------------------------------------- the scheduler
#: This process's own client (of a LocalCluster), once one was needed.
_own: dict[str, Any] = {}
_own_lock = threading.Lock()


def client() -> Any:
    """The ``distributed.Client`` that computes: the active one (``distributed.get_client()``)
    when there is one, else this process's own LocalCluster, started on first need (one worker
    process a core, one thread each) and kept until the kernel exits."""
    distributed = import_module("distributed")
    try:
        return distributed.get_client()
    except ValueError:  # no client is active
        pass
    with _own_lock:
        own = _own.get("client")
        if own is None or own.status in ("closing", "closed"):
            cluster = distributed.LocalCluster(
                n_workers=cpu_cores(), threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            own = _own["client"] = distributed.Client(cluster, set_as_default=False)
            atexit.register(_close_own)
        return own


#: Seconds a worker process of our own cluster is given to end when it closes. Its interpreter's
#: shutdown takes seconds once umap-learn, numba or faiss are loaded, past the 4 s distributed
#: allows by default, after which it kills the process and logs "Worker process still alive
#: after 4.0 seconds, killing" at the end of every such script.
WORKER_EXIT_S = 30.0


def _close_own() -> None:
    """Close this process's own client and LocalCluster (at exit): each worker is given
    ``WORKER_EXIT_S`` to end, so none is killed."""
    own = _own.pop("client", None)
    if own is None:
        return
    cluster = own.cluster
    own.close()

    async def close_workers() -> None:
        nannies = list(cluster.workers.values())
        await asyncio.gather(*(n.close(timeout=WORKER_EXIT_S) for n in nannies))

    with contextlib.suppress(Exception):  # the cluster may be gone already: closed anyway below
        cluster.sync(close_workers)
    cluster.close()


def run_blocks(
    tasks: list[Any], report: Reporter | None = None, phase: str = ""
) -> Iterator[tuple[int, Any]]:
    """Compute ``tasks`` (delayed values) on the cluster; yield ``(i, result)`` as each lands.

    The phase counts chunks; a ``progress.Stopped`` raised by the reporter cancels the rest.
    """
    distributed = import_module("distributed")
    c = client()
    futures = c.compute(tasks)
    position = {f.key: i for i, f in enumerate(futures)}
    if report is not None:
        report.phase(phase, len(tasks), unit="chunks")
    done = 0
    try:
        # The loop of the client that computes (ours is not the default client).
        for future in distributed.as_completed(futures, loop=c.loop):
            result = future.result()
            i = position[future.key]
            future.release()
            done += 1
            if report is not None:
                report.update(done)
            yield i, result
    finally:
        if done < len(futures):
            c.cancel(futures)
