"""TSV and TensorBoard files, checked against real TensorFlow and a real TensorBoard server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from projector_widget import Projector
from projector_widget.formats.png import encode_png, read_image
from projector_widget.util.extras import MissingExtra

try:  # TensorFlow checks what it writes and reads; TSV, PNG and HTML are tested without it too
    import tensorflow as tf
    from tensorboard.plugins import projector as tb_projector
except ImportError:  # pragma: no cover - the tensorflow extra is not installed
    tf = tb_projector = None
needs_tf = pytest.mark.skipif(tf is None, reason="needs the tensorflow extra")


def _emb(n=40, d=6, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


# ----------------------------------------------------------------------------- TSV
def test_tsv_round_trip_keeps_rows_with_tabs_and_newlines(tmp_path):
    x = _emb()
    labels = [f"w{i}" for i in range(40)]
    labels[3] = "tab\there"
    labels[5] = "two\nlines"
    w = Projector(x, {"word": labels, "n": np.arange(40)})
    tensors, meta = w.to_tsv(tmp_path)
    lines = meta.read_text().split("\n")
    assert lines[0] == "word\tn" and len(lines) == 42  # header + 40 rows + final newline
    back = Projector.from_tsv(tensors, meta)
    np.testing.assert_allclose(back.embeddings, x)
    md = back.metadata  # exact through the sidecar; TensorBoard reads spaces in the TSV
    assert md["word"][3] == "tab\there" and md["word"][5] == "two\nlines" and md["word"][6] == "w6"
    assert lines[4] == "tab here\t3" and md["n"][39] == 39
    (tmp_path / "metadata.tsv.json").unlink()  # without it, the TSV as TensorBoard shows it
    plain = Projector.from_tsv(tensors, meta).metadata
    assert plain["word"][3] == "tab here" and plain["word"][5] == "two lines"


def test_single_column_metadata_has_no_header(tmp_path):
    w = Projector(_emb(), [f"w{i}" for i in range(40)])
    _, meta = w.to_tsv(tmp_path)
    assert meta.read_text().split("\n")[0] == "w0"
    assert Projector.from_tsv(tmp_path / "tensors.tsv", meta).metadata["label"][0] == "w0"


def test_tsv_errors_are_precise(tmp_path):
    (tmp_path / "t.tsv").write_text("1\t2\n3\n")
    with pytest.raises(ValueError, match="line 2 has 1 values but the first row has 2"):
        Projector.from_tsv(tmp_path / "t.tsv")
    (tmp_path / "t.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_text("a\nb\nc\n")
    with pytest.raises(ValueError, match="3 rows but embeddings have 2 rows.*header"):
        Projector.from_tsv(tmp_path / "t.tsv", tmp_path / "m.tsv")


def test_png_round_trip(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (13, 7, 4)).astype(np.uint8)
    (tmp_path / "sprite.png").write_bytes(encode_png(img))
    np.testing.assert_array_equal(read_image(str(tmp_path / "sprite.png")), img)  # Pillow
    if tf is not None:
        np.testing.assert_array_equal(tf.io.decode_png(encode_png(img), channels=4).numpy(), img)


# ----------------------------------------------------------------------------- reading TF files
def _tutorial_logdir(root: Path, x: np.ndarray, metadata_lines: list[str] | None) -> Path:
    """What TensorFlow's own projector tutorial writes: a checkpoint and a config."""
    root.mkdir(parents=True, exist_ok=True)
    if metadata_lines is not None:
        (root / "metadata.tsv").write_text("".join(line + "\n" for line in metadata_lines))
    ckpt = tf.train.Checkpoint(embedding=tf.Variable(x))
    ckpt.save(str(root / "embedding.ckpt"))
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    if metadata_lines is not None:
        emb.metadata_path = "metadata.tsv"
    tb_projector.visualize_embeddings(str(root), config)
    return root


@needs_tf
def test_from_tensorboard_tutorial_checkpoint(tmp_path):
    x = _emb()
    logdir = _tutorial_logdir(tmp_path / "log", x, [f"word{i}" for i in range(40)])
    w = Projector.from_tensorboard(logdir)
    np.testing.assert_array_equal(w.embeddings, x)
    assert w.metadata["label"][7] == "word7"
    w2 = Projector.from_tensorboard(logdir, tensor_name="embedding")
    assert w2.n_points == 40


