"""Bad TensorBoard log directories: the reader refuses them with a precise message, and
diagnose reports the same thing (they share the code that reads each file)."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from projector_widget import Projector, diagnose
from projector_widget.formats import tensorboard as tb

pytest.importorskip("tensorboard")


def _logdir(root: Path, *, images: bool = False) -> Path:
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (20, 16, 16)).astype(np.uint8) if images else None
    w = Projector(rng.standard_normal((20, 3)), [f"w{i}" for i in range(20)], images=imgs)
    w.to_tensorboard(root, tensor_format="tsv")
    return root


def _with_bookmarks(root: Path, marks: object) -> None:
    (root / "bookmarks.json").write_text(json.dumps(marks))
    config = root / tb.CONFIG_NAME
    text = config.read_text().replace(
        'metadata_path: "metadata.tsv"',
        'metadata_path: "metadata.tsv"\n  bookmarks_path: "bookmarks.json"',
    )
    config.write_text(text)


@pytest.mark.parametrize(
    ("marks", "pattern"),
    [
        ([{"label": "b", "selectedPoints": "abc"}], r"bookmark 'b': selectedPoints must be a list"),
        (
            [{"label": "b", "selectedPoints": [1, "2"]}],
            "selectedPoints must be a list of row indices",
        ),
        ([{"label": "b", "selectedPoints": [25]}], "selects point 25, but there are 20 points"),
        (
            [{"pcaComponentDimensions": [0, 7]}],  # the data has 3 dimensions, so 3 components
            r"bookmark number 1: pcaComponentDimensions .* 0 to 2 \(the data has 3",
        ),
        ([{"selectedProjection": "mds"}], "unknown selectedProjection 'mds'"),
        ({"not": "a list"}, "JSON list"),
    ],
)
def test_unusable_bookmarks_fail_at_load_and_in_diagnose(tmp_path, marks, pattern):
    root = _logdir(tmp_path / "log")
    _with_bookmarks(root, marks)
    with pytest.raises(ValueError, match=pattern):
        Projector.from_tensorboard(root)
    report = diagnose(root)
    assert report.codes() == ["bookmarks"] and any(
        pytest.importorskip("re").search(pattern, f.message) for f in report.problems
    )


def test_valid_tf_bookmarks_load(tmp_path):
    root = _logdir(tmp_path / "log")
    _with_bookmarks(
        root, [{"label": "two", "selectedPoints": [3, 4], "pcaComponentDimensions": [1, 0]}]
    )
    w = Projector.from_tensorboard(root)
    assert diagnose(root).ok and w.bookmarks == [{"name": "two"}]


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda t: t + "\nunknown_field: 3\n", "unknown_field"),
        (lambda t: t.rsplit("}", 1)[0], "not a valid ProjectorConfig"),  # truncated
    ],
)
def test_a_config_that_does_not_parse_is_never_read_in_part(tmp_path, edit, pattern):
    root = _logdir(tmp_path / "log")
    config = root / tb.CONFIG_NAME
    config.write_text(edit(config.read_text()))
    with pytest.raises(ValueError, match=pattern):
        Projector.from_tensorboard(root)
    assert "config-invalid" in diagnose(root).codes()


def test_a_binary_tensor_without_its_shape_says_so(tmp_path):
    root = _logdir(tmp_path / "log")
    (root / "tensors.tsv").write_bytes(np.arange(60, dtype="<f4").tobytes() + b"\xff\xfe")
    with pytest.raises(
        ValueError, match=r"binary, not TSV text, so the config must give its tensor_shape"
    ):
        Projector.from_tensorboard(root)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge image (its data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def test_an_oversized_sprite_is_refused_before_decoding(tmp_path):
    root = _logdir(tmp_path / "log", images=True)
    sprite = next(root.glob("*.png"))
    sprite.write_bytes(_png_header(30_000, 30_000))
    with pytest.raises(
        ValueError, match=r"30000x30000 px; a sprite sheet can be at most 8192x8192"
    ):
        Projector.from_tensorboard(root)
    assert "sprite-too-large" in diagnose(root).codes()


@pytest.mark.parametrize("dims", [[16], [16, 16, 16]])
def test_a_sprite_size_that_is_not_width_and_height_is_refused_and_diagnosed(tmp_path, dims):
    root = _logdir(tmp_path / "log", images=True)
    config = root / tb.CONFIG_NAME
    sizes = "".join(f"    single_image_dim: {d}\n" for d in dims)
    config.write_text(
        config.read_text().replace("    single_image_dim: 16\n    single_image_dim: 16\n", sizes)
    )
    with pytest.raises(ValueError, match=r"single_image_dim must be \[width, height\], got \[16"):
        Projector.from_tensorboard(root)
    assert "sprite-dim" in diagnose(root).codes()


def test_a_jpeg_sprite_is_read_and_diagnose_agrees(tmp_path):
    image = pytest.importorskip("PIL.Image")
    root = _logdir(tmp_path / "log", images=True)
    sprite = next(root.glob("*.png"))
    rgb = np.asarray(image.open(sprite).convert("RGB"))
    image.fromarray(rgb).save(sprite, format="JPEG", quality=95)  # same name, JPEG bytes
    w = Projector.from_tensorboard(root)
    assert w.show_images
    report = diagnose(root)
    assert report.ok, str(report)


def test_the_tensorboard_extra_works_without_tensorflow(tmp_path):
    """Log directories with TSV tensors, sprites and bookmarks, and diagnose, need no TensorFlow."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["tensorflow"] = None  # as if the tensorflow extra were not installed
        import numpy as np
        from projector_widget import Projector
        from projector_widget import diagnose
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (20, 16, 16)).astype(np.uint8)
        w = Projector(rng.standard_normal((20, 3)), [f"w{{i}}" for i in range(20)], images=images)
        w.to_tensorboard({str(tmp_path / "log")!r})
        back = Projector.from_tensorboard({str(tmp_path / "log")!r})
        assert back.n_points == 20 and back.show_images
        assert diagnose({str(tmp_path / "log")!r}).ok
        print("ok")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_diagnose_reports_what_the_metadata_reader_refuses_or_warns_about(tmp_path):
    root = _logdir(tmp_path / "log")
    (root / "metadata.tsv").write_text("a\ta\n" + "".join(f"x{i}\ty{i}\n" for i in range(20)))
    with pytest.raises(ValueError, match=r"names column\(s\) \['a'\] twice"):
        Projector.from_tensorboard(root)
    assert "metadata-unreadable" in diagnose(root).codes()
    root2 = _logdir(tmp_path / "log2")
    meta = root2 / "metadata.tsv"
    meta.write_text(meta.read_text().replace("w3", "w3 edited"))  # the sidecar is now stale
    assert "metadata-sidecar" in diagnose(root2).codes()
    with pytest.warns(UserWarning, match="written for another version"):
        Projector.from_tensorboard(root2)


