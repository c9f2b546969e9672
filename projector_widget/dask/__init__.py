"""Embeddings larger than memory, on a ``distributed`` cluster (the ``dask`` extra).

:func:`from_npy` makes a Dask array of ``.npy`` shards that reads them where its chunks are
computed.
"""

from projector_widget.dask.array import from_npy

__all__ = ["from_npy"]
