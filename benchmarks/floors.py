"""The "floor": each benchmarked operation as the most direct numpy/scipy math, no metadata.

These follow ``/work/shared/bench/README.md`` (the measured abTEM baseline): ``scipy.fft`` with
``workers=2`` and real-to-complex transforms for real data, scipy's own ``ndimage`` where that is
the algorithm, numpy ufuncs with ``out=``, and a thread pool where numpy releases the GIL.
``*_fftw`` variants do the same with pyFFTW planned with ``FFTW_MEASURE`` (on the first call of a
shape, i.e. in the warm-up). Every floor returns a numpy array equal (to ~1e-6) to what abTEM
1.0.11 returns for the same operation: the benchmark checksums compare them.

Array layout ``(*ensemble, n_x, n_y)``; sampling in Å.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np
import scipy.fft as sfft
import scipy.ndimage as ndi

WORKERS = max(1, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

_POOL: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="floor")
    return _POOL


def parallel_blocks(n: int, func: Callable[[int, int], Any], parts: int | None = None) -> list:
    """Run ``func(start, stop)`` on ``parts`` (default: 2 x workers) contiguous blocks of ``range(n)``."""
    parts = max(1, min(n, parts or 2 * WORKERS))
    edges = np.linspace(0, n, parts + 1).astype(int)
    if parts == 1 or WORKERS == 1:
        return [func(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
    futures = [pool().submit(func, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    return [f.result() for f in futures]


# --------------------------------------------------------------------------- FFT helpers
class _Scipy:
    @staticmethod
    def rfft2(x):
        return sfft.rfft2(x, axes=(-2, -1), workers=WORKERS)

    @staticmethod
    def irfft2(x, s):
        return sfft.irfft2(x, s=s, axes=(-2, -1), workers=WORKERS, overwrite_x=True)


@lru_cache(maxsize=32)
def _fftw_plan(kind: str, shape: tuple, dtype: str, s: tuple | None = None):
    import pyfftw
    import pyfftw.builders as builders

    a = pyfftw.empty_aligned(shape, dtype=dtype)
    a[...] = 0
    if kind == "rfft2":
        return builders.rfft2(a, axes=(-2, -1), threads=WORKERS, planner_effort="FFTW_MEASURE", avoid_copy=False)
    return builders.irfft2(a, s=s, axes=(-2, -1), threads=WORKERS, planner_effort="FFTW_MEASURE", avoid_copy=False)


class _Fftw:
    @staticmethod
    def rfft2(x):
        plan = _fftw_plan("rfft2", x.shape, x.dtype.str)
        return np.array(plan(x), copy=True)

    @staticmethod
    def irfft2(x, s):
        plan = _fftw_plan("irfft2", x.shape, x.dtype.str, tuple(s))
        return np.array(plan(x), copy=True)


def _fft(engine: str):
    return _Fftw if engine == "fftw" else _Scipy


# --------------------------------------------------------------------------- interpolate (fft)
def _axis_map(n: int, g: int) -> list[tuple[slice, slice, float]]:
    """(source slice, destination slice, weight) along a full-spectrum axis for n -> g (even n < g).

    abTEM keeps frequencies -n/2 .. n/2-1 and takes the real part of the complex inverse, which
    equals putting half of the Nyquist coefficient at +n/2 and half at -n/2.
    """
    h = n // 2
    if n % 2:
        return [(slice(0, h + 1), slice(0, h + 1), 1.0), (slice(n - h, n), slice(g - h, g), 1.0)]
    return [
        (slice(0, h), slice(0, h), 1.0),
        (slice(h + 1, n), slice(g - h + 1, g), 1.0),
        (slice(h, h + 1), slice(h, h + 1), 0.5),
        (slice(h, h + 1), slice(g - h, g - h + 1), 0.5),
    ]


def interp_fft(x: np.ndarray, gpts: tuple[int, int], engine: str = "scipy") -> np.ndarray:
    """Fourier interpolation of a real stack to a larger grid, values preserved (abTEM's ``fft``).

    The result is the real part of abTEM's complex inverse, i.e. the inverse of the Hermitian part
    of its zero-padded spectrum: the Nyquist row is split half/half between +n/2 and -n/2, the
    Nyquist column is halved, and the -n/2,-n/2 corner lands (halved) at +n/2,+n/2 only.
    """
    f = _fft(engine)
    (nx, ny), (gx, gy) = x.shape[-2:], gpts
    X = f.rfft2(x)
    scale = gx * gy / (nx * ny)
    Y = np.zeros(x.shape[:-2] + (gx, gy // 2 + 1), dtype=X.dtype)
    hy = ny // 2
    if ny % 2:
        cols = [(slice(0, hy + 1), slice(0, hy + 1), 1.0, False)]
    else:
        cols = [(slice(0, hy), slice(0, hy), 1.0, False), (slice(hy, hy + 1), slice(hy, hy + 1), 0.5, True)]
    for rs, rd, rw in _axis_map(nx, gx):
        for cs, cd, cw, nyquist_col in cols:
            w = cw * rw
            if nyquist_col and rw == 0.5:
                if rd.start != rs.start:  # -n/2 row: nothing at +ny/2
                    continue
                w = 0.5
            np.multiply(X[..., rs, cs], np.float32(scale * w), out=Y[..., rd, cd])
    return f.irfft2(Y, (gx, gy))


# --------------------------------------------------------------------------- interpolate (spline)
def _cubic_taps(n: int, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (4, g) and weights (4, g) of the periodic cubic B-spline at u_i = i n / g."""
    u = np.arange(g) * (n / g)
    k = np.floor(u)
    t = u - k
    w = np.stack([(1 - t) ** 3 / 6, (3 * t**3 - 6 * t**2 + 4) / 6, (-3 * t**3 + 3 * t**2 + 3 * t + 1) / 6, t**3 / 6])
    idx = (k.astype(np.intp)[None, :] + np.arange(-1, 3)[:, None]) % n
    return idx, w.astype(np.float32)


def interp_spline(x: np.ndarray, gpts: tuple[int, int]) -> np.ndarray:
    """Periodic cubic spline resampling of one image (``map_coordinates(grid-wrap)`` at a grid)."""
    (nx, ny), (gx, gy) = x.shape, gpts
    c = ndi.spline_filter(x, order=3, mode="grid-wrap", output=np.float32)
    ix, wx = _cubic_taps(nx, gx)
    iy, wy = _cubic_taps(ny, gy)
    out = np.empty((gx, gy), np.float32)

    def block(a: int, b: int) -> None:
        for r0 in range(a, b, 32):
            r1 = min(b, r0 + 32)
            t = np.zeros((r1 - r0, ny), np.float32)
            tmp = np.empty_like(t)
            for k in range(4):
                np.take(c, ix[k, r0:r1], axis=0, out=tmp)
                tmp *= wx[k, r0:r1, None]
                t += tmp
            o = out[r0:r1]
            tmp2 = np.empty((r1 - r0, gy), np.float32)
            np.take(t, iy[0], axis=1, out=o)
            o *= wy[0]
            for k in range(1, 4):
                np.take(t, iy[k], axis=1, out=tmp2)
                tmp2 *= wy[k]
                o += tmp2

    parallel_blocks(gx, block)
    return out


# --------------------------------------------------------------------------- gaussian filter
def _gauss_kernel_spectrum(n: int, sigma: float, half: bool) -> np.ndarray:
    """DFT of scipy's truncated (4 sigma) Gaussian kernel placed periodically on n pixels."""
    radius = int(4.0 * sigma + 0.5)
    xs = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / sigma**2 * xs.astype(np.float64) ** 2)
    phi /= phi.sum()
    k = np.zeros(n)
    np.add.at(k, xs % n, phi)
    spec = np.fft.rfft(k) if half else np.fft.fft(k)
    return spec.real.astype(np.float32)


