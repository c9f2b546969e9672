"""diagnose(): every reason TensorBoard's projector shows nothing, on logdirs real TF wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from projector_widget import diagnose
from projector_widget.__main__ import main

tf = pytest.importorskip("tensorflow")
from tensorboard.plugins import projector as tb_projector  # noqa: E402


def build(
    root: Path,
    n: int = 20,
    *,
    metadata: str | bytes | None = None,
    tensor_name: str = "embedding/.ATTRIBUTES/VARIABLE_VALUE",
    values: np.ndarray | None = None,
    sprite: tuple[tuple[int, int], tuple[int, int]] | None = None,
    metadata_path: str = "metadata.tsv",
) -> Path:
    """A TF 2 tutorial-style logdir (checkpoint + config), optionally broken."""
    root.mkdir(parents=True, exist_ok=True)
    x = (
        np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
        if values is None
        else values
    )
    tf.train.Checkpoint(embedding=tf.Variable(x)).save(str(root / "embedding.ckpt"))
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = tensor_name
    if metadata is not None:
        data = metadata.encode() if isinstance(metadata, str) else metadata
        (root / "metadata.tsv").write_bytes(data)
        emb.metadata_path = metadata_path
    if sprite is not None:
        (w, h), (sw, sh) = sprite
        img = np.zeros((sh, sw, 4), np.uint8)
        (root / "sprite.png").write_bytes(tf.io.encode_png(img).numpy())
        emb.sprite.image_path = "sprite.png"
        emb.sprite.single_image_dim.extend([w, h])
    tb_projector.visualize_embeddings(str(root), config)
    return root


def labels(n: int) -> str:
    return "".join(f"w{i}\n" for i in range(n))


def test_healthy_logdir_passes(tmp_path):
    report = diagnose(build(tmp_path / "ok", metadata=labels(20), sprite=((4, 4), (20, 20))))
    assert report.ok, str(report)
    assert "tensor 20 x 4" in str(report)


def test_missing_config_and_checkpoint(tmp_path):
    (tmp_path / "empty").mkdir()
    report = diagnose(tmp_path / "empty")
    assert report.codes() == ["config-missing"]
    assert "No checkpoint was found" in str(report)
    assert diagnose(tmp_path / "nope").codes() == ["logdir-missing"]


def test_tensor_name_not_in_checkpoint(tmp_path):
    report = diagnose(build(tmp_path / "log", tensor_name="embeddings_typo"))
    assert "tensor-name" in report.codes()
    assert "embedding/.ATTRIBUTES/VARIABLE_VALUE" in str(report)


def test_metadata_row_count_both_counts(tmp_path):
    report = diagnose(build(tmp_path / "log", metadata=labels(17)))
    assert report.codes() == ["metadata-rows"]
    assert "17 data rows but the tensor has 20 rows" in str(report)


def test_single_column_with_header_is_off_by_one(tmp_path):
    report = diagnose(build(tmp_path / "log", metadata="word\n" + labels(20)))
    assert report.codes() == ["metadata-rows"]
    assert "21 data rows" in str(report) and "header" in str(report) and "off by one" in str(report)


def test_several_columns_without_header(tmp_path):
    rows = "".join(f"w{i}\t{i % 2}\n" for i in range(20))
    report = diagnose(build(tmp_path / "log", metadata=rows))
    assert report.codes() == ["metadata-rows"]
    assert "19 data rows" in str(report) and "add a header line" in str(report)
    assert "'w0\\t0', looks like data" in str(report)


def test_several_columns_with_header_and_a_row_missing(tmp_path):
    # The header is there: the hint must not ask for one, but say a row is missing.
    rows = "word\tlabel\n" + "".join(f"w{i}\t{i % 2}\n" for i in range(19))
    report = diagnose(build(tmp_path / "log", metadata=rows))
    assert report.codes() == ["metadata-rows"]
    text = str(report)
    assert "19 data rows" in text and "add a header line" not in text
    assert "'word\\tlabel', is a header, so one data row is missing" in text


def test_several_text_columns_a_row_short_name_both_causes(tmp_path):
    # Text columns whose first line could be a header or a row: both causes are named.
    rows = "".join(f"w{i}\tk{i}\n" for i in range(20))
    report = diagnose(build(tmp_path / "log", metadata=rows))
    text = str(report)
    assert "either a data row is missing" in text and "add a header line" in text


def test_metadata_that_is_not_text(tmp_path):
    report = diagnose(build(tmp_path / "log", metadata=np.arange(20.0).tobytes() + b"\xff\xfe"))
    assert report.codes() == ["metadata-not-text"]


def test_metadata_outside_logdir(tmp_path):
    (tmp_path / "elsewhere.tsv").write_text(labels(20))
    report = diagnose(
        build(tmp_path / "log", metadata=labels(20), metadata_path="../elsewhere.tsv")
    )
    assert report.codes() == ["asset-outside"]


def test_sprite_too_small_for_the_points(tmp_path):
    report = diagnose(build(tmp_path / "log", sprite=((4, 4), (16, 16))))
    assert report.codes() == ["sprite-size"]
    assert "room for 16 images" in str(report) and "there are 20 points" in str(report)


def test_nan_rows(tmp_path):
    x = np.ones((20, 4), np.float32)
    x[[3, 9]] = np.nan
    report = diagnose(build(tmp_path / "log", values=x))
    assert report.codes() == ["tensor-nonfinite"]
    assert "2 row(s)" in str(report) and "first row 3" in str(report)


def test_command_line_exit_codes(tmp_path, capsys):
    good = build(tmp_path / "good", metadata=labels(20))
    assert main(["diagnose", str(good)]) == 0
    assert "no problems found" in capsys.readouterr().out
    # The broken logdir through `python -m` in a process of its own, once, to check the wiring;
    # its tensor is a TSV file, which needs no TensorFlow (a checkpoint would import it again
    # there: 10 s).
    bad = tmp_path / "bad"
    bad.mkdir()
    np.savetxt(bad / "tensors.tsv", np.ones((20, 4)), delimiter="\t")
    (bad / "metadata.tsv").write_text(labels(19))
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name, emb.tensor_path, emb.metadata_path = "words", "tensors.tsv", "metadata.tsv"
    tb_projector.visualize_embeddings(str(bad), config)
    run = [sys.executable, "-m", "projector_widget", "diagnose"]
    broken = subprocess.run([*run, str(bad)], capture_output=True, text=True, check=False)
    assert broken.returncode == 1 and "19 data rows but the tensor has 20" in broken.stdout