@needs_tf
def test_from_tensorboard_multi_column_header_sprite_bookmarks(tmp_path):
    x = _emb()
    logdir = tmp_path / "log"
    logdir.mkdir()
    np.savetxt(logdir / "vecs.tsv", x, delimiter="\t")
    (logdir / "meta.tsv").write_text(
        "word\tkind\n" + "".join(f"w{i}\t{i % 3}\n" for i in range(40))
    )
    imgs = np.zeros((40, 4, 5, 4), np.uint8)
    imgs[..., 3] = 255
    imgs[:, :, :, 0] = np.arange(40)[:, None, None] * 6
    sheet = np.zeros((7 * 4, 7 * 5, 4), np.uint8)
    for i in range(40):
        r, c = divmod(i, 7)
        sheet[r * 4 : (r + 1) * 4, c * 5 : (c + 1) * 5] = imgs[i]
    (logdir / "sprite.png").write_bytes(tf.io.encode_png(sheet).numpy())
    (logdir / "marks.json").write_text(
        json.dumps(
            [
                {
                    "label": "first view",
                    "selectedPoints": [1, 2],
                    "selectedProjection": "pca",
                    "pcaComponentDimensions": [0, 1, 2],
                    "selectedColorOptionName": "kind",
                }
            ]
        )
    )
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = "vecs"
    emb.tensor_path = "vecs.tsv"
    emb.metadata_path = "meta.tsv"
    emb.bookmarks_path = "marks.json"
    emb.sprite.image_path = "sprite.png"
    emb.sprite.single_image_dim.extend([5, 4])
    tb_projector.visualize_embeddings(str(logdir), config)
    w = Projector.from_tensorboard(logdir)
    np.testing.assert_allclose(w.embeddings, x, rtol=1e-6)
    assert list(w.metadata.columns) == ["word", "kind"] and w.metadata["word"][0] == "w0"
    assert w.columns["kind"] == "category"
    assert w._parts.images is not None and w._parts.images[9, 0, 0, 0] == 54
    assert w.bookmarks == [{"name": "first view"}]
    w.restore_bookmark("first view")
    assert w.selected.tolist() == [1, 2] and w.color_by == "kind"


@needs_tf
def test_several_embeddings_need_a_name_and_slots_are_skipped(tmp_path):
    logdir = tmp_path / "log"
    logdir.mkdir()
    words = tf.Variable(_emb(30, 4))
    docs = tf.Variable(_emb(12, 4, seed=1))
    opt = tf.keras.optimizers.Adam()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(words**2) + tf.reduce_sum(docs**2)
    opt.apply_gradients(zip(tape.gradient(loss, [words, docs]), [words, docs], strict=True))
    tf.train.Checkpoint(words=words, docs=docs, optimizer=opt).save(str(logdir / "ckpt"))
    config = tb_projector.ProjectorConfig()
    template = config.embeddings.add()  # no tensor name: a template for every 2-D variable
    (logdir / "labels.tsv").write_text("".join(f"x{i}\n" for i in range(30)))
    template.metadata_path = "labels.tsv"
    tb_projector.visualize_embeddings(str(logdir), config)
    with pytest.raises(ValueError, match="holds 2 embeddings; pick one with tensor_name=") as err:
        Projector.from_tensorboard(logdir)
    assert "optimizer" not in str(err.value) and "words/.ATTRIBUTES" in str(err.value)
    w = Projector.from_tensorboard(logdir, tensor_name="words")
    assert w.embeddings.shape == (30, 4) and w.metadata["label"][29] == "x29"
    with pytest.raises(ValueError, match="no embedding named 'nope'"):
        Projector.from_tensorboard(logdir, tensor_name="nope")
    with pytest.raises(ValueError, match="12 rows"):
        Projector.from_tensorboard(logdir, tensor_name="docs")  # the template's labels are 30