def gauss(x: np.ndarray, sigma_px: tuple[float, float], engine: str = "scipy") -> np.ndarray:
    """Periodic Gaussian filter (scipy's kernel, ``mode='wrap'``) as a product with its DFT."""
    f = _fft(engine)
    nx, ny = x.shape[-2:]
    X = f.rfft2(x)
    k = _gauss_kernel_spectrum(nx, sigma_px[0], False)[:, None] * _gauss_kernel_spectrum(ny, sigma_px[1], True)[None, :]
    X *= k
    return f.irfft2(X, (nx, ny))


# --------------------------------------------------------------------------- diffractograms
def diffractogram(x: np.ndarray, engine: str = "scipy") -> np.ndarray:
    """``fftshift(|DFT2|)`` of real images from the half spectrum, mirrored into the output.

    Right half (k_y >= 0): ``out[i, n_y/2 + k_y] = A[(i - n_x/2) mod n_x, k_y]``; left half by
    ``|F(-k)| = |F(k)|``: ``out[i, j] = A[(n_x/2 - i) mod n_x, n_y/2 - j]``.
    """
    f = _fft(engine)
    nx, ny = x.shape[-2:]
    if nx % 2 or ny % 2:
        return np.fft.fftshift(np.abs(np.fft.fft2(x)), axes=(-2, -1)).astype(np.float32)
    X = f.rfft2(x)
    hx, hy = nx // 2, ny // 2
    out = np.empty(x.shape, np.float32)
    pairs = [
        (X[..., hx:, :hy], out[..., :hx, hy:]),
        (X[..., :hx, :hy], out[..., hx:, hy:]),
        (X[..., hx::-1, hy:0:-1], out[..., : hx + 1, :hy]),
        (X[..., nx - 1 : hx : -1, hy:0:-1], out[..., hx + 1 :, :hy]),
    ]

    def run(a: int, b: int) -> None:
        for src, dst in pairs:
            m = dst.shape[-2]
            lo, hi = (a * m) // nx, (b * m) // nx
            np.abs(src[..., lo:hi, :], out=dst[..., lo:hi, :])

    parallel_blocks(nx, run, parts=WORKERS)
    return out


