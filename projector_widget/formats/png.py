"""A small PNG encoder/decoder for sprite sheets (8-bit RGBA/RGB/grey, no interlacing).

Sprites are the only images the projector's files contain; handling them here keeps Pillow out
of the core dependencies.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

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


def _unfilter(data: np.ndarray, h: int, stride: int, bpp: int) -> np.ndarray:
    out = np.zeros((h, stride), np.uint8)
    rows = data.reshape(h, stride + 1)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ftype = rows[y, 0]
        line = rows[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 1:  # Sub: a running sum along the row, per channel
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) & 0xFF
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if ftype == 1:
                    pred = a
                elif ftype == 3:
                    pred = (a + b) // 2
                else:  # Paeth
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out


def decode_png(data: bytes) -> npt.NDArray[np.uint8]:
    """(H, W, 4) uint8 RGBA from PNG bytes (8-bit grey, grey+alpha, RGB or RGBA)."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(_SIGNATURE)
    idat = []
    width = height = color = depth = interlace = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError(
            f"unsupported PNG (bit depth {depth}, colour type {color}, interlace {interlace}); "
            "save the sprite as 8-bit RGB(A) or greyscale without interlacing"
        )
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    pixels = _unfilter(raw, height, width * channels, channels).reshape(height, width, channels)
    if channels == 4:
        return pixels
    if channels == 3:
        return np.concatenate([pixels, np.full((height, width, 1), 255, np.uint8)], axis=2)
    grey = pixels[..., :1]
    alpha = pixels[..., 1:2] if channels == 2 else np.full((height, width, 1), 255, np.uint8)
    return np.concatenate([grey, grey, grey, alpha], axis=2)


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
        import io

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
    """(H, W, 4) uint8 RGBA of an image file: Pillow or TensorFlow when installed, else PNG here.

    ValueError when it is not an image or is larger than MAX_SIDE on a side.
    """
    with open(path, "rb") as f:
        data = f.read()
    width, height = image_size(data)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(
            f"{path} is {width}x{height} px; a sprite sheet can be at most {MAX_SIDE}x{MAX_SIDE} "
            "(the WebGL texture limit TensorBoard's projector has too): use smaller thumbnails"
        )
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGBA"))
    except ImportError:
        pass
    try:
        import tensorflow as tf

        return tf.io.decode_image(data, channels=4, expand_animations=False).numpy()
    except ImportError:
        return decode_png(data)
