"""Thumbnails for sprite rendering: one RGBA atlas built from an (N, H, W[, C]) image array."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

#: Largest atlas side; WebGL2 guarantees at least 4096 for MAX_TEXTURE_SIZE... but 8192 is common
#: only on GPUs, so stay at the guaranteed size.
MAX_ATLAS = 4096
#: Thumbnails are at most this many pixels on a side, and at least MIN_THUMB.
MAX_THUMB = 64
MIN_THUMB = 8


def as_images(images: object, n: int) -> npt.NDArray[np.uint8]:
    """Validate images for ``n`` points and return them as (n, H, W, 4) uint8 RGBA."""
    arr = np.asarray(images)
    if arr.ndim == 2 and arr.shape[0] == n:
        side = math.isqrt(arr.shape[1])
        if side * side != arr.shape[1]:
            raise ValueError(
                f"images of shape {arr.shape}: flat rows must be square images (H*W values); "
                "pass an (N, H, W) or (N, H, W, C) array"
            )
        arr = arr.reshape(n, side, side)
    if arr.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C); got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"images has {arr.shape[0]} images but embeddings have {n} rows")
    if arr.ndim == 4 and arr.shape[3] not in (1, 3, 4):
        raise ValueError(f"images must have 1, 3 or 4 channels; got {arr.shape[3]}")
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        hi = float(finite.max()) if finite.size else 1.0
        lo = float(finite.min()) if finite.size else 0.0
        scale = 255.0 if hi <= 1.0 and lo >= 0.0 else 255.0 / max(hi - lo, 1e-12)
        base = 0.0 if hi <= 1.0 and lo >= 0.0 else lo
        arr = np.clip((np.nan_to_num(arr) - base) * scale, 0, 255).astype(np.uint8)
    elif arr.dtype.kind in "iub":
        hi = int(arr.max()) if arr.size else 255
        if hi > 255:
            arr = arr.astype(np.float64) * (255.0 / hi)
        elif 1 < hi <= 16:  # small integer scales such as scikit-learn's digits (0..16)
            arr = arr.astype(np.float64) * (255.0 / hi)
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        raise TypeError(f"images must be numbers (uint8 or float); got dtype {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[..., None]
    c = arr.shape[3]
    if c == 1:
        rgb = np.repeat(arr, 3, axis=3)
        alpha = np.full(arr.shape[:3] + (1,), 255, np.uint8)
        return np.concatenate([rgb, alpha], axis=3)
    if c == 3:
        alpha = np.full(arr.shape[:3] + (1,), 255, np.uint8)
        return np.concatenate([arr, alpha], axis=3)
    return np.ascontiguousarray(arr)


def thumb_size(n: int, h: int, w: int) -> int:
    """Thumbnail side so that ``n`` thumbnails fit one MAX_ATLAS square atlas (0 if impossible)."""
    per_row = math.ceil(math.sqrt(n))
    side = min(MAX_THUMB, max(h, w), MAX_ATLAS // max(per_row, 1))
    return side if side >= MIN_THUMB else 0


def _resize(img: npt.NDArray[np.uint8], side: int) -> npt.NDArray[np.uint8]:
    """Box-filter (area average) resize of (n, H, W, 4) images into (n, side, side, 4), aspect
    kept and centred; colours are averaged weighted by alpha, so transparent pixels do not bleed.
    """
    n, h, w, _ = img.shape
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    rows, cols = _area_weights(h, nh), _area_weights(w, nw)
    x = img.transpose(0, 3, 1, 2).astype(np.float32)  # (n, 4, H, W): one matrix per channel
    x[:, :3] *= x[:, 3:] / 255.0
    y = rows @ x @ cols.T
    alpha = y[:, 3:]
    y[:, :3] *= np.divide(255.0, alpha, out=np.zeros_like(alpha), where=alpha > 0)
    out = np.zeros((n, side, side, 4), np.uint8)
    top, left = (side - nh) // 2, (side - nw) // 2
    out[:, top : top + nh, left : left + nw] = np.clip(np.rint(y), 0, 255).transpose(0, 2, 3, 1)
    return out


def _area_weights(src: int, dst: int) -> npt.NDArray[np.float32]:
    """(dst, src) matrix: how much of each source pixel each output pixel covers, rows sum to 1."""
    edges = np.arange(dst + 1) * (src / dst)
    pixels = np.arange(src)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return (np.clip(overlap, 0, None) / (src / dst)).astype(np.float32)


def build_atlas(images: npt.NDArray[np.uint8]) -> dict[str, Any]:
    """The ``_sprites`` wire value for (n, H, W, 4) RGBA images ({} when they cannot fit)."""
    n, h, w, _ = images.shape
    side = thumb_size(n, h, w)
    if side == 0:
        return {}
    per_row = MAX_ATLAS // side
    rows = math.ceil(n / per_row)
    width = min(MAX_ATLAS, per_row * side) if rows > 1 else n * side
    width = _pow2(width)
    height = _pow2(rows * side)
    thumbs = _resize(images, side) if (h, w) != (side, side) else images
    atlas = np.zeros((height, width, 4), np.uint8)
    per_row = width // side
    for i0 in range(0, n, per_row):
        block = thumbs[i0 : i0 + per_row]
        r = i0 // per_row
        strip = block.transpose(1, 0, 2, 3).reshape(side, block.shape[0] * side, 4)
        atlas[r * side : (r + 1) * side, : strip.shape[1]] = strip
    return {
        "width": width,
        "height": height,
        "thumb": side,
        "per_row": per_row,
        "data": memoryview(atlas.reshape(-1)),
    }


def _pow2(v: int) -> int:
    return 1 << max(0, (int(v) - 1).bit_length())