# ----------------------------------------------------------------------------- Keras
@needs_tf
def test_from_keras_layer_model_and_vocabulary():
    layer = tf.keras.layers.Embedding(12, 3)
    layer.build((None,))
    w = Projector.from_keras(layer, vocabulary=[f"t{i}" for i in range(12)])
    np.testing.assert_allclose(w.embeddings, layer.get_weights()[0])
    assert w.metadata["token"][11] == "t11"
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Embedding(9, 2, name="emb")])
    assert Projector.from_keras(model, "emb").n_points == 9
    assert Projector.from_keras(model).n_points == 9
    with pytest.raises(
        ValueError, match="vocabulary has 3 tokens but the embedding matrix has 9 rows"
    ):
        Projector.from_keras(model, vocabulary=["a", "b", "c"])
    with pytest.raises(ValueError, match="no layer 'x'"):
        Projector.from_keras(model, "x")


# ----------------------------------------------------------------------------- a real TensorBoard
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


@pytest.fixture
def tensorboard():
    procs = []

    def start(logdir: Path, runs: int = 1) -> str:
        """Serve ``logdir``; return its URL once the projector lists ``runs`` runs."""
        port = _free_port()
        exe = Path(sys.executable).with_name("tensorboard")
        proc = subprocess.Popen(
            [str(exe), "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if len(json.loads(_get(f"{url}/data/plugin/projector/runs"))) >= runs:
                    return url
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"tensorboard did not serve {runs} projector run(s) in 120 s")

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=20)


@needs_tf
def test_to_tensorboard_is_served_by_real_tensorboard(tmp_path, tensorboard):
    x = _emb(30, 5)
    labels = [f"w{i}" for i in range(30)]
    labels[4] = "has\ttab"
    imgs = np.random.default_rng(1).integers(0, 256, (30, 6, 6)).astype(np.uint8)
    w = Projector(x, {"word": labels, "kind": [i % 2 for i in range(30)]}, images=imgs)
    # Both tensor formats, as two runs of one TensorBoard (each server imports TensorFlow: ~10 s).
    # TensorBoard finds runs by their event files: an empty one makes each log directory a run;
    # our writer writes none (the projector needs none).
    formats = ("checkpoint", "tsv")
    for tensor_format in formats:
        config = w.to_tensorboard(tmp_path / "logs" / tensor_format, tensor_format=tensor_format)
        text = config.read_text()
        assert "/" not in "".join(
            line.split('"')[1] for line in text.splitlines() if "path" in line
        )
        tf.summary.create_file_writer(str(config.parent)).close()
    url = tensorboard(tmp_path / "logs", runs=len(formats))
    assert sorted(json.loads(_get(f"{url}/data/plugin/projector/runs"))) == sorted(formats)
    for run in formats:
        info = json.loads(_get(f"{url}/data/plugin/projector/info?run={run}"))
        (emb,) = info["embeddings"]
        name = urllib.parse.quote(emb["tensorName"])
        got = _get(f"{url}/data/plugin/projector/tensor?run={run}&name={name}")
        np.testing.assert_array_equal(np.frombuffer(got, "<f4").reshape(30, 5), x, err_msg=run)
        meta = _get(f"{url}/data/plugin/projector/metadata?run={run}&name={name}").decode()
        meta = meta.split("\n")
        assert meta[0] == "word\tkind" and meta[5] == "has tab\t0" and meta[30] == "w29\t1", run
        sprite = _get(f"{url}/data/plugin/projector/sprite_image?run={run}&name={name}")
        sheet = tf.io.decode_png(sprite, channels=4).numpy()
        assert emb["sprite"]["singleImageDim"] == [6, 6], run
        np.testing.assert_array_equal(sheet[0:6, 6:12, 0], imgs[1], err_msg=run)
        back = Projector.from_tensorboard(tmp_path / "logs" / run)
        np.testing.assert_array_equal(back.embeddings, x, err_msg=run)
        assert back.metadata["word"][4] == "has\ttab", run  # TensorBoard shows a space


