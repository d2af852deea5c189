"""Resampling: ``Images.interpolate`` by Fourier or spline interpolation (spec §3.7, §6.1, §6.4).

Array layout ``(*ensemble, n_x, n_y)`` (axis -2 = x, -1 = y), sampling in Å. The new grid
``(g_x, g_y)`` always spans the same extent: new sampling ``L / g``.

* ``fft``: the forward DFT's coefficients with integer frequency representable on the smaller of
  the two grids (``m in [-floor(n_min/2), ceil(n_min/2) - 1]``) are copied into a zero spectrum of
  the new size; inverse DFT; real part for real data. ``normalization="values"`` keeps pixel
  values (and the mean), ``"intensity"``/``"amplitude"`` keep the sum. Computed in the precision
  dtype (float32/complex64), as abTEM does.
* ``spline``: new pixel ``(i, j)`` samples old fractional pixel ``(i n_x / g_x, j n_y / g_y)``
  with a B-spline of ``order`` 0-5; ``periodic`` is the exact periodic spline, ``reflect`` and
  ``constant`` pad ``2 order`` pixels (mirror / ``cval``) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_backend
from ..ensemble import map_images
from ..errors import InvalidArgumentError
from ..precision import complex_dtype, float_dtype, is_complex_dtype
from .geometry import int_pair, is_number, positive_int, positive_pair

__all__ = ["interpolate", "new_gpts", "fft_interpolate_stack", "spline_interpolate_stack", "spline_sample_stack"]

_NORMALIZATIONS = ("values", "intensity", "amplitude")
_BOUNDARIES = ("periodic", "reflect", "constant")
_METHODS = ("fft", "spline")


def new_gpts(extent: tuple[float, float], sampling: Any, gpts: Any) -> tuple[int, int]:
    """Grid size from exactly one of ``gpts`` or ``sampling`` [Å]: ``g = ceil(L / s)``."""
    if sampling is not None and gpts is not None:
        raise InvalidArgumentError("interpolate: give either sampling or gpts, not both")
    if gpts is not None:
        return int_pair(gpts, "interpolate gpts")
    if sampling is None:
        raise InvalidArgumentError("interpolate: give the new sampling (Å) or gpts")
    s = positive_pair(sampling, "interpolate sampling")
    return tuple(max(1, int(np.ceil(l / d))) for l, d in zip(extent, s))  # type: ignore[return-value]


# ---------------------------------------------------------------------------------- fft
def _frequency_map(n: int, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices (old grid) and destination indices (new grid) of the kept frequencies."""
    n_min = min(n, g)
    m = np.arange(-(n_min // 2), (n_min + 1) // 2)
    return m % n, m % g


def _kept_frequencies(n: int, g: int) -> np.ndarray:
    """Signed frequency kept at each new-grid position ``p`` (``p = m mod g``), or ``n`` (none)."""
    out = np.full(g, n, dtype=np.intp)
    n_min = min(n, g)
    m = np.arange(-(n_min // 2), (n_min + 1) // 2)
    out[m % g] = m
    return out


def _gather(half: Any, fx: np.ndarray, fy: np.ndarray, n: tuple[int, int], backend: Any) -> Any:
    """``T[p_x, p_y] = F[fx[p_x], fy[p_y]]`` (0 where a frequency is ``n``, i.e. absent) from the
    half spectrum ``F[:, :n_y//2+1]`` of a real image, using ``F[-m] = conj(F[m])``."""
    nx, ny = n
    valid_x, valid_y = fx != nx, fy != ny
    out = backend.xp.zeros(half.shape[:-2] + (fx.size, fy.size), dtype=half.dtype)
    rows = np.nonzero(valid_x)[0]
    for negative in (False, True):
        cols = np.nonzero(valid_y & ((fy < 0) == negative))[0]
        if not cols.size or not rows.size:
            continue
        sx = (-fx[rows] if negative else fx[rows]) % nx
        sy = -fy[cols] if negative else fy[cols]
        block = half[..., backend.asarray(sx)[:, None], backend.asarray(sy)[None, :]]
        out[..., backend.asarray(rows)[:, None], backend.asarray(cols)[None, :]] = block.conj() if negative else block
    return out


def _real_fft_interpolate(stack: Any, gpts: tuple[int, int], scale: float) -> Any:
    """Real images: ``Re IDFT(G)`` computed as ``irfft2`` of the Hermitian part of the mapped
    spectrum ``G`` (``H[p] = (G[p] + conj G[-p]) / 2``), from an ``rfft2`` half spectrum."""
    backend = get_backend(stack)
    fft, kw = backend.fft(), backend.fft_kwargs()
    (nx, ny), (gx, gy) = stack.shape[-2:], gpts
    half = fft.rfft2(stack.astype(float_dtype(), copy=False), axes=(-2, -1), **kw)
    ax, ay = _kept_frequencies(nx, gx), _kept_frequencies(ny, gy)
    # conj(G[-p]) = F[-M(-p)]: the mirrored kept frequency at each position
    bx = np.where(ax[(-np.arange(gx)) % gx] != nx, -ax[(-np.arange(gx)) % gx], nx)
    by = np.where(ay[(-np.arange(gy)) % gy] != ny, -ay[(-np.arange(gy)) % gy], ny)
    ay, by = ay[: gy // 2 + 1], by[: gy // 2 + 1]
    spectrum = _gather(half, ax, ay, (nx, ny), backend)
    rows, cols = np.nonzero(ax != bx)[0], np.nonzero(ay != by)[0]
    if rows.size or cols.size:  # only these rows/columns are not Hermitian already
        mirror = _gather(half, bx, by, (nx, ny), backend)
        row_sel = (Ellipsis, backend.asarray(rows), slice(None))
        col_sel = (Ellipsis, backend.asarray(cols))
        averaged_cols = (spectrum[col_sel] + mirror[col_sel]) / 2
        spectrum[row_sel] = (spectrum[row_sel] + mirror[row_sel]) / 2
        spectrum[col_sel] = averaged_cols
    out = fft.irfft2(spectrum, s=(gx, gy), axes=(-2, -1), norm="forward", overwrite_x=True, **kw)
    out *= out.dtype.type(scale)
    return out


def fft_interpolate_stack(stack: Any, gpts: tuple[int, int], normalization: str = "values") -> Any:
    """Fourier interpolation of a stack ``(*ensemble, n_x, n_y)`` to ``(*ensemble, g_x, g_y)``.

    Returns float32 (real input) or complex64 (complex input) with abTEM's default precision.
    """
    (nx, ny), (gx, gy) = stack.shape[-2:], gpts
    scale = 1.0 / (nx * ny) if normalization == "values" else 1.0 / (gx * gy)
    if not is_complex_dtype(stack.dtype):
        return _real_fft_interpolate(stack, gpts, scale)
    backend = get_backend(stack)
    xp, fft, kw = backend.xp, backend.fft(), backend.fft_kwargs()
    spectrum = fft.fft2(stack.astype(complex_dtype(), copy=False), axes=(-2, -1), **kw)
    (sx, dx), (sy, dy) = _frequency_map(nx, gx), _frequency_map(ny, gy)
    new = xp.zeros(stack.shape[:-2] + (gx, gy), dtype=spectrum.dtype)
    sx, dx, sy, dy = (backend.asarray(a) for a in (sx, dx, sy, dy))
    new[..., dx[:, None], dy[None, :]] = spectrum[..., sx[:, None], sy[None, :]]
    out = fft.ifft2(new, axes=(-2, -1), norm="forward", overwrite_x=True, **kw)
    out *= out.dtype.type(scale)
    return out


# ---------------------------------------------------------------------------------- spline
def spline_sample_stack(
    stack: Any, coordinates: Any, order: int, mode: str, cval: float = 0.0, output_dtype: Any = None
) -> Any:
    """Sample every image of a stack at the same pixel ``coordinates`` ``(2, *points)``.

    B-spline prefiltering is done once for the whole stack (``spline_filter1d`` along x then y,
    what ``map_coordinates(prefilter=True)`` does per image), then one ``map_coordinates`` call per
    image. Returns ``(*ensemble, *points)`` in ``output_dtype`` (default: the input dtype).
    """
    backend = get_backend(stack)
    ndi, xp = backend.ndimage(), backend.xp
    dtype = np.dtype(stack.dtype if output_dtype is None else output_dtype)
    coefficients = stack
    if order > 1:
        work = np.complex128 if is_complex_dtype(stack.dtype) else np.float64
        coefficients = ndi.spline_filter1d(stack, order, axis=-2, output=work, mode=mode)
        coefficients = ndi.spline_filter1d(coefficients, order, axis=-1, output=work, mode=mode)
    ens = stack.shape[:-2]
    images = coefficients.reshape((-1,) + stack.shape[-2:])
    out = xp.empty((images.shape[0],) + tuple(coordinates.shape[1:]), dtype=dtype)
    for i in range(images.shape[0]):
        ndi.map_coordinates(images[i], coordinates, output=out[i], order=order, mode=mode, cval=cval, prefilter=False)
    return out.reshape(ens + tuple(coordinates.shape[1:]))


def _grid_coordinates(shape: tuple[int, int], gpts: tuple[int, int], shift: float) -> np.ndarray:
    """Old-pixel positions ``(2, g_x, g_y)`` of the new pixels: ``i n / g + shift``."""
    x = np.linspace(0, shape[0], gpts[0], endpoint=False) + shift
    y = np.linspace(0, shape[1], gpts[1], endpoint=False) + shift
    return np.stack(np.meshgrid(x, y, indexing="ij"))


def _pad_stack(stack: Any, width: int, boundary: str, cval: float) -> Any:
    xp = get_backend(stack).xp
    pad = [(0, 0)] * (stack.ndim - 2) + [(width, width)] * 2
    if boundary == "reflect":
        return xp.pad(stack, pad, mode="reflect")
    return xp.pad(stack, pad, mode="constant", constant_values=cval)


def spline_interpolate_stack(
    stack: Any, gpts: tuple[int, int], order: int = 3, boundary: str = "periodic", cval: float = 0.0
) -> Any:
    """Spline resampling of a stack to ``gpts``; output dtype = input dtype (integers rounded)."""
    backend = get_backend(stack)
    shape = tuple(stack.shape[-2:])
    if boundary == "periodic":
        coords = _grid_coordinates(shape, gpts, 0.0)
        return spline_sample_stack(stack, backend.asarray(coords), order, "grid-wrap")
    width = 2 * order
    padded = _pad_stack(stack, width, boundary, cval)
    coords = _grid_coordinates(shape, gpts, float(width))
    return spline_sample_stack(padded, backend.asarray(coords), order, "constant", cval=cval)


# ---------------------------------------------------------------------------------- API
def _check_options(method: str, boundary: str, order: Any, normalization: str, cval: Any) -> int:
    if method not in _METHODS:
        raise InvalidArgumentError(f"interpolate: unknown method {method!r}; use 'fft' or 'spline'")
    if boundary not in _BOUNDARIES:
        raise InvalidArgumentError(
            f"interpolate: unknown boundary {boundary!r}; use one of {', '.join(_BOUNDARIES)}"
        )
    if method == "fft" and boundary != "periodic":
        raise InvalidArgumentError("interpolate: only periodic boundaries are available for FFT interpolation")
    if normalization not in _NORMALIZATIONS:
        raise InvalidArgumentError(
            f"interpolate: normalization {normalization!r} not recognized; use one of {', '.join(_NORMALIZATIONS)}"
        )
    if not is_number(cval):
        raise InvalidArgumentError(f"interpolate: cval must be a number, got {cval!r}")
    order = positive_int(order, "interpolate order", minimum=0)
    if order > 5:
        raise InvalidArgumentError(f"interpolate: spline order must be 0..5, got {order}")
    return order


def interpolate(
    images: Any,
    sampling: Any = None,
    gpts: Any = None,
    method: str = "fft",
    boundary: str = "periodic",
    order: int = 3,
    normalization: str = "values",
    cval: float = 0.0,
) -> Any:
    """Resample to ``gpts`` or to ``ceil(L / sampling)`` pixels; the extent is kept exactly.

    Give exactly one of ``sampling`` (Å, number or pair) and ``gpts`` (int or pair).
    """
    order = _check_options(method, boundary, order, normalization, cval)
    gpts = new_gpts(images.extent, sampling, gpts)
    extent = images.extent
    new_sampling = (extent[0] / gpts[0], extent[1] / gpts[1])
    if method == "fft":
        dtype = complex_dtype() if images.is_complex else float_dtype()
        array = map_images(
            fft_interpolate_stack, images.array, out_base_shape=gpts, dtype=dtype, gpts=gpts, normalization=normalization
        )
    else:
        array = map_images(
            spline_interpolate_stack,
            images.array,
            out_base_shape=gpts,
            gpts=gpts,
            order=order,
            boundary=boundary,
            cval=float(cval),
        )
    return images._new(array, sampling=new_sampling)
