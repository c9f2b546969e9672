"""Quadtree keys of the overview: the square domain, tiles, Morton keys and row priorities."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from projector_widget.compute.overview import LEVELS, PRIORITY_SEED, Domain


def square_domain(lo: Sequence[float], hi: Sequence[float]) -> Domain:
    """``(x0, y0, s)``: the box ``lo``..``hi`` made square (side ``s`` > 0, centred on it)."""
    x_lo, y_lo = float(lo[0]), float(lo[1])
    x_hi, y_hi = float(hi[0]), float(hi[1])
    s = max(x_hi - x_lo, y_hi - y_lo)
    if not s > 0:
        s = 1.0
    return (x_lo + x_hi) / 2 - s / 2, (y_lo + y_hi) / 2 - s / 2, s


def cells(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], domain: Domain, level: int = LEVELS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The tile ``(tx, ty)`` at ``level`` of each point (the domain's top/right edge clipped
    into the last tile; points outside clipped into the border tiles)."""
    x0, y0, s = domain
    side = 1 << level
    tx = np.floor((np.asarray(x, np.float64) - x0) * (side / s))
    ty = np.floor((np.asarray(y, np.float64) - y0) * (side / s))
    return (
        np.clip(tx, 0, side - 1).astype(np.int64),
        np.clip(ty, 0, side - 1).astype(np.int64),
    )


def _spread(v: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The 16 low bits of ``v`` moved to the even bit positions."""
    v = v & np.uint32(0xFFFF)
    v = (v | (v << np.uint32(8))) & np.uint32(0x00FF00FF)
    v = (v | (v << np.uint32(4))) & np.uint32(0x0F0F0F0F)
    v = (v | (v << np.uint32(2))) & np.uint32(0x33333333)
    return (v | (v << np.uint32(1))) & np.uint32(0x55555555)


def morton(tx: npt.NDArray[np.integer], ty: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """The Morton key of tiles: x bits on the even positions, y bits on the odd ones."""
    return morton32(np.asarray(tx, np.uint32), np.asarray(ty, np.uint32)).astype(np.int64)


def morton32(tx: npt.NDArray[np.uint32], ty: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    return _spread(tx) | (_spread(ty) << np.uint32(1))


def key_range(z: int, tx: int, ty: int) -> tuple[int, int]:
    """The level-16 keys ``[start, end)`` of the points in tile ``(z, tx, ty)``."""
    base = int(morton(np.array([tx]), np.array([ty]))[0])
    shift = 2 * (LEVELS - z)
    return base << shift, (base + 1) << shift


def priorities(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.uint32]:
    """Each row's fixed sampling priority: a 32-bit hash of its index (seeded; an invertible
    xor-shift-multiply mixer, so distinct rows get distinct priorities)."""
    h = np.asarray(rows).astype(np.uint32) ^ np.uint32(PRIORITY_SEED)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x7FEB352D)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x846CA68B)
    h ^= h >> np.uint32(16)
    return h


def priority_of(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """``p(row)`` in [0, 1): the priority as the contract states it (distinct for distinct rows
    below 2**32)."""
    return priorities(rows).astype(np.float64) / 2.0**32
