"""Metadata values as display text: what a tooltip, a label, a search, a saved page or a file
shows of a value, and whether a value is missing.

Text keeps a value's identity (an integer exactly, a float in the shortest form that reads back
as the same number) and is always valid Unicode, whatever the value held.
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt


def value_text(value: object) -> str | None:
    """Display text of one metadata value that keeps its identity; None when it is missing.

    Integers are written exactly (an ID 1234567 stays 1234567), floats in the shortest form
    that reads back as the same number in their own precision (0.1122334, float32 0.1 as 0.1).
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.floating):
        return str(value)  # NumPy prints the shortest repr that round-trips in its precision
    if isinstance(value, float):
        return repr(value)
    return valid_text(str(value))


#: Surrogates that stand for no byte: lone halves of a UTF-16 pair (U+D800..U+DBFF) and the
#: low ones below the bytes surrogateescape writes (U+DC00..U+DC7F).
_NO_BYTE = re.compile("[\ud800-\udc7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode (what can be encoded, shown, saved), keeping what can be kept.

    Python strings may hold lone surrogates: os.listdir and sys.argv give a byte that is not
    UTF-8 as U+DC80..U+DCFF (b"caf\xe9.png" is "caf\udce9.png"). Those bytes are decoded as
    UTF-8 where they form characters ("\udcc3\udca9" is "é"), a surrogate pair is its character,
    and what stands for nothing (an undecodable byte, a lone half) is U+FFFD.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return text
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    escaped = _NO_BYTE.sub("\ufffd", paired)
    return escaped.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_missing(value: object) -> bool:
    """True for None, NaN, and pandas' NA/NaT (recognised without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def missing_mask(obj: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`is_missing` over an object array (pandas speeds it up when present)."""
    try:
        import pandas as pd  # noqa: PLC0415 - optional speed-up
    except ImportError:
        return np.fromiter((is_missing(v) for v in obj), dtype=bool, count=obj.size)
    return np.asarray(pd.isna(obj), dtype=bool)
