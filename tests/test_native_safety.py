"""Native code (openTSNE, umap-learn, faiss) never takes the process down, whatever the input.

Each library runs every degenerate case in one child process (a crash there would kill the test
runner otherwise); the child reports each case as it finishes, so a crash names the case.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    # umap-learn imports TensorFlow when it can (for ParametricUMAP, which no case uses): 10+ s of
    # start-up for this child, so it finds none.
    sys.modules["tensorflow"] = None
    from projector_widget import Projector

    rng = np.random.default_rng(0)
    inputs = {
        "all zero": np.zeros((100, 3)),
        "all rows equal": np.full((100, 8), 5.0),
        "all equal, wide": np.ones((100, 80)),
        "values near 1e-30": rng.standard_normal((100, 8)) * 1e-30,
        "values near 1e18": rng.standard_normal((100, 8)) * 1e18,
        "two distinct rows": np.repeat(rng.standard_normal((2, 8)), 50, axis=0),
        "five rows": rng.standard_normal((5, 4)),
        "ninety duplicates": np.vstack([np.ones((90, 8)), rng.standard_normal((10, 8))]),
    }
    params = {
        "tsne": [{"n_iter": 30}, {"n_iter": 30, "dims": 3}],
        "umap": [{"n_neighbors": 4}],
    }
    bad_params = {
        "tsne": [{"learning_rate": float("nan")}, {"learning_rate": float("inf")},
                 {"perplexity": float("inf")}, {"perplexity": 1e-9}, {"n_iter": 10**9},
                 {"seed": -1}, {"seed": 2**40}, {"dims": True}],
        "umap": [{"min_dist": float("nan")}, {"n_neighbors": 0}, {"n_neighbors": 2.5},
                 {"seed": 2**40}, {"metric": "chebyshev"}],
    }
    lib = sys.argv[1]

    def report(case, outcome):
        print(json.dumps([case, outcome]), flush=True)

    for name, x in inputs.items():
        w = Projector(x)
        if lib == "ann":
            for options in ({}, {"nlist": 1}, {"seed": 2**40}, {"nprobe": 0}):
                try:
                    w.build_index("cosine", **options)
                    _idx, dist = w.nearest(0, 5)
                    outcome = "finite" if np.all(np.isfinite(dist)) else "NON-FINITE"
                except (ValueError, TypeError) as exc:
                    outcome = "error: " + str(exc)
                report(f"{name} {options}", outcome)
            continue
        for p in params[lib]:
            try:
                w.project(lib, wait=True, **p)
                outcome = "finite" if np.all(np.isfinite(w.coordinates)) else "NON-FINITE"
            except ValueError as exc:
                outcome = "error: " + str(exc)
            report(f"{name} {p}", outcome)
    if lib != "ann":
        w = Projector(rng.standard_normal((60, 6)))
        for p in bad_params[lib]:
            try:
                w.project(lib, wait=True, **p)
                outcome = "ACCEPTED"
            except ValueError as exc:
                outcome = "error: " + str(exc)
            report(f"parameters {p}", outcome)
    print("SURVIVED", flush=True)
    """
)


@pytest.mark.parametrize(
    ("lib", "module"), [("tsne", "openTSNE"), ("umap", "umap"), ("ann", "faiss")]
)
def test_native_code_survives_degenerate_inputs(lib, module):
    pytest.importorskip(module)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, lib], capture_output=True, text=True, timeout=600, check=False
    )
    lines = proc.stdout.splitlines()
    results = [json.loads(line) for line in lines if line.startswith("[")]
    last = results[-1][0] if results else "(before the first case)"
    assert proc.returncode == 0 and lines and lines[-1] == "SURVIVED", (
        f"the {lib} child died (exit {proc.returncode}) after case {last!r}:\n{proc.stderr[-2000:]}"
    )
    for case, outcome in results:
        assert outcome == "finite" or outcome.startswith("error: "), (case, outcome)
        if outcome.startswith("error: "):
            assert "Traceback" not in outcome and len(outcome) > 20, (case, outcome)
    by_case = dict(results)
    if lib in ("tsne", "umap"):
        assert by_case[
            "all rows equal " + str({"n_iter": 30} if lib == "tsne" else {"n_neighbors": 4})
        ].startswith("error: ")
        assert all(o.startswith("error: ") for c, o in results if c.startswith("parameters"))
