"""Search metadata columns by substring or regular expression.

A substring is matched literally (nothing in it can backtrack). A regular expression comes from
the user (``w.search``, the page's search box, the axes of a custom projection), so it runs on
RE2 (google-re2, the ``search`` extra), which matches in time linear in the text: no pattern can
hang the kernel the way a backtracking engine hangs on ``^(a+)+$`` over ``"aaaa...!"``. RE2
has no construct that needs backtracking (backreferences, lookaround, atomic groups, possessive
quantifiers); a pattern using one is refused with a message naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column
from projector_widget.data.text import valid_text
from projector_widget.util.extras import imported, install_line

#: How to get the engine regular expressions run on.
SEARCH_EXTRA = install_line("search")

#: A compiled query: whether a display text matches it.
Matcher = Callable[[str], bool]

#: RE2's "invalid perl operator" errors end with the operator; what each one is.
_OPERATORS = (
    ("(?=", "lookahead ((?=...))"),
    ("(?!", "negative lookahead ((?!...))"),
    ("(?<=", "lookbehind ((?<=...))"),
    ("(?<!", "negative lookbehind ((?<!...))"),
    ("(?P", "a named backreference ((?P=name))"),
    ("(?>", "an atomic group ((?>...))"),
    ("(?#", "a comment ((?#...))"),
)


def compile_query(pattern: str, *, regex: bool, case: bool) -> Matcher:
    """A matcher for ``pattern``: a literal substring unless ``regex``, case-blind unless
    ``case``; it is matched against display text, and is made valid Unicode the same way
    (:func:`~projector_widget.data.text.valid_text`). ValueError on a pattern that is not valid or that RE2 cannot run; ImportError
    naming the ``search`` extra when a regular expression is asked for without it."""
    if not isinstance(pattern, str):
        raise TypeError(f"the search pattern must be a string, got {type(pattern).__name__}")
    pattern = valid_text(pattern)  # as values are shown: "caf\udce9" finds "caf\ufffd"
    if not regex:
        literal = re.compile(re.escape(pattern), 0 if case else re.IGNORECASE)
        return lambda text: literal.search(text) is not None
    re2 = imported(
        "re2",
        "a regular-expression search needs google-re2, which matches in linear time (a "
        "backtracking engine can hang the kernel on a pattern such as ^(a+)+$)",
        "search",
        note="; a plain substring search (regex=False) needs nothing",
    )
    options = re2.Options()
    options.case_sensitive = case
    options.log_errors = False  # the error is raised below, not printed by RE2 as well
    options.never_capture = True  # only whether it matches: a third faster
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        raise ValueError(_refusal(pattern, exc)) from None
    # UTF-8 bytes: RE2's own text, without the conversion of match offsets back to characters.
    return lambda text: compiled.search(text.encode("utf-8")) is not None


def _refusal(pattern: str, exc: Exception) -> str:
    """Why ``pattern`` cannot run: Python's own error when it is not a regular expression at
    all, else what RE2 lacks (its error ``exc`` names the construct)."""
    try:
        re.compile(pattern)
    except re.error as python_error:
        return f"invalid regular expression {pattern!r}: {python_error}"
    raw = exc.args[0] if exc.args else ""
    message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    what = None
    backreference = re.fullmatch(r"invalid escape sequence: (\\[1-9][0-9]*)", message)
    if backreference:
        what = f"a backreference ({backreference.group(1)})"
    elif message.startswith("invalid perl operator: "):
        what = next((name for op, name in _OPERATORS if message.endswith(op)), None)
    elif message.startswith("bad repetition operator: ") and message.endswith("+"):
        what = f"a possessive quantifier ({message.rsplit(' ', 1)[-1]})"
    elif message.startswith("invalid repetition size: "):
        what = f"a repetition count above 1000 ({message.rsplit(' ', 1)[-1]})"
    elif message.startswith("invalid escape sequence: "):
        what = f"the escape {message.rsplit(' ', 1)[-1]} (\\z ends the text in RE2, not \\Z)"
    engine = (
        "searches run on RE2, which matches in linear time (so no pattern can hang the "
        "kernel) and has no backreferences, lookaround, atomic groups or possessive quantifiers"
    )
    if what is None:
        return f"regular expression {pattern!r} cannot run: {engine}; RE2 says: {message}"
    return (
        f"regular expression {pattern!r} uses {what}, which is not supported: {engine}; rewrite "
        "the pattern without it, or search for a plain substring (regex=False)"
    )


def search(
    columns: list[Column],
    pattern: str,
    *,
    column: str | None = None,
    regex: bool = False,
    case: bool = False,
) -> npt.NDArray[np.int64]:
    """Row indices whose value in ``column`` (or any column when None) matches ``pattern``."""
    if not columns:
        raise ValueError("there is no metadata to search; pass metadata to Projector(...)")
    if column:
        chosen = [c for c in columns if c.name == column]
        if not chosen:
            raise ValueError(
                f"there is no metadata column {column!r}; columns are {[c.name for c in columns]}"
            )
    else:
        chosen = columns
    matches = compile_query(pattern, regex=regex, case=case)
    n = chosen[0].values.shape[0]
    hits = np.zeros(n, dtype=bool)
    for col in chosen:
        if col.kind == "category":
            # Match each category once, then map through the codes.
            assert col.codes is not None
            ok = np.array(
                [i != col.missing_code and matches(cat) for i, cat in enumerate(col.categories)],
                dtype=bool,
            )
            hits |= ok[col.codes]
        else:
            texts = (col.text(i) for i in range(n))  # formatted once per row
            hits |= np.fromiter((t is not None and matches(t) for t in texts), dtype=bool, count=n)
    return np.flatnonzero(hits).astype(np.int64)