def _checkpoint_series(root: Path) -> list[np.ndarray]:
    """Three checkpoints of one embedding (ckpt-1..3, as a training loop saves them), and the
    projector config that names it."""
    tf = pytest.importorskip("tensorflow")
    from tensorboard.plugins import projector

    rng = np.random.default_rng(0)
    steps = [rng.standard_normal((20, 3)).astype(np.float32) for _ in range(3)]
    var = tf.Variable(steps[0])
    ckpt = tf.train.Checkpoint(embedding=var)
    for values in steps:
        var.assign(values)
        ckpt.save(str(root / "ckpt"))
    config = projector.ProjectorConfig()
    config.embeddings.add().tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    projector.visualize_embeddings(str(root), config)
    return steps


def test_every_checkpoint_reads_past_files_that_are_not_its_checkpoints(tmp_path):
    tf = pytest.importorskip("tensorflow")
    root = tmp_path / "log"
    root.mkdir()
    steps = _checkpoint_series(root)
    (root / "words.index").write_text("king\nqueen\n")  # a vocabulary file, not a checkpoint
    # Another model's checkpoints beside them (written without becoming the latest): one
    # without the tensor, one whose tensor of that name has another shape.
    tf.train.Checkpoint(weights=tf.Variable(np.ones((4, 4), np.float32))).write(
        str(root / "classifier-1")
    )
    tf.train.Checkpoint(embedding=tf.Variable(np.ones((7, 3), np.float32))).write(
        str(root / "small-1")
    )
    assert Projector.from_tensorboard(root).n_points == 20  # the latest, as before
    with pytest.warns(UserWarning) as caught:
        w = Projector.from_tensorboard(root, checkpoints="all")
    assert w.step_names == ["ckpt-1", "ckpt-2", "ckpt-3"]
    for step, values in enumerate(steps):
        w.step = step
        np.testing.assert_array_equal(w.embeddings, values)
    (message,) = [str(c.message) for c in caught if "skipped" in str(c.message)]
    assert "words.index: not a TensorFlow checkpoint" in message
    assert "classifier-1: has no 'embedding/.ATTRIBUTES/VARIABLE_VALUE'" in message
    assert "small-1: its 'embedding/.ATTRIBUTES/VARIABLE_VALUE' is 7 x 3, not 20 x 3" in message
    with pytest.raises(ValueError, match=r"no checkpoint in .* holds 'nothing'.*ckpt-1: has no"):
        tb.read_checkpoints(root, "nothing")


# ----------------------------------------------------------------------------- any config
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
ODD_ASSETS = ["", "missing.tsv", "../outside.tsv", "/etc/hostname", 'a"b', "sprite.png"]


def _asset(usual: str) -> st.SearchStrategy[str]:
    """Mostly the asset ``usual`` names, else another file, a missing one, one outside."""
    others = ["tensors.tsv", "metadata.tsv", "marks.json", *ODD_ASSETS]
    return st.sampled_from([*[usual] * len(others), *others])


