"""TSV tensors and PNG sprite sheets: this package's readers and writers against pandas, and
against the hand-written versions they replaced (read from git, commit 51ff272).

Usage: python benchmarks/formats.py [--rows 200000] [--dims 64] [--side 4096] [--old-rows 256]
                                   [--repeat 3]

Prints one Markdown table: TSV read and write seconds of a rows x dims float32 tensor (ours,
pandas.read_csv / DataFrame.to_csv, the old Python parser and writer; reads are the best of
--repeat runs, ours with a tqdm bar, as ``Projector.from_tsv`` reads when tqdm is installed,
and without progress, as without tqdm), file sizes, and the
decode seconds of a side x side RGBA sprite sheet saved by Pillow (which filters rows, Paeth
included, as real sprite sheets are). The old per-byte PNG decoder takes minutes at 4096, so it
decodes the first --old-rows rows and its time is scaled to the whole sheet (marked "est.").
Needs pandas and Pillow.
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from projector_widget.formats.png import read_image
from projector_widget.formats.tsv import read_tensor_tsv, write_tensor_tsv

OLD = "51ff272"


def old_functions(path: str, names: list[str]) -> dict[str, Any]:
    """The named top-level functions (and what they need) of a file at commit OLD."""
    source = subprocess.run(
        ["git", "show", f"{OLD}:{path}"], capture_output=True, text=True, check=True
    ).stdout
    tree = ast.parse(source)
    scope: dict[str, Any] = {"np": np, "struct": __import__("struct"), "zlib": __import__("zlib")}
    for node in tree.body:
        wanted = isinstance(node, ast.FunctionDef) and (node.name in names or node.name[0] == "_")
        wanted |= isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "_SIGNATURE"
        if wanted:
            code = compile(
                ast.Module([node], []), path, "exec", flags=annotations.compiler_flag
            )  # the __future__ feature
            exec(code, scope)
    return scope


def seconds(fn: Any, repeat: int = 1) -> float:
    """The least wall-clock seconds of ``repeat`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--side", type=int, default=4096)
    parser.add_argument("--old-rows", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    old_tsv = old_functions(
        "projector_widget/formats/tsv.py", ["read_tensor_tsv", "write_tensor_tsv"]
    )
    old_png = old_functions("projector_widget/formats/png.py", ["decode_png"])
    x = np.random.default_rng(0).standard_normal((args.rows, args.dims)).astype(np.float32)
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs, old = Path(tmp, "ours.tsv"), Path(tmp, "pandas.tsv"), Path(tmp, "old.tsv")
        w_ours = seconds(lambda: write_tensor_tsv(ours, x))
        w_pd = seconds(lambda: pd.DataFrame(x).to_csv(theirs, sep="\t", header=False, index=False))
        w_old = seconds(lambda: old_tsv["write_tensor_tsv"](old, x))
        n = args.repeat
        r_bar = seconds(lambda: read_tensor_tsv(ours, progress=True), n)  # a tqdm bar
        r_ours = seconds(lambda: read_tensor_tsv(ours, progress=False), n)
        r_pd = seconds(
            lambda: pd.read_csv(ours, sep="\t", header=None, dtype=np.float32).to_numpy(), n
        )
        r_old = seconds(lambda: old_tsv["read_tensor_tsv"](ours))
        assert np.array_equal(read_tensor_tsv(ours).view(np.uint32), x.view(np.uint32))
        shape = f"{args.rows:,} x {args.dims} float32"
        rows += [
            (
                f"TSV write, {shape}",
                f"{w_ours:.2f} s",
                f"pandas {w_pd:.2f} s ({w_pd / w_ours:.1f}x); "
                f"old {w_old:.2f} s ({w_old / w_ours:.1f}x)",
            ),
            (
                f"TSV read, {shape}, with a tqdm bar",
                f"{r_bar:.2f} s",
                f"pandas {r_pd:.2f} s ({r_pd / r_bar:.1f}x); "
                f"ours without progress {r_ours:.2f} s ({r_ours / r_bar:.1f}x)",
            ),
            (
                f"TSV read, {shape}",
                f"{r_ours:.2f} s",
                f"pandas {r_pd:.2f} s ({r_pd / r_ours:.1f}x); "
                f"old {r_old:.2f} s ({r_old / r_ours:.1f}x)",
            ),
            (
                "TSV file size",
                f"{ours.stat().st_size / 1e6:.1f} MB",
                f"pandas {theirs.stat().st_size / 1e6:.1f} MB; old {old.stat().st_size / 1e6:.1f} MB",
            ),
        ]
        rng = np.random.default_rng(1)  # smooth tiles plus noise: what thumbnails look like
        base = np.indices((args.side, args.side)).sum(axis=0) % 256
        sheet = np.stack([base, base.T, (base * 3) % 256, 255 + 0 * base], axis=2)
        sheet = np.clip(sheet + rng.integers(-8, 9, sheet.shape), 0, 255).astype(np.uint8)
        sheet[..., 3] = 255
        png = Path(tmp, "sprite.png")
        Image.fromarray(sheet, "RGBA").save(png)
        d_ours = seconds(lambda: read_image(str(png)))
        band = io.BytesIO()
        Image.fromarray(sheet[: args.old_rows], "RGBA").save(band, format="PNG")
        d_old = seconds(lambda: old_png["decode_png"](band.getvalue())) * args.side / args.old_rows
        rows.append(
            (
                f"PNG decode, {args.side} x {args.side} RGBA sprite sheet",
                f"{d_ours:.2f} s",
                f"old {d_old:.1f} s est. ({d_old / d_ours:.0f}x)",
            )
        )
    print("| | ours | others (how many times slower) |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
