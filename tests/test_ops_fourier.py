"""diffractograms and integrate_gradient (spec §3.8, §6.2, §6.5)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import DiffractionPatterns, Images, ReciprocalSpaceAxis
from napari_temimages._core.errors import InvalidTypeError

from .helpers import TaskCounter, make_images


@pytest.mark.parametrize("shape", [(9, 7), (8, 10), (1, 4), (5, 1)])
@pytest.mark.parametrize("dtype, out", [(np.float32, np.float32), (np.float64, np.float64), (np.complex64, np.float32), (np.complex128, np.float64), (np.int16, np.float64)])
def test_diffractogram_is_shifted_fft_modulus(shape, dtype, out) -> None:
    rng = np.random.default_rng(0)
    array = rng.random((2,) + shape) * 10
    if np.dtype(dtype).kind == "c":
        array = array + 1j * rng.random(array.shape)
    im = Images(array.astype(dtype), sampling=(0.2, 0.5))
    d = im.diffractograms()
    assert isinstance(d, DiffractionPatterns) and d.fftshift and d.dtype == out
    expected = np.fft.fftshift(np.abs(np.fft.fft2(im.array)), axes=(-2, -1))
    np.testing.assert_allclose(d.array, expected, rtol=1e-5, atol=1e-5 * expected.max())
    centre = d.array[(slice(None), shape[0] // 2, shape[1] // 2)]
    np.testing.assert_allclose(centre, np.abs(im.array.sum((-2, -1))), rtol=1e-5)


def test_diffractogram_axes_sampling_and_positive_extent() -> None:
    im = make_images((3, 6, 5))  # sampling (0.1, 0.2): extent (0.6, 1.0)
    d = im.diffractograms()
    assert d.sampling == pytest.approx((1 / 0.6, 1 / 1.0))
    assert d.extent == pytest.approx((6 / 0.6, 5 / 1.0))  # n dk, positive (abTEM: lower - upper < 0)
    assert d.offset == pytest.approx((-3 / 0.6, -2 / 1.0))
    kx, ky = d.base_axes_metadata
    assert isinstance(kx, ReciprocalSpaceAxis) and kx.label == "kx" and kx.units == "1/Å" and kx.fftshift
    np.testing.assert_allclose(d.coordinates[0], np.fft.fftshift(np.fft.fftfreq(6, 0.1)), atol=1e-12)
    assert d.ensemble_axes_metadata == im.ensemble_axes_metadata
    assert d.metadata == im.metadata
    assert d.metadata is not im.metadata and d.ensemble_axes_metadata is not im.ensemble_axes_metadata


def test_diffractograms_lazy() -> None:
    im = make_images((3, 2, 10, 9), dtype=np.float64)
    lazy = im.lazy(chunks=(1, 2, 5, -1))
    with TaskCounter() as counter:
        d = lazy.diffractograms()
    assert counter.count == 0 and d.is_lazy and d.dtype == np.float64  # abTEM declares float32
    assert d.array.chunks == ((1, 1, 1), (2,), (10,), (9,))
    np.testing.assert_allclose(d.compute().array, im.diffractograms().array, rtol=1e-12)


def periodic_field(nx: int, ny: int, d: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth periodic phi and its exact gradient (1/Å)."""
    lx, ly = nx * d[0], ny * d[1]
    x = np.arange(nx)[:, None] * d[0]
    y = np.arange(ny)[None, :] * d[1]
    phi = np.sin(2 * np.pi * x / lx) * np.cos(2 * np.pi * 2 * y / ly) + 0.5 * np.cos(2 * np.pi * (x / lx + y / ly))
    gx = 2 * np.pi / lx * np.cos(2 * np.pi * x / lx) * np.cos(2 * np.pi * 2 * y / ly) - 0.5 * 2 * np.pi / lx * np.sin(2 * np.pi * (x / lx + y / ly))
    gy = -2 * np.pi * 2 / ly * np.sin(2 * np.pi * x / lx) * np.sin(2 * np.pi * 2 * y / ly) - 0.5 * 2 * np.pi / ly * np.sin(2 * np.pi * (x / lx + y / ly))
    return phi, gx, gy


@pytest.mark.parametrize("shape", [(16, 12), (15, 11), (16, 9)])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_integrate_gradient_recovers_the_potential(shape, dtype) -> None:
    phi, gx, gy = periodic_field(*shape, (0.3, 0.2))
    im = Images(np.stack([gx + 1j * gy, 2 * (gx + 1j * gy)]).astype(dtype), sampling=(0.3, 0.2), metadata={"label": "com"})
    out = im.integrate_gradient()
    assert out.dtype == (np.float32 if dtype == np.complex64 else np.float64)
    assert out.metadata == {"label": "iCOM", "units": "arb. unit"}
    tol = 1e-5 if dtype == np.complex64 else 1e-10
    np.testing.assert_allclose(out.array[0], phi - phi.min(), atol=tol * 5)
    np.testing.assert_allclose(out.array[1], 2 * (phi - phi.min()), atol=tol * 10)
    assert np.all(out.array.min(axis=(-2, -1)) == 0)  # per image (abTEM <= 1.0.10: global)


def test_integrate_gradient_matches_the_full_spectrum_formula_at_nyquist() -> None:
    """Even sizes: the half-spectrum inverse equals Re(IFFT) of §6.5's full spectrum."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((8, 6)) + 1j * rng.standard_normal((8, 6))
    d = (0.4, 0.3)
    kx = np.fft.fftfreq(8, d[0])[:, None]
    ky = np.fft.fftfreq(6, d[1])[None, :]
    k2 = kx**2 + ky**2
    k2[0, 0] = 1e-12
    t = np.fft.ifft2((np.fft.fft2(z.real) * kx + np.fft.fft2(z.imag) * ky) / (2j * np.pi * k2)).real
    np.testing.assert_allclose(Images(z, sampling=d).integrate_gradient().array, t - t.min(), atol=1e-12)


def test_integrate_gradient_needs_complex_data_and_stays_lazy() -> None:
    with pytest.raises(InvalidTypeError, match="complex") as info:
        make_images((9, 8)).integrate_gradient()
    assert isinstance(info.value, RuntimeError)
    im = make_images((3, 2, 9, 8), complex_=True)
    lazy = im.lazy(chunks=(1, 1, 3, 3))
    with TaskCounter() as counter:
        out = lazy.integrate_gradient()
    assert counter.count == 0 and out.dtype == np.float32
    np.testing.assert_allclose(out.compute().array, im.integrate_gradient().array, rtol=1e-6, atol=1e-6)
