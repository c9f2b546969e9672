"""compute/search.py: substring and regular-expression search over metadata columns.

A regular expression comes from the user (``w.search``, the page's search box, a custom
projection's axes), so it runs on a linear-time engine (RE2, the ``search`` extra): no pattern
can hang the kernel. A catastrophic pattern runs in a child process with a timeout, so a hang
fails the test instead of hanging pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from projector_widget import Projector
from projector_widget.compute.search import search
from projector_widget.data.columns import make_column

CATASTROPHIC = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    sys.path.insert(0, sys.argv[1])  # tests/, for the browser's end of the comm
    from frontend import send_from_browser
    from projector_widget import Projector

    # Rows like "aaaa...!": a backtracking engine tries 2^k ways to split the a's for ^(a+)+$.
    rows = ["a" * (20 + i % 40) + "!" for i in range(400)]
    w = Projector(np.random.default_rng(0).standard_normal((400, 4)), {"s": rows})
    sent = []
    w.send = lambda content, buffers=None: sent.append(content)
    start = time.perf_counter()
    hits = w.search("^(a+)+$", column="s", regex=True).tolist()
    send_from_browser(w, {"type": "search", "query": "^(a+)+$", "column": "", "regex": True})
    print(json.dumps({"seconds": time.perf_counter() - start, "hits": hits, "reply": sent[-1]}))
    """
)


def test_a_catastrophic_pattern_answers_within_a_second(tmp_path) -> None:
    pytest.importorskip("re2")
    script = tmp_path / "catastrophic.py"
    script.write_text(CATASTROPHIC)
    tests = str(Path(__file__).parent)
    try:
        done = subprocess.run(
            [sys.executable, str(script), tests],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the search of ^(a+)+$ did not answer in 60 s: the kernel would hang")
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["hits"] == []
    assert found["reply"] == {"type": "search", "query": "^(a+)+$", "count": 0}
    assert found["seconds"] < 1.0


def _columns():
    return [
        make_column("word", ["king", "queen", "kingdom", "aa", "Abba", None], 6),
        make_column("kind", ["royal", "royal", "place", "x", "x", "x"], 6),
    ]


def test_regular_expressions_match_as_before() -> None:
    pytest.importorskip("re2")
    cols = _columns()
    assert search(cols, "^(king|queen)$", column="word", regex=True).tolist() == [0, 1]
    assert search(cols, "^KING", column="word", regex=True).tolist() == [0, 2]  # case-blind
    assert search(cols, "^KING", column="word", regex=True, case=True).size == 0
    assert search(cols, "^ab+a$", regex=True).tolist() == [4]
    assert search(cols, "(a)", column="word", regex=True, case=True).tolist() == [3, 4]
    accents = [make_column("w", ["CAFÉ", "cafe", "Ünïcödé"], 3)]
    assert search(accents, "^caf[é]$", regex=True).tolist() == [0]  # Unicode case folding
    assert search(accents, "^ü.*É$", regex=True).tolist() == [2]
    with pytest.raises(ValueError, match=r"invalid regular expression '\(': missing \)"):
        search(cols, "(", regex=True)


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (r"(a)\1", r"backreference \(\\1\)"),
        (r"(?P<x>a)(?P=x)", r"named backreference \(\(\?P=name\)\)"),
        (r"king(?=dom)", r"lookahead \(\(\?=\.\.\.\)\)"),
        (r"king(?!dom)", r"negative lookahead"),
        (r"(?<=a)b", r"lookbehind \(\(\?<=\.\.\.\)\)"),
        (r"(?<!a)b", r"negative lookbehind"),
        (r"(?>a)", r"atomic group"),
        (r"a++", r"possessive quantifier"),
    ],
)
def test_syntax_re2_lacks_is_named(pattern: str, what: str) -> None:
    pytest.importorskip("re2")
    with pytest.raises(ValueError, match=f"{what}.*not supported") as info:
        search(_columns(), pattern, regex=True)
    assert "linear time" in str(info.value) and "regex=False" in str(info.value)


def test_without_the_extra_a_regex_names_it_and_a_substring_needs_nothing(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "re2", None)  # as if google-re2 were not installed
    cols = _columns()
    with pytest.raises(ImportError, match=r'pip install "projector-widget\[search\]"'):
        search(cols, "^king", regex=True)
    assert search(cols, "KING", column="word").tolist() == [0, 2]
    assert search(cols, "(a)", case=True).tolist() == []  # a literal, not a group
    w = Projector(np.eye(6), {"word": ["king", "queen", "kingdom", "aa", "Abba", None]})
    with pytest.raises(ImportError, match=r"projector-widget\[search\]"):
        w.search("^k", regex=True)
    assert w.search("k").tolist() == [0, 2]
