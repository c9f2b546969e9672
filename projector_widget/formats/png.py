"""Sprite sheets: read with Pillow (the ``tensorboard`` extra), written by a small PNG encoder.

Sprites are the only images the projector's files contain. Writing one is a single zlib call
(no filters), so it needs no dependency; reading any PNG (filters, palettes, 16-bit, interlacing)
or JPEG is Pillow's C decoder.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import numpy.typing as npt

from projector_widget.util.extras import imported

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(rgba: npt.NDArray[np.uint8]) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 RGBA image."""
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"encode_png expects (H, W, 4) uint8, got {rgba.shape} {rgba.dtype}")
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), np.uint8)  # filter byte 0 on each row
    raw[:, 1:] = rgba.reshape(h, w * 4)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


#: The largest sprite sheet side: WebGL's usual texture limit, TensorBoard's too. Checked from
#: the header before decoding, so a huge image fails with this message, not a decompression
#: bomb error or an out-of-memory.
MAX_SIDE = 8192


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from an image's header without decoding it: PNG here, other formats
    (JPEG, ...) through Pillow when installed; ValueError when it is not an image."""
    if data.startswith(_SIGNATURE) and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ValueError(
            "not a PNG file (Pillow, which reads other formats, is not installed)"
        ) from None
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            return int(im.size[0]), int(im.size[1])
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"not an image ({exc})") from None


def read_image(path: str) -> npt.NDArray[np.uint8]:
    """(H, W, 4) uint8 RGBA of an image file (PNG, JPEG, ...), decoded by Pillow.

    ValueError when it is not an image or is larger than MAX_SIDE on a side; ImportError naming
    the extra when Pillow is not installed.
    """
    with open(path, "rb") as f:
        data = f.read()
    width, height = image_size(data)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(
            f"{path} is {width}x{height} px; a sprite sheet can be at most {MAX_SIDE}x{MAX_SIDE} "
            "(the WebGL texture limit TensorBoard's projector has too): use smaller thumbnails"
        )
    Image = imported("PIL.Image", f"reading the sprite sheet {path} needs Pillow", "tensorboard")
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))