# --------------------------------------------------------------------------- tile / crop
def tile(x: np.ndarray, reps: tuple[int, int]) -> np.ndarray:
    nx, ny = x.shape[-2:]
    out = np.empty(x.shape[:-2] + (nx * reps[0], ny * reps[1]), x.dtype)
    view = out.reshape(x.shape[:-2] + (reps[0], nx, reps[1], ny))
    view[...] = x[..., None, :, None, :]
    return out


def crop(x: np.ndarray, n: tuple[int, int]) -> np.ndarray:
    return x[..., : n[0], : n[1]]


# --------------------------------------------------------------------------- line profile
def line_positions(
    start: Sequence[float], end: Sequence[float], gpts: int, width: float, sampling: tuple[float, float]
) -> np.ndarray:
    """Pixel positions (gpts, n_width, 2) of abTEM's ``interpolate_line`` (endpoint=False)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    t = np.arange(gpts) / gpts
    pos = (start[None] + t[:, None] * (end - start)[None]) / np.asarray(sampling)
    if not width:
        return pos[:, None, :]
    d = (end - start) / np.linalg.norm(end - start)
    perp = np.array([-d[1], d[0]])
    s = min(sampling)
    n = math.floor(width / s / 2) * 2 + 1
    offsets = np.linspace(-n / 2, n / 2, n)[:, None] * s * perp[None] / np.asarray(sampling)
    return pos[:, None, :] + offsets[None, :, :]


def line(x: np.ndarray, positions: np.ndarray, order: int = 3) -> np.ndarray:
    """Line profile: spline prefilter of the line's bounding window (+26 px), then sampling."""
    nx, ny = x.shape
    margin = 26
    lo = np.floor(positions.reshape(-1, 2).min(0)).astype(int) - margin
    hi = np.ceil(positions.reshape(-1, 2).max(0)).astype(int) + margin + 1
    ix = np.arange(lo[0], hi[0]) % nx
    iy = np.arange(lo[1], hi[1]) % ny
    window = x[np.ix_(ix, iy)]
    coeffs = ndi.spline_filter(window, order=order, mode="mirror", output=np.float64)
    coords = (positions - lo[None, None, :]).reshape(-1, 2).T
    values = ndi.map_coordinates(coeffs, coords, order=order, prefilter=False, output=np.float32)
    return values.reshape(positions.shape[:2]).mean(-1)


