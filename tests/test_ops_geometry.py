"""crop, tile and integrate_disc (spec §3.6, §3.9, §6.6)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import Images
from napari_temimages._core.errors import InvalidArgumentError, InvalidTypeError

from .helpers import TaskCounter, make_images


def ramp(shape=(10, 8), sampling=(0.5, 0.25)) -> Images:
    array = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    return Images(array, sampling=sampling, metadata={"label": "intensity"})


# ---------------------------------------------------------------------------------- crop
def test_crop_pixel_window_and_sampling() -> None:
    im = ramp()  # extent (5.0, 2.0)
    out = im.crop(extent=(2.0, 1.0), offset=(1.5, 0.5))
    np.testing.assert_array_equal(out.array, im.array[3:7, 2:6])
    assert out.sampling == im.sampling and out.extent == (2.0, 1.0)
    assert out.metadata == im.metadata and out.metadata is not im.metadata


def test_crop_rounds_half_to_even() -> None:
    im = ramp((10, 8), (1.0, 1.0))
    # offset 2.5 px -> 2, extent 3.5 px -> 4 (banker's rounding, as abTEM)
    out = im.crop(extent=(3.5, 4.5), offset=(2.5, 1.5))
    np.testing.assert_array_equal(out.array, im.array[2:6, 2:6])


def test_crop_centered() -> None:
    im = ramp()
    out = im.crop(extent=(2.0, 1.0), centered=True)
    np.testing.assert_array_equal(out.array, im.array[3:7, 2:6])
    with pytest.raises(InvalidArgumentError, match="centered"):
        im.crop(extent=(2.0, 1.0), offset=(1.0, 0.0), centered=True)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(extent=(5.5, 1.0)), "larger than the image"),
        (dict(extent=(2.0, 1.0), offset=(4.0, 0.0)), "outside the image"),
        (dict(extent=(2.0, 1.0), offset=(-1.0, 0.0)), "outside the image"),
        (dict(extent=(0.1, 1.0)), "less than half a pixel"),
        (dict(extent=(0.0, 1.0)), "positive"),
        (dict(extent=(1.0, 1.0), offset="a"), "number"),
    ],
)
def test_crop_bad_windows_raise(kwargs, match) -> None:
    """A crop larger than the image raises (as abTEM); windows past the edge or with negative
    offsets raise too (abTEM truncates them or uses negative indexing, Q18)."""
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=match) as info:
        ramp().crop(**kwargs)
    assert isinstance(info.value, RuntimeError)


def test_crop_equal_extent_is_allowed() -> None:
    im = ramp()
    np.testing.assert_array_equal(im.crop(extent=im.extent).array, im.array)


def test_crop_lazy_keeps_ensemble_chunks() -> None:
    im = make_images((4, 3, 12, 10))
    lazy = im.lazy(chunks=(1, 3, -1, -1))
    with TaskCounter() as counter:
        out = lazy.crop(extent=(0.6, 1.0), offset=(0.2, 0.4))
    assert counter.count == 0 and out.is_lazy
    assert out.array.chunks[:2] == ((1, 1, 1, 1), (3,))
    np.testing.assert_array_equal(out.compute().array, im.crop(extent=(0.6, 1.0), offset=(0.2, 0.4)).array)


# ---------------------------------------------------------------------------------- tile
def test_tile_is_periodic_repetition() -> None:
    im = make_images((2, 5, 3))
    out = im.tile((2, 3))
    np.testing.assert_array_equal(out.array, np.tile(im.array, (1, 2, 3)))
    assert out.sampling == im.sampling and out.extent == pytest.approx((2 * im.extent[0], 3 * im.extent[1]))
    assert out.ensemble_axes_metadata == im.ensemble_axes_metadata


@pytest.mark.parametrize("reps, error", [(2, InvalidTypeError), ((2,), InvalidArgumentError), ((0, 1), InvalidArgumentError), ((1.5, 2), InvalidTypeError)])
def test_tile_bad_repetitions(reps, error) -> None:
    with pytest.raises(error):
        make_images((5, 3)).tile(reps)


def test_tile_lazy_keeps_images_whole() -> None:
    im = make_images((3, 2, 5, 4))
    lazy = im.lazy(chunks=(1, 1, -1, -1))
    with TaskCounter() as counter:
        out = lazy.tile((2, 2))
    assert counter.count == 0
    assert out.array.chunks == ((1, 1, 1), (1, 1), (10,), (8,))
    np.testing.assert_array_equal(out.compute().array, im.tile((2, 2)).array)


# ---------------------------------------------------------------------------------- integrate_disc
def test_integrate_disc_counts_the_disc_area() -> None:
    im = Images(np.ones((2, 200, 160), dtype=np.float32), sampling=(0.05, 0.0625))
    out = im.integrate_disc((5.0, 5.0), 2.0)
    assert out.shape == (2,) and out.dtype == np.float32
    area_in_pixels = np.pi * 2.0**2 / (0.05 * 0.0625)
    np.testing.assert_allclose(out, area_in_pixels, rtol=0.01)


def test_integrate_disc_is_periodic_and_selects_the_disc() -> None:
    rng = np.random.default_rng(1)
    im = Images(rng.random((3, 20, 16)).astype(np.float32), sampling=(0.5, 0.5))
    a = im.integrate_disc((0.0, 0.0), 1.6)
    b = im.integrate_disc(im.extent, 1.6)  # the same point one period away
    np.testing.assert_allclose(a, b, rtol=1e-6)
    shifted = Images(np.roll(im.array, (5, 3), axis=(-2, -1)), sampling=(0.5, 0.5))
    np.testing.assert_allclose(shifted.integrate_disc((2.5, 1.5), 1.6), a, rtol=1e-5)
    far = np.zeros((20, 16), dtype=np.float32)
    far[10, 8] = 1.0  # 5 Å, 4 Å away from the centre: outside a 1.6 Å disc
    assert Images(far, sampling=0.5).integrate_disc((0.0, 0.0), 1.6) == 0.0


def test_integrate_disc_lazy_and_errors() -> None:
    im = make_images((2, 3, 9, 8))
    lazy = im.lazy(chunks=(1, -1, -1, -1))
    with TaskCounter() as counter:
        out = lazy.integrate_disc((0.3, 0.4), 0.3)
    assert counter.count == 0 and out.shape == (2, 3)
    np.testing.assert_allclose(out.compute(), im.integrate_disc((0.3, 0.4), 0.3), rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="radius"):
        im.integrate_disc((0.0, 0.0), 0.0)
    with pytest.raises(InvalidArgumentError, match="two values"):
        im.integrate_disc((0.0,), 1.0)