#: A uint32 config field (an image size, a tensor dimension): mostly fitting, now and then odd
#: or beyond uint32 (the config then does not parse).
DIM = st.sampled_from([16, 16, 0, 3, 17, 20, 2**31, 16, -1, 2**32 + 1])
TF_MARK = st.fixed_dictionaries(
    {},
    optional={
        "label": st.text(max_size=3) | ANY_JSON,
        "selectedPoints": st.lists(st.integers(-1, 25), max_size=3) | ANY_JSON,
        "selectedProjection": st.sampled_from(["pca", "tsne", "umap", "custom", "mds"]),
        "pcaComponentDimensions": st.lists(st.integers(-1, 4), max_size=4) | ANY_JSON,
        "tSNEis3d": st.booleans() | ANY_JSON,
        "selectedColorOptionName": st.sampled_from(["", "label", "x"]) | ANY_JSON,
        "selectedLabelOption": st.sampled_from(["", "label", "x"]) | ANY_JSON,
    },
)
#: What a bookmarks file may hold: TensorBoard's saved states about right, any JSON, deep JSON.
MARKS_TEXT = st.one_of(
    st.lists(TF_MARK, max_size=3).map(json.dumps),
    st.lists(TF_MARK, min_size=1, max_size=3).map(json.dumps),
    ANY_JSON.map(json.dumps),
    st.sampled_from([50_000, 1000, 3]).map(lambda d: "[" * d + "]" * d),
    st.binary(max_size=8).map(lambda b: b.decode("latin-1")),
)


def _field(name: str, value: object) -> str:
    text = json.dumps(value) if isinstance(value, str) else str(value)
    return f"  {name}: {text}\n"


@st.composite
def _config(draw: st.DrawFn) -> str:
    """A projector config: entries whose fields are mostly about right (the tensor, metadata,
    sprite and bookmarks beside it), else name other or missing files, files outside the
    folder, odd sprite sizes and shapes; now and then a line that is not a field."""
    out = ""
    for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):
        body = ""
        usual = {
            "tensor_name": "embedding",
            "tensor_path": "tensors.tsv",
            "metadata_path": "metadata.tsv",
            "bookmarks_path": "marks.json",
        }
        for name, asset in usual.items():
            if draw(st.sampled_from([True, True, True, False])):
                body += _field(name, draw(_asset(asset)))
        shape = draw(st.sampled_from([[], [], [20, 3]]) | st.lists(DIM, max_size=3))
        body += "".join(_field("tensor_shape", d) for d in shape)
        if draw(st.booleans()):
            dims = draw(
                st.sampled_from([[16, 16], [16], [16, 16, 16], []]) | st.lists(DIM, max_size=3)
            )
            sprite = _field("image_path", draw(_asset("sprite.png")))
            sprite += "".join(_field("single_image_dim", d) for d in dims)
            body += "  sprite {\n" + sprite + "  }\n"
        out += "embeddings {\n" + body + "}\n"
    if draw(st.sampled_from([False, False, False, True])):
        out += _field("model_checkpoint_path", draw(_asset("missing"))).strip() + "\n"
    junk = draw(st.sampled_from([False, False, False, False, True]))
    return out + (draw(st.text(max_size=8)) if junk else "")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _logdir(tmp_path_factory.mktemp("template") / "log", images=True)


@given(config=_config())
def test_any_config_reads_or_names_the_problem(template, tmp_path_factory, config):
    """Any projector config beside real assets: from_tensorboard makes the widget it describes
    or raises a ValueError/TypeError saying what is wrong (or that a file it names is not
    there); diagnose reports, never raises."""
    root = tmp_path_factory.mktemp("any") / "log"
    shutil.copytree(template, root)
    (root / tb.CONFIG_NAME).write_text(config, encoding="utf-8")
    (root / "marks.json").write_text("[]", encoding="utf-8")
    try:
        w = Projector.from_tensorboard(root)
    except (ValueError, TypeError) as exc:
        assert str(exc)
    except FileNotFoundError as exc:  # an asset the config names is not there: it says which
        assert Path(exc.filename).name in {"missing", "missing.tsv", 'a"b'}, exc
    else:
        assert w.embeddings.dtype == np.float32 and w.n_points == 20
        w.close()
    assert isinstance(str(diagnose(root)), str)


@given(marks=MARKS_TEXT)
def test_any_bookmarks_file_loads_bookmarks_that_restore_or_names_the_problem(
    template, tmp_path_factory, marks
):
    """Any bookmarks file a config names: from_tensorboard adds its bookmarks, each of which
    restores, or raises a ValueError naming the file or the bookmark; diagnose agrees."""
    root = tmp_path_factory.mktemp("marks") / "log"
    shutil.copytree(template, root)
    _with_bookmarks(root, [])
    (root / "bookmarks.json").write_text(marks, encoding="utf-8")
    try:
        w = Projector.from_tensorboard(root)
    except ValueError as exc:
        assert "bookmark" in str(exc), exc
        assert "bookmarks" in diagnose(root).codes()
        return
    for mark in json.loads(w.bookmarks_to_json())["bookmarks"]:
        if mark["projection"] != "umap":  # its first run compiles for seconds; same checks
            w.restore_bookmark(mark["name"])
            w.stop()
    w.close()
