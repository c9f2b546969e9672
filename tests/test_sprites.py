"""Sprite thumbnails are box-filtered; sprite sheets are decoded by Pillow."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from projector_widget.data.images import _resize
from projector_widget.formats.png import encode_png, read_image


def test_checkerboard_downscaled_2x_becomes_uniform_grey():
    board = (np.indices((16, 16)).sum(axis=0) % 2 * 255).astype(np.uint8)
    rgba = np.repeat(board[None, :, :, None], 4, axis=3)
    rgba[..., 3] = 255
    thumb = _resize(np.repeat(rgba, 3, axis=0), 8)  # nearest-neighbour keeps black or white
    assert thumb.shape == (3, 8, 8, 4)
    np.testing.assert_array_equal(thumb[..., :3], 128)
    np.testing.assert_array_equal(thumb[..., 3], 255)


def test_area_average_at_a_fractional_factor_and_transparent_pixels_do_not_bleed():
    img = np.zeros((1, 3, 3, 4), np.uint8)
    img[0, :, :, 0] = [[30, 60, 90]] * 3
    img[0, :, :, 3] = 255
    img[0, 0, 0] = [255, 255, 255, 0]  # transparent white
    thumb = _resize(img, 2)[0]
    # output pixel (0, 1) covers half of the 60 column and all of the 90 column
    assert thumb[0, 1, 0] == round((0.5 * 60 + 90) / 1.5)
    assert thumb[0, 0, 1] == 0 and thumb[0, 0, 3] == round(255 * 1.25 / 2.25)  # no white


def test_sprite_sheet_without_pillow_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "sprite.png"
    path.write_bytes(encode_png(np.zeros((4, 4, 4), np.uint8)))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "projector-widget\[tensorboard\]"'):
        read_image(str(path))
