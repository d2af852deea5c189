"""Fourier-space products: ``diffractograms`` and ``integrate_gradient`` (spec §3.8, §6.2, §6.5).

Array layout ``(*ensemble, n_x, n_y)`` (axis -2 = x, -1 = y), sampling in Å; frequencies in
cycles per Å (1/Å). FFTs go through the backend's ``scipy.fft``-like module with worker threads;
real images use half-spectrum (``rfft2``) transforms.
"""

from __future__ import annotations

import functools

from typing import Any

import numpy as np

from ..backend import get_backend
from ..diffraction import DiffractionPatterns
from ..ensemble import map_images
from ..errors import InvalidTypeError
from ..precision import is_complex_dtype, real_dtype

__all__ = ["diffractograms", "diffractogram_stack", "integrate_gradient", "integrate_gradient_stack"]


# ---------------------------------------------------------------------------------- diffractograms
def _spectrum_dtype(dtype: Any) -> np.dtype:
    """float32 for float32/complex64 data, float64 otherwise (as numpy's FFT)."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype in (np.float32, np.complex64) else np.dtype(np.float64)


@functools.lru_cache(maxsize=32)
def _shifted_half_index(nx: int, ny: int) -> np.ndarray:
    """Flat indices into an ``rfft2`` half spectrum ``(n_x, n_y//2+1)`` giving the full,
    fftshifted modulus ``(n_x, n_y)`` (zero frequency at ``n // 2``) of a real image."""
    h = ny // 2 + 1
    kx = (np.arange(nx) - nx // 2) % nx
    ky = (np.arange(ny) - ny // 2) % ny
    upper = ky[None, :] < h
    src_x = np.where(upper, kx[:, None], (-kx[:, None]) % nx)
    src_y = np.where(upper, ky[None, :], (ny - ky[None, :]) % ny)
    index = (src_x * h + src_y).ravel()
    index.flags.writeable = False  # cached: shared between calls
    return index


def diffractogram_stack(stack: Any) -> Any:
    """``fftshift(|DFT2(image)|)`` per image: the modulus (not squared), no window, unnormalised."""
    backend = get_backend(stack)
    xp, fft, kw = backend.xp, backend.fft(), backend.fft_kwargs()
    dtype = _spectrum_dtype(stack.dtype)
    nx, ny = stack.shape[-2:]
    if is_complex_dtype(stack.dtype):
        spectrum = xp.abs(fft.fft2(stack, axes=(-2, -1), **kw))
        return fft.fftshift(spectrum, axes=(-2, -1)).astype(dtype, copy=False)
    work = stack if stack.dtype in (np.float32, np.float64) else stack.astype(np.float64)
    half = xp.abs(fft.rfft2(work, axes=(-2, -1), **kw))
    flat = half.reshape(stack.shape[:-2] + (nx * (ny // 2 + 1),))
    index = backend.asarray(_shifted_half_index(nx, ny))
    return xp.take(flat, index, axis=-1).reshape(stack.shape).astype(dtype, copy=False)


def diffractograms(images: Any) -> DiffractionPatterns:
    """Modulus of each image's DFT, fftshifted, as :class:`DiffractionPatterns`.

    Reciprocal sampling ``(1/L_x, 1/L_y)`` in 1/Å; zero frequency at index ``n // 2``; metadata
    and ensemble axes copied (not shared with the image, unlike abTEM).
    """
    array = map_images(diffractogram_stack, images.array, dtype=_spectrum_dtype(images.dtype))
    extent = images.extent
    kwargs = images._copy_kwargs(exclude=("sampling",))
    return DiffractionPatterns(array, sampling=(1 / extent[0], 1 / extent[1]), fftshift=True, **kwargs)


# ---------------------------------------------------------------------------------- gradients
def _numerator_frequencies(n: int, d: float, half: bool) -> np.ndarray:
    """``fftfreq``/``rfftfreq`` in 1/Å with the Nyquist frequency of even ``n`` set to 0.

    Zeroing it gives the Hermitian part of the spectrum, so the half-spectrum inverse equals the
    real part of the full inverse (abTEM's result) exactly.
    """
    k = np.fft.rfftfreq(n, d) if half else np.fft.fftfreq(n, d)
    if n % 2 == 0:
        k = k.copy()
        k[n // 2] = 0.0
    return k


def integrate_gradient_stack(stack: Any, sampling: tuple[float, float]) -> Any:
    """Fourier integration of complex gradient images ``g_x + i g_y`` (per image).

    ``T = Re IDFT[(DFT(g_x) k_x + DFT(g_y) k_y) / (2 pi i K^2)]`` with ``k`` in 1/Å and
    ``K^2(0) = 1e-12``; then each image's minimum is subtracted. Returns the matching real dtype.
    """
    backend = get_backend(stack)
    xp, fft, kw = backend.xp, backend.fft(), backend.fft_kwargs()
    rdtype = real_dtype(stack.dtype)
    (nx, ny), (dx, dy) = stack.shape[-2:], sampling
    kx_full = np.fft.fftfreq(nx, dx).astype(rdtype)[:, None]
    ky_half = np.fft.rfftfreq(ny, dy).astype(rdtype)[None, :]
    k2 = kx_full**2 + ky_half**2
    k2[0, 0] = 1e-12
    kx = _numerator_frequencies(nx, dx, half=False).astype(rdtype)[:, None]
    ky = _numerator_frequencies(ny, dy, half=True).astype(rdtype)[None, :]
    denominator = (2j * np.pi * k2).astype(stack.dtype)
    gx = fft.rfft2(stack.real, axes=(-2, -1), **kw)
    gy = fft.rfft2(stack.imag, axes=(-2, -1), **kw)
    asarray = backend.asarray
    spectrum = (gx * asarray(kx) + gy * asarray(ky)) / asarray(denominator)
    out = fft.irfft2(spectrum, s=(nx, ny), axes=(-2, -1), overwrite_x=True, **kw).astype(rdtype, copy=False)
    return out - out.min(axis=(-2, -1), keepdims=True)


def integrate_gradient(images: Any) -> Any:
    """Integrate a complex gradient image (real part = d/dx along axis -2, imaginary = d/dy).

    Returns real :class:`Images` (label ``iCOM``) whose minimum is 0 in every image.
    """
    if not images.is_complex:
        raise InvalidTypeError(
            f"integrate_gradient needs complex gradient images (real = x, imag = y), but the data are {images.dtype}"
        )
    rdtype = real_dtype(images.dtype)
    array = map_images(integrate_gradient_stack, images.array, dtype=rdtype, sampling=images.sampling)
    metadata = dict(images._copy_kwargs()["metadata"])
    metadata.update(label="iCOM", units="arb. unit")
    return images._new(array, metadata=metadata)
