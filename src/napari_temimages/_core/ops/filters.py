"""Image filters: ``Images.gaussian_filter`` (spec §3.7, §6.3).

Array layout ``(*ensemble, n_x, n_y)`` (axis -2 = x, -1 = y). ``sigma`` is the standard
deviation in Å, converted to pixels per axis (``sigma_x / d_x``, ``sigma_y / d_y``); the kernel is
``scipy.ndimage.gaussian_filter``'s (truncated at 4 sigma), applied to the whole stack in one call
with sigma 0 on the ensemble axes.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..backend import get_backend
from ..ensemble import map_images
from ..errors import InvalidArgumentError
from ..precision import is_complex_dtype
from .geometry import is_number, positive_pair

__all__ = ["gaussian_filter", "gaussian_filter_stack", "BOUNDARY_MODES"]

#: abTEM boundary name -> scipy.ndimage mode.
BOUNDARY_MODES = {"periodic": "wrap", "reflect": "reflect", "constant": "constant"}


#: Below this sigma (pixels) the direct filter is as fast as the Fourier product.
_FFT_MIN_SIGMA = 2.0


def _periodic_kernel(n: int, sigma: float) -> np.ndarray:
    """scipy's truncated (4 sigma) Gaussian kernel wrapped onto a periodic grid of length ``n``."""
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (k / sigma) ** 2)
    weights /= weights.sum()
    kernel = np.zeros(n)
    np.add.at(kernel, k % n, weights)
    return kernel


@functools.lru_cache(maxsize=32)
def _kernel_spectra(nx: int, ny: int, sx: float, sy: float, real: bool) -> tuple[np.ndarray, np.ndarray]:
    """Spectra of the periodic kernels along x (full) and y (half for real data)."""
    kx = np.fft.fft(_periodic_kernel(nx, sx)).real if sx > 0 else np.ones(nx)
    ky_kernel = _periodic_kernel(ny, sy) if sy > 0 else None
    if ky_kernel is None:
        ky = np.ones(ny // 2 + 1 if real else ny)
    else:
        ky = (np.fft.rfft(ky_kernel) if real else np.fft.fft(ky_kernel)).real
    return kx, ky


def _fft_gaussian(stack: Any, sigma_pixels: tuple[float, float]) -> Any:
    """Periodic Gaussian filter as a product with the wrapped kernel's DFT (exactly scipy's
    ``mode="wrap"`` correlation when the kernel fits in the image)."""
    backend = get_backend(stack)
    xp, fft, kw = backend.xp, backend.fft(), backend.fft_kwargs()
    nx, ny = stack.shape[-2:]
    real = not is_complex_dtype(stack.dtype)
    kx, ky = _kernel_spectra(nx, ny, float(sigma_pixels[0]), float(sigma_pixels[1]), real)
    work_dtype = np.float32 if stack.dtype in (np.float32, np.complex64) else np.float64
    kernel = backend.asarray((kx[:, None] * ky[None, :]).astype(work_dtype))
    if real:
        spectrum = fft.rfft2(stack, axes=(-2, -1), **kw)
        spectrum *= kernel
        out = fft.irfft2(spectrum, s=(nx, ny), axes=(-2, -1), **kw)
    else:
        spectrum = fft.fft2(stack, axes=(-2, -1), **kw)
        spectrum *= kernel
        out = fft.ifft2(spectrum, axes=(-2, -1), **kw)
    return out.astype(stack.dtype, copy=False)


def _use_fft(stack: Any, sigma_pixels: tuple[float, float], mode: str) -> bool:
    if mode != "wrap" or stack.dtype.kind not in "fc" or max(sigma_pixels) < _FFT_MIN_SIGMA:
        return False
    radii = [int(4.0 * s + 0.5) for s in sigma_pixels]
    return all(r < n for r, n in zip(radii, stack.shape[-2:]))


def gaussian_filter_stack(stack: Any, sigma_pixels: tuple[float, float], mode: str, cval: float = 0.0) -> Any:
    """Gaussian filter of every image of a stack; ``sigma_pixels`` along (x, y) in pixels.

    Output dtype = input dtype (complex data are filtered part-wise, integers stay integers).
    Periodic filters with sigma >= 2 px (float data, kernel smaller than the image) are computed
    as a product in Fourier space with the DFT of scipy's wrapped, truncated kernel: the same
    linear filter, O(n log n) instead of O(n sigma).
    """
    if _use_fft(stack, sigma_pixels, mode):
        return _fft_gaussian(stack, sigma_pixels)
    ndi = get_backend(stack).ndimage()
    sigma = (0.0,) * (stack.ndim - 2) + tuple(sigma_pixels)
    return ndi.gaussian_filter(stack, sigma=sigma, mode=mode, cval=cval, truncate=4.0)


def gaussian_filter(images: Any, sigma: Any, boundary: str = "periodic", cval: float = 0.0) -> Any:
    """Gaussian blur with standard deviation ``sigma`` Å (number or ``(sigma_x, sigma_y)``).

    ``boundary``: ``"periodic"`` (wrap), ``"reflect"`` (edge pixel repeated) or ``"constant"``
    (filled with ``cval``).
    """
    sigma = positive_pair(sigma, "gaussian_filter sigma")
    if boundary not in BOUNDARY_MODES:
        raise InvalidArgumentError(
            f"gaussian_filter: unknown boundary {boundary!r}; use one of {', '.join(BOUNDARY_MODES)}"
        )
    if not is_number(cval):
        raise InvalidArgumentError(f"gaussian_filter: cval must be a number, got {cval!r}")
    pixels = (sigma[0] / images.sampling[0], sigma[1] / images.sampling[1])
    array = map_images(
        gaussian_filter_stack, images.array, sigma_pixels=pixels, mode=BOUNDARY_MODES[boundary], cval=float(cval)
    )
    return images._new(array)
