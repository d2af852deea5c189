"""interpolate: Fourier and spline resampling (spec §3.7, §6.1, §6.4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from napari_temimages import Images
from napari_temimages._core.errors import InvalidArgumentError

from .helpers import TaskCounter, make_images


def fft_reference(image: np.ndarray, gpts: tuple[int, int], normalization: str) -> np.ndarray:
    """§6.1 written out with explicit frequency loops (float64/complex128)."""
    (nx, ny), (gx, gy) = image.shape, gpts
    spectrum = np.fft.fft2(image.astype(np.complex128))
    new = np.zeros(gpts, dtype=np.complex128)
    for mx in range(-(min(nx, gx) // 2), (min(nx, gx) + 1) // 2):
        for my in range(-(min(ny, gy) // 2), (min(ny, gy) + 1) // 2):
            new[mx % gx, my % gy] = spectrum[mx % nx, my % ny]
    out = np.fft.ifft2(new)
    if normalization == "values":
        out *= gx * gy / (nx * ny)
    return out if np.iscomplexobj(image) else out.real


@pytest.mark.parametrize("shape", [(9, 7), (8, 10), (6, 6)])
@pytest.mark.parametrize("gpts", [(14, 11), (5, 4), (8, 10), (3, 12)])
@pytest.mark.parametrize("normalization", ["values", "intensity"])
def test_fft_interpolate_follows_the_coefficient_mapping(shape, gpts, normalization) -> None:
    rng = np.random.default_rng(0)
    im = Images(rng.random((2,) + shape).astype(np.float32), sampling=(0.2, 0.3))
    out = im.interpolate(gpts=gpts, normalization=normalization)
    assert out.shape == (2,) + gpts and out.dtype == np.float32
    assert out.sampling == pytest.approx((shape[0] * 0.2 / gpts[0], shape[1] * 0.3 / gpts[1]), rel=1e-15)
    for member in range(2):
        expected = fft_reference(im.array[member], gpts, normalization)
        np.testing.assert_allclose(out.array[member], expected, rtol=1e-4, atol=1e-5)


def test_fft_interpolate_complex_and_normalizations() -> None:
    rng = np.random.default_rng(1)
    array = (rng.random((7, 8)) + 1j * rng.random((7, 8))).astype(np.complex128)
    im = Images(array, sampling=0.1)
    out = im.interpolate(gpts=(13, 16))
    assert out.dtype == np.complex64  # computed in the precision dtype, as abTEM
    np.testing.assert_allclose(out.array, fft_reference(array, (13, 16), "values"), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.array.mean(), array.mean(), rtol=1e-5)
    summed = im.interpolate(gpts=(13, 16), normalization="amplitude")
    np.testing.assert_allclose(summed.array.sum(), array.sum(), rtol=1e-5)
    np.testing.assert_array_equal(summed.array, im.interpolate(gpts=(13, 16), normalization="intensity").array)


def test_fft_interpolate_round_trip_of_a_band_limited_image() -> None:
    x = np.arange(9)[:, None] / 9
    y = np.arange(11)[None, :] / 11
    image = (np.cos(2 * np.pi * 2 * x) + np.sin(2 * np.pi * 3 * y) * np.cos(2 * np.pi * x)).astype(np.float32)
    im = Images(image, sampling=(0.3, 0.2))
    back = im.interpolate(gpts=(27, 33)).interpolate(gpts=(9, 11))
    np.testing.assert_allclose(back.array, image, atol=1e-5)
    assert back.sampling == pytest.approx(im.sampling)


def test_sampling_gives_ceil_of_extent_over_sampling() -> None:
    im = make_images((9, 8))  # extent (0.9, 1.6)
    out = im.interpolate(sampling=(0.25, 0.3))
    assert out.base_shape == (4, 6)
    assert out.sampling == pytest.approx((0.9 / 4, 1.6 / 6))
    assert out.extent == pytest.approx(im.extent)
    assert im.interpolate(sampling=0.1, method="spline").base_shape == (9, 16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.int32])
def test_fft_output_dtype_is_the_precision_dtype(dtype) -> None:
    im = Images(np.ones((6, 6), dtype=dtype), sampling=1.0)
    expected = np.complex64 if np.dtype(dtype).kind == "c" else np.float32
    assert im.interpolate(gpts=4).dtype == expected
    assert im.lazy().interpolate(gpts=4).dtype == expected


# ---------------------------------------------------------------------------------- spline
def spline_reference(image: np.ndarray, gpts, order: int, boundary: str, cval: float = 0.0) -> np.ndarray:
    nx, ny = image.shape
    x = np.linspace(0, nx, gpts[0], endpoint=False)
    y = np.linspace(0, ny, gpts[1], endpoint=False)
    coords = np.stack(np.meshgrid(x, y, indexing="ij"))
    if boundary == "periodic":
        return ndimage.map_coordinates(image, coords, order=order, mode="grid-wrap")
    pad = 2 * order
    mode = "reflect" if boundary == "reflect" else "constant"
    padded = np.pad(image, pad, mode=mode, **({"constant_values": cval} if mode == "constant" else {}))
    return ndimage.map_coordinates(padded, coords + pad, order=order, mode="constant", cval=cval)


@pytest.mark.parametrize("boundary", ["periodic", "reflect", "constant"])
@pytest.mark.parametrize("order", [0, 1, 3, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_spline_is_map_coordinates_per_image(boundary, order, dtype) -> None:
    """The whole-stack prefilter + per-image sampling equals scipy's per-image call bitwise."""
    rng = np.random.default_rng(2)
    array = rng.random((2, 3, 9, 8))
    if np.dtype(dtype).kind == "c":
        array = array + 1j * rng.random(array.shape)
    im = Images(array.astype(dtype), sampling=(0.1, 0.2))
    out = im.interpolate(gpts=(13, 5), method="spline", order=order, boundary=boundary)
    assert out.dtype == dtype and out.shape == (2, 3, 13, 5)
    for index in np.ndindex(2, 3):
        expected = spline_reference(im.array[index], (13, 5), order, boundary)
        np.testing.assert_array_equal(out.array[index], expected)