# --------------------------------------------------------------------------- poisson
def poisson(x: np.ndarray, dose_per_pixel: float, seed: int = 0) -> np.ndarray:
    lam = x * np.float32(dose_per_pixel)
    np.maximum(lam, 0, out=lam)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=()))
    return rng.poisson(lam).astype(np.float32)


# --------------------------------------------------------------------------- integrate gradient
def igrad(z: np.ndarray, sampling: tuple[float, float], engine: str = "scipy") -> np.ndarray:
    f = _fft(engine)
    nx, ny = z.shape[-2:]
    dx, dy = sampling
    gx = f.rfft2(np.ascontiguousarray(z.real))
    gy = f.rfft2(np.ascontiguousarray(z.imag))
    kx = np.fft.fftfreq(nx, dx).astype(np.float32)
    ky = np.fft.rfftfreq(ny, dy).astype(np.float32)
    kxn = kx.copy()
    if nx % 2 == 0:
        kxn[nx // 2] = 0
    k2 = kx[:, None] ** 2 + ky[None, :] ** 2
    k2[0, 0] = 1e-12
    inv = (1 / (2 * np.pi * k2)).astype(np.float32)  # 1 / (2 pi i k2) = -i inv
    gx *= kxn[:, None]
    gy *= ky[None, :]
    gx += gy
    gx *= inv
    gx *= np.complex64(-1j)
    out = f.irfft2(gx, (nx, ny)).astype(np.float32, copy=False)
    out -= out.min()
    return out


# --------------------------------------------------------------------------- ensembles
def ens_mean(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    parts = parallel_blocks(n, lambda a, b: np.add.reduce(x[a:b], axis=0), parts=WORKERS)
    total = parts[0]
    for p in parts[1:]:
        total += p
    total /= np.float32(n)
    return total


def ens_std(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    flat = x.reshape(n, -1)
    out = np.empty(flat.shape[1], x.dtype)

    def block(a: int, b: int) -> None:
        for c0 in range(a, b, 2048):
            c1 = min(b, c0 + 2048)
            out[c0:c1] = np.std(flat[:, c0:c1], axis=0)

    parallel_blocks(flat.shape[1], block, parts=WORKERS)
    return out.reshape(x.shape[1:])


def ens_normalize(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)

    def block(a: int, b: int) -> None:
        for i in range(a, b):
            m = x[i].mean()
            s = x[i].max()
            np.subtract(x[i], m, out=out[i])
            out[i] /= s

    parallel_blocks(x.shape[0], block, parts=x.shape[0])
    return out


def ens_gauss(x: np.ndarray, sigma_px: tuple[float, float], engine: str = "scipy") -> np.ndarray:
    return gauss(x, sigma_px, engine)


def ens_diffractogram(x: np.ndarray, engine: str = "scipy") -> np.ndarray:
    return diffractogram(x, engine)


# --------------------------------------------------------------------------- out of core
def ooc_mean(shape: tuple[int, int, int], chunk: int, seed: int = 0) -> np.ndarray:
    """Mean over axis 0 of dask's ``default_rng(seed).random(shape, float32, chunks=(chunk,...))``,
    regenerated chunk by chunk with the same spawned streams, summed on the worker threads."""
    n_chunks = math.ceil(shape[0] / chunk)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)

    def part(a: int, b: int) -> np.ndarray:
        acc = np.zeros(shape[1:], np.float32)
        for i in range(a, b):
            rows = min(chunk, shape[0] - i * chunk)
            block = np.random.Generator(np.random.PCG64(seeds[i])).random((rows,) + tuple(shape[1:]), dtype=np.float32)
            acc += np.add.reduce(block, axis=0)
        return acc

    parts = parallel_blocks(n_chunks, part, parts=WORKERS)
    total = parts[0]
    for p in parts[1:]:
        total += p
    total /= np.float32(shape[0])
    return total


# --------------------------------------------------------------------------- memory bandwidth
def membw_copy(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.copyto(out, x)
    return out
