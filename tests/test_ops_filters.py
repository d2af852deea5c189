"""gaussian_filter (spec §3.7, §6.3)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from napari_temimages import Images
from napari_temimages._core.errors import InvalidArgumentError

from .helpers import TaskCounter, make_images


@pytest.mark.parametrize("boundary, mode", [("periodic", "wrap"), ("reflect", "reflect"), ("constant", "constant")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_gaussian_filter_is_scipys_with_sigma_in_angstrom(boundary, mode, dtype) -> None:
    im = make_images((2, 3, 11, 8), dtype=np.float32, sampling=(0.1, 0.25), complex_=np.dtype(dtype).kind == "c")
    im = Images(im.array.astype(dtype), im.sampling, im.ensemble_axes_metadata, im.metadata)
    out = im.gaussian_filter((0.2, 0.5), boundary=boundary, cval=0.7)
    assert out.dtype == dtype and out.shape == im.shape
    for index in np.ndindex(2, 3):
        expected = ndimage.gaussian_filter(im.array[index], sigma=(2.0, 2.0), mode=mode, cval=0.7)
        np.testing.assert_allclose(out.array[index], expected, rtol=1e-6, atol=1e-7)
    assert out.metadata == im.metadata and out.sampling == im.sampling


def test_scalar_sigma_is_isotropic_in_angstrom() -> None:
    image = np.zeros((61, 31), dtype=np.float64)
    image[30, 15] = 1.0
    out = Images(image, sampling=(0.1, 0.2)).gaussian_filter(0.4).array
    np.testing.assert_allclose(out, ndimage.gaussian_filter(image, (4.0, 2.0), mode="wrap"), atol=1e-15)
    x = (np.arange(61) - 30) * 0.1
    variance_x = np.sum(out.sum(1) * x**2) / out.sum()
    assert variance_x == pytest.approx(0.4**2, rel=1e-3)


def test_integers_stay_integers() -> None:
    im = Images(np.arange(64, dtype=np.int16).reshape(8, 8) * 10, sampling=1.0)
    assert im.gaussian_filter(1.0).dtype == np.int16


@pytest.mark.parametrize(
    "sigma, kwargs, match",
    [(0.0, {}, "positive"), (-1.0, {}, "positive"), ((0.1, 0.0), {}, "positive"), (0.1, dict(boundary="mirror"), "unknown boundary"), ("a", {}, "number")],
)
def test_bad_sigma_or_boundary(sigma, kwargs, match) -> None:
    with pytest.raises((InvalidArgumentError, TypeError), match=match) as info:
        make_images((9, 8)).gaussian_filter(sigma, **kwargs)
    assert isinstance(info.value, RuntimeError)


def test_lazy_with_split_images_equals_eager() -> None:
    im = make_images((3, 2, 16, 12))
    lazy = im.lazy(chunks=(2, 1, 8, 5))
    with TaskCounter() as counter:
        out = lazy.gaussian_filter(0.3, boundary="reflect")
    assert counter.count == 0 and out.dtype == np.float32
    assert out.array.chunks[:2] == ((2, 1), (1, 1)) and out.array.chunks[2:] == ((16,), (12,))
    np.testing.assert_array_equal(out.compute().array, im.gaussian_filter(0.3, boundary="reflect").array)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
@pytest.mark.parametrize("shape, sigma_px", [((3, 64, 50), (3.0, 5.5)), ((40, 33), (2.5, 0.0)), ((20, 20), (4.4, 3.0))])
def test_fourier_path_equals_scipy_wrap(dtype, shape, sigma_px) -> None:
    """Periodic filters with sigma >= 2 px use the Fourier product: same numbers as scipy."""
    import scipy.ndimage as ndi

    from napari_temimages._core.ops.filters import _use_fft, gaussian_filter_stack

    rng = np.random.default_rng(1)
    a = rng.random(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.random(shape)
    a = a.astype(dtype)
    assert _use_fft(a, sigma_px, "wrap")
    ours = gaussian_filter_stack(a, sigma_px, "wrap")
    ref = ndi.gaussian_filter(a, (0,) * (a.ndim - 2) + sigma_px, mode="wrap", truncate=4.0)
    assert ours.dtype == a.dtype
    tol = 1e-6 if a.real.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, ref, atol=tol * np.abs(ref).max())


def test_fourier_path_not_used_for_kernels_larger_than_the_image() -> None:
    from napari_temimages._core.ops.filters import _use_fft

    assert not _use_fft(np.zeros((10, 10), np.float32), (3.0, 3.0), "wrap")
    assert not _use_fft(np.zeros((100, 100), np.float32), (3.0, 3.0), "reflect")
    assert not _use_fft(np.zeros((100, 100), np.float32), (1.0, 1.0), "wrap")
