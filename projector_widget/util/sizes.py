"""Sizes of memory in messages: binary units, the largest that keeps the number at least 1."""

from __future__ import annotations

_UNITS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def memory(n_bytes: float) -> str:
    """``n_bytes`` as "3.2 GiB", "14.6 MiB", "512 KiB" or "80 bytes" (one decimal below 10 of
    a unit, none above): never "0.0 GiB" for a size below a GiB."""
    for name, scale in _UNITS:
        if n_bytes >= scale:
            v = n_bytes / scale
            return f"{v:.1f} {name}" if v < 10 else f"{v:,.0f} {name}"
    return f"{int(n_bytes)} bytes"