def test_to_tensorboard_without_tensorboard_says_writing_and_writes_nothing(tmp_path, monkeypatch):
    # Makes its import fail (tensorboard may be imported already: its config module is blocked).
    monkeypatch.setitem(sys.modules, "tensorboard.plugins.projector.projector_config_pb2", None)
    w = Projector(_emb(30, 5))
    with pytest.raises(MissingExtra, match="^writing TensorBoard projector files needs") as info:
        w.to_tensorboard(tmp_path / "log")
    assert info.value.install == 'pip install "projector-widget[tensorboard]"'
    assert not (tmp_path / "log").exists()


# ----------------------------------------------------------------------------- HTML
def test_html_page_embeds_binary_and_escapes_labels(tmp_path):
    evil = ["</script><script>window.__pwned=1</script>", "<!-- x", "a&b"] + [
        f"w{i}" for i in range(37)
    ]
    w = Projector(_emb(), {"word": evil, "kind": [i % 3 for i in range(40)]})
    page = w.to_html()
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert "window.__pwned" not in page.split('type="text/plain"')[0].split("application/json")[0]
    data = page.split('type="application/json"')[1].split(">", 1)[1].split("</script>")[0]
    payload = json.loads(data)
    assert payload["state"]["_points"]["data"]["$b64"]
    assert set(payload["texts"]) == {"word", "kind"}
    import re

    assert not re.search(r"\[(-?[0-9.e+-]+,){16,}", data), (
        "point data must not be JSON number lists"
    )
    out = w.save_html(tmp_path / "p.html")
    assert out.read_text().startswith("<!DOCTYPE html>") and len(out.read_text()) > 10_000


@needs_tf
def test_binary_tensor_file_with_tensor_shape(tmp_path):
    x = _emb(25, 3)
    logdir = tmp_path / "log"
    logdir.mkdir()
    x.astype("<f4").tofile(logdir / "vectors.bytes")
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = "vectors"
    emb.tensor_path = "vectors.bytes"
    emb.tensor_shape.extend([25, 3])
    tb_projector.visualize_embeddings(str(logdir), config)
    np.testing.assert_array_equal(Projector.from_tensorboard(logdir).embeddings, x)
    del emb.tensor_shape[:]
    emb.tensor_shape.extend([24, 3])
    tb_projector.visualize_embeddings(str(logdir), config)
    with pytest.raises(ValueError, match="holds 75 float32 values but tensor_shape \\[24, 3\\]"):
        Projector.from_tensorboard(logdir)


def test_trailing_missing_labels_survive_tsv_and_tensorboard(tmp_path):
    x = _emb(4, 3)
    w = Projector(x, ["a", "b", None, None])
    tensors, meta = w.to_tsv(tmp_path / "tsv")
    assert meta.read_text() == "a\nb\n\n\n"  # four rows, as TensorBoard reads them
    labels = Projector.from_tsv(tensors, meta).metadata["label"]
    assert labels.tolist()[:2] == ["a", "b"] and labels.isna().tolist() == [
        False,
        False,
        True,
        True,
    ]
    w.to_tensorboard(tmp_path / "log", tensor_format="tsv")
    back = Projector.from_tensorboard(tmp_path / "log")
    assert back.metadata["label"].isna().tolist() == [False, False, True, True]
    from projector_widget import diagnose

    assert diagnose(tmp_path / "log").ok


@pytest.mark.parametrize(
    "text",
    ["1\t2\n3\n", "1\t\n2\t3\n", "nan\t1\n2\t3\n", "NaN\t1\n2\tinf\n", "1\t2\n3\t4\t5\n", "x\t1\n"],
)
def test_pandas_reads_a_tensor_only_where_it_reads_it_as_numpy(tmp_path, text) -> None:
    # pandas parses tensor files (6x NumPy's speed), but a short row or an empty field would be
    # NaN there and an error in NumPy, and "NaN" an error there: NumPy has the last word.
    from unittest import mock

    from projector_widget.formats import tsv

    path = tmp_path / "tensors.tsv"
    path.write_text(text)

    def read() -> object:
        try:
            return tsv.read_tensor_tsv(path).tobytes()
        except ValueError as exc:
            return str(exc).split(" (")[0]

    with mock.patch.object(tsv, "_pandas_rows", lambda _source: None):
        numpy_only = read()
    assert read() == numpy_only