def test_spline_integer_images_stay_integer() -> None:
    im = Images(np.arange(30, dtype=np.int32).reshape(5, 6), sampling=1.0)
    out = im.interpolate(gpts=(10, 12), method="spline")
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.array, spline_reference(im.array, (10, 12), 3, "periodic"))


def test_constant_boundary_uses_cval() -> None:
    """abTEM pads with zeros whatever ``cval`` is (Q19); ours pads with ``cval``."""
    im = Images(np.full((6, 5), 2.5, dtype=np.float32), sampling=1.0)
    out = im.interpolate(gpts=(9, 7), method="spline", boundary="constant", cval=2.5)
    np.testing.assert_allclose(out.array, 2.5, rtol=1e-6)
    zero = im.interpolate(gpts=(9, 7), method="spline", boundary="constant")
    assert zero.array.min() < 2.4  # zeros outside pull the edge down


# ---------------------------------------------------------------------------------- errors and laziness
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(gpts=4, sampling=0.1), "not both"),
        (dict(), "sampling .* or gpts"),
        (dict(gpts=4, boundary="reflect"), "only periodic"),
        (dict(gpts=4, method="cubic"), "unknown method"),
        (dict(gpts=4, normalization="energy"), "normalization"),
        (dict(gpts=4, method="spline", boundary="edge"), "unknown boundary"),
        (dict(gpts=4, method="spline", order=6), "order"),
        (dict(gpts=0), ">= 1"),
        (dict(sampling=-0.1), "positive"),
    ],
)
def test_interpolate_bad_arguments_raise_eagerly_and_lazily(kwargs, match) -> None:
    im = make_images((2, 9, 8))
    for obj in (im, im.lazy()):
        with pytest.raises(InvalidArgumentError, match=match):
            obj.interpolate(**kwargs)


@pytest.mark.parametrize("method", ["fft", "spline"])
def test_interpolate_lazy_with_split_images(method) -> None:
    im = make_images((3, 2, 12, 10))
    lazy = im.lazy(chunks=(1, 2, 5, 4))  # images split on purpose
    with TaskCounter() as counter:
        out = lazy.interpolate(gpts=(7, 15), method=method)
    assert counter.count == 0
    assert out.array.chunks == ((1, 1, 1), (2,), (7,), (15,))
    computed = out.compute()
    assert computed.dtype == out.dtype == np.float32
    np.testing.assert_allclose(computed.array, im.interpolate(gpts=(7, 15), method=method).array, rtol=1e-6, atol=1e-6)
