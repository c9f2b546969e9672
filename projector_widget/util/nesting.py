"""How deep JSON nests, measured without recursion, so that no input reaches Python's limit.

JSON from outside (a message from the page, a bookmarks file) may nest arrays and objects
thousands of levels deep; ``json.loads``, ``repr`` and any recursive walk of such a value raise
RecursionError. Readers refuse what nests deeper than they need, before anything recurses:
:func:`deeper_than` for a value already parsed, :func:`loads` for JSON text.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Deeper than any message, bookmark or bookmarks file nests (they need at most 6 levels), and
#: far below the depth where parsing or printing a value recurses too deep.
MAX_DEPTH = 32

# A JSON string (its closing quote optional: an unterminated one runs to the end) or a bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists, tuples and dicts more than ``limit`` levels deep (a scalar
    is 0 levels, ``[1]`` one); the walk stops at the first container past the limit."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if level + 1 > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def text_deeper_than(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON ``text`` opens more than ``limit`` arrays and objects at once (brackets
    inside strings do not count); a scan of the brackets, nothing is parsed."""
    level = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            level += 1
            if level > limit:
                return True
        elif token in ("]", "}"):
            level -= 1
    return False


def loads(text: str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads(text)``, refusing text that nests more than ``limit`` levels deep with a
    ValueError (``json.JSONDecodeError``, also a ValueError, for text that is not JSON)."""
    if text_deeper_than(text, limit):
        raise ValueError(
            f"it nests arrays and objects more than {limit} levels deep (at most {limit} are read)"
        )
    return json.loads(text)
