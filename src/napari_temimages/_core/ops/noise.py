"""Noise models: ``poisson_noise`` and ``scan_noise`` (spec §3.10, §6.7).

Array layout ``(*ensemble, n_x, n_y)`` (axis -2 = x, -1 = y). Random numbers come from numpy on
the CPU, seeded per image exactly as abTEM 1.0.11 does, so a seeded result equals abTEM's bit for
bit, lazy equals eager and chunking does not change it. Poisson draws need the data on the host
(GPU data make a round trip); scan-noise fields depend on the seeds only and are uploaded:

* Poisson: image ``g`` (its index tuple in the *output's* ensemble axes) draws with
  ``default_rng(SeedSequence(s, spawn_key=g)).poisson(lambda)``.
* Scan noise: a per-image integer seed gives two legacy ``RandomState`` streams (x and y).
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from ..axes import NonLinearAxis, SampleAxis
from ..backend import get_backend, is_lazy
from ..ensemble import map_images
from ..errors import InvalidArgumentError, InvalidTypeError
from ..precision import float_dtype
from .geometry import is_number, positive_int

__all__ = ["poisson_noise", "scan_noise", "sample_seeds", "scan_noise_fields"]

_MAX_SEED = 2147483647


# ---------------------------------------------------------------------------------- shared
def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)) or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def sample_seeds(seed: int | None, samples: int) -> list[int]:
    """``samples`` distinct seeds drawn with ``default_rng(seed).integers(2**31 - 1)``."""
    rng = np.random.default_rng(seed)
    seeds: list[int] = []
    while len(seeds) < samples:
        value = int(rng.integers(_MAX_SEED))
        if value not in seeds:
            seeds.append(value)
    return seeds


def _as_values(value: Any, what: str) -> np.ndarray:
    """A number or a 1-D sequence/array of numbers -> float64 array (0-D or 1-D)."""
    try:
        values = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{what} must be a number or a sequence of numbers, not {value!r}") from None
    if values.ndim > 1 or values.size == 0:
        raise InvalidArgumentError(f"{what} must be a number or a non-empty 1-D sequence, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise InvalidArgumentError(f"{what} must be finite, got {value!r}")
    return values


def _prepend_axes(array: Any, sizes: Sequence[int]) -> Any:
    """Broadcast ``array`` to ``(*sizes, *array.shape)`` (lazy stays lazy, new axes chunked by 1)."""
    if not sizes:
        return array
    shape = tuple(sizes) + tuple(array.shape)
    if is_lazy(array):
        import dask.array as da

        chunks = ((1,) * s for s in sizes)
        return da.broadcast_to(array, shape, chunks=tuple(chunks) + array.chunks)
    return get_backend(array).xp.broadcast_to(array, shape)


# ---------------------------------------------------------------------------------- Poisson
def _poisson_stack(
    stack: Any,
    ensemble_offset: tuple[int, ...],
    dose: np.ndarray,
    seeds: Sequence[int],
    sample_axis: int | None,
    dose_axis: int | None,
) -> Any:
    """Counts for a block of images; ``ensemble_offset`` is the block's global index.

    Each image gets its own generator ``default_rng(SeedSequence(seed, spawn_key=g))`` on the
    device of the data (numpy on the CPU: abTEM's numbers bit for bit; cupy on a GPU: no host
    round trip, reproducible but different numbers).
    """
    backend = get_backend(stack)
    xp = backend.xp
    out = xp.empty(stack.shape, dtype=float_dtype())
    dose = dose.astype(float_dtype())
    for local in np.ndindex(*stack.shape[:-2]):
        g = tuple(int(o + i) for o, i in zip(ensemble_offset, local))
        d = dose[g[dose_axis]] if dose_axis is not None else dose
        seed = seeds[g[sample_axis]] if sample_axis is not None else seeds[0]
        lam = xp.maximum(stack[local] * d, 0)
        rng = backend.default_rng(np.random.SeedSequence(seed, spawn_key=g))
        out[local] = rng.poisson(lam)
    return out


def _counts_result(images: Any, array: Any, new_axes: list) -> Any:
    """Result of a noise model: ``new_axes`` prepended to copies of the ensemble axes, labelled
    ``Counts`` / ``electrons`` as abTEM labels both noise models."""
    kwargs = images._copy_kwargs()
    metadata = kwargs["metadata"]
    metadata.update(label="Counts", units="electrons")
    return images._new(array, ensemble_axes_metadata=new_axes + kwargs["ensemble_axes_metadata"], metadata=metadata)


def _pixel_dose(images: Any, dose_per_area: Any, total_dose: Any) -> tuple[np.ndarray, str]:
    """Expected electrons per pixel at unit pixel value, and the dose axis units."""
    if dose_per_area is not None and total_dose is not None:
        raise InvalidArgumentError("poisson_noise: give one of dose_per_area or total_dose, not both")
    if dose_per_area is None and total_dose is None:
        raise InvalidArgumentError("poisson_noise: give dose_per_area (electrons/Å²) or total_dose (electrons per pixel)")
    name = "dose_per_area" if dose_per_area is not None else "total_dose"
    values = _as_values(dose_per_area if dose_per_area is not None else total_dose, f"poisson_noise {name}")
    if np.any(values <= 0):
        raise InvalidArgumentError(f"poisson_noise: {name} must be > 0, got {values.tolist()}")
    if dose_per_area is not None:
        return values * images.sampling[0] * images.sampling[1], "e/Å²"
    return values, "e"


def poisson_noise(
    images: Any,
    dose_per_area: Any = None,
    total_dose: Any = None,
    samples: int = 1,
    seed: int | None = None,
) -> Any:
    """Poisson-distributed electron counts (float32) with expectation ``max(I D, 0)``.

    ``D = d_x d_y dose_per_area`` (electrons/Å²) or ``D = total_dose`` (electrons per pixel at
    pixel value 1). Several doses (array or sequence) add a leading ``"Dose"`` axis (values in the
    units given: e/Å² or e); ``samples > 1`` adds a :class:`SampleAxis` after it.
    """
    if images.is_complex:
        raise InvalidTypeError("poisson_noise needs real images (counts of a complex value are undefined); take abs() or intensity() first")
    samples = positive_int(samples, "poisson_noise samples")
    seed = _check_seed(seed)
    values, units = _pixel_dose(images, dose_per_area, total_dose)
    axis_values = _as_values(dose_per_area if dose_per_area is not None else total_dose, "dose")
    new_axes: list[Any] = []
    sizes: list[int] = []
    dose_axis = sample_axis = None
    if values.ndim == 1:
        dose_axis = len(sizes)
        new_axes.append(NonLinearAxis(label="Dose", values=tuple(float(v) for v in axis_values), units=units))
        sizes.append(values.size)
    if samples > 1:
        sample_axis = len(sizes)
        new_axes.append(SampleAxis())
        sizes.append(samples)
        seeds = sample_seeds(seed, samples)
    else:
        seeds = [seed if seed is not None else np.random.SeedSequence().entropy]
    array = _prepend_axes(images.array, sizes)
    counts = map_images(
        _poisson_stack,
        array,
        dtype=float_dtype(),
        ensemble_index=True,
        dose=values,
        seeds=seeds,
        sample_axis=sample_axis,
        dose_axis=dose_axis,
    )
    return _counts_result(images, counts, new_axes)


# ---------------------------------------------------------------------------------- scan noise
def _signal(seed: int, line_time: float, dwell_time: float, shape: tuple[int, int], num_components: int,
            max_frequency: float) -> np.ndarray:
    """``p(t) = sum_c a_c sin(2 pi (t + phi_c) f_c)`` on the pixel-time grid, from a legacy
    ``RandomState(seed)``: frequencies ``U max_frequency`` (Hz), amplitudes ``U / sqrt(f)``, phase
    offsets ``U / f`` (s), drawn in that order.

    ``t[i, j] = (j + 1) line_time + (i + 1) dwell_time`` is separable, so the sum is evaluated as
    ``sin(A_j + B_i) = sin A_j cos B_i + cos A_j sin B_i``: two matrix products instead of
    ``num_components n_x n_y`` sines.
    """
    rs = np.random.RandomState(seed)
    f = rs.rand(num_components) * max_frequency
    a = rs.rand(num_components) / np.sqrt(f)
    phi = rs.rand(num_components) / f
    nx, ny = shape
    slow = 2 * np.pi * f[:, None] * ((np.arange(ny)[None, :] + 1) * line_time + phi[:, None])  # (N, n_y)
    fast = 2 * np.pi * f[None, :] * ((np.arange(nx)[:, None] + 1) * dwell_time)  # (n_x, N)
    return np.cos(fast) @ (a[:, None] * np.sin(slow)) + np.sin(fast) @ (a[:, None] * np.cos(slow))


def scan_noise_fields(
    shape: tuple[int, int],
    seed: int,
    dwell_time: float,
    flyback_time: float,
    rms_power: float,
    max_frequency: float,
    num_components: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Displacements ``(p_x, p_y)`` in pixels, each ``(n_x, n_y)``, for one image.

    Pixel time ``t[i, j] = (j + 1) T_line + (i + 1) dwell_time`` with ``T_line = dwell_time n_x +
    flyback_time`` (x is the fast scan axis). The fields are scaled so that the FWHM of the local
    magnification deviation ``(1 + dp_x/di)(1 + dp_y/dj) - 1`` is ``rms_power`` percent.
    """
    line_time = dwell_time * shape[0] + flyback_time
    children = np.random.SeedSequence(seed).spawn(2)
    seed_x, seed_y = (int(c.generate_state(1)[0]) for c in children)
    px = _signal(seed_x, line_time, dwell_time, shape, num_components, max_frequency)
    py = _signal(seed_y, line_time, dwell_time, shape, num_components, max_frequency)
    deviation = (1 + np.gradient(px, axis=0)) * (1 + np.gradient(py, axis=1)) - 1
    rms = np.sqrt(np.mean(deviation**2))
    scale = rms_power / (235.5 * rms) if rms > 0 else 0.0
    return px * scale, py * scale


def _cell(xp: Any, position: Any, n: int) -> tuple[Any, Any]:
    """Lower grid index (clipped to ``[0, n - 2]``) and fractional offset of each position."""
    index = xp.clip(xp.floor(position).astype(np.intp), 0, n - 2)
    return index, position - index


def _warp(image: Any, px: Any, py: Any) -> Any:
    """``out[i, j] = I((i + p_x) mod (n_x - 1), (j + p_y) mod (n_y - 1))`` by bilinear
    interpolation on the integer pixel grid (what ``RegularGridInterpolator(method="linear")``
    computes, vectorised), in float64 (complex128 for complex images), on the image's device."""
    xp = get_backend(image).xp
    nx, ny = image.shape
    i, tx = _cell(xp, (xp.arange(nx)[:, None] + px) % (nx - 1), nx)
    j, ty = _cell(xp, (xp.arange(ny)[None, :] + py) % (ny - 1), ny)
    values = image.astype(np.complex128 if image.dtype.kind == "c" else np.float64)
    return (
        values[i, j] * ((1 - tx) * (1 - ty))
        + values[i + 1, j] * (tx * (1 - ty))
        + values[i, j + 1] * ((1 - tx) * ty)
        + values[i + 1, j + 1] * (tx * ty)
    )


def _scan_stack(
    stack: Any,
    ensemble_offset: tuple[int, ...],
    seed: int | None,
    entropy: int,
    rms_values: np.ndarray,
    rms_axis: int | None,
    options: dict,
) -> Any:
    """Warp a block of images; the displacement fields come from the seeds alone (computed on
    the host, once per distinct seed and RMS value) and are uploaded to the data's device."""
    backend = get_backend(stack)
    out = backend.xp.empty_like(stack)
    fields: dict[tuple[int, float], tuple[Any, Any]] = {}
    for local in np.ndindex(*stack.shape[:-2]):
        g = tuple(int(o + i) for o, i in zip(ensemble_offset, local))
        rms = float(rms_values[g[rms_axis]]) if rms_axis is not None else float(rms_values)
        s = seed if seed is not None else int(np.random.SeedSequence(entropy, spawn_key=g).generate_state(1)[0])
        if (s, rms) not in fields:
            px, py = scan_noise_fields(tuple(stack.shape[-2:]), s, rms_power=rms, **options)
            fields[(s, rms)] = (backend.asarray(px), backend.asarray(py))
        out[local] = _warp(stack[local], *fields[(s, rms)])
    return out


def _positive(value: Any, what: str, allow_zero: bool = False) -> float:
    ok = is_number(value) and np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"scan_noise: {what} must be a number {bound}, got {value!r}")
    return float(value)


def scan_noise(
    images: Any,
    dwell_time: float,
    flyback_time: float,
    rms_power: Any,
    max_frequency: float = 500.0,
    num_components: int = 200,
    seed: int | None = None,
) -> Any:
    """Warp each image with a smooth random STEM scan distortion (abTEM 1.0.11's model).

    Units: ``dwell_time`` and ``flyback_time`` in seconds, ``max_frequency`` in Hz, ``rms_power``
    in percent (FWHM of the local magnification deviation; a sequence adds a leading
    ``"RMS power"`` axis). ``seed=None`` gives every image its own field; an integer ``seed`` adds
    a length-1 :class:`SampleAxis` and applies the same field to every member (as abTEM).
    """
    options = dict(
        dwell_time=_positive(dwell_time, "dwell_time (s)"),
        flyback_time=_positive(flyback_time, "flyback_time (s)", allow_zero=True),
        max_frequency=_positive(max_frequency, "max_frequency (Hz)"),
        num_components=positive_int(num_components, "scan_noise num_components"),
    )
    seed = _check_seed(seed)
    if min(images.base_shape) < 2:
        raise InvalidArgumentError(f"scan_noise needs images of at least 2 x 2 pixels, got {images.base_shape}")
    rms_values = _as_values(rms_power, "scan_noise rms_power (%)")
    if np.any(rms_values < 0):
        raise InvalidArgumentError(f"scan_noise: rms_power must be >= 0 %, got {rms_values.tolist()}")
    new_axes: list[Any] = []
    sizes: list[int] = []
    rms_axis = None
    if rms_values.ndim == 1:
        rms_axis = 0
        new_axes.append(NonLinearAxis(label="RMS power", values=tuple(float(v) for v in rms_values), units="\\%"))
        sizes.append(rms_values.size)
    if seed is not None:
        new_axes.append(SampleAxis())
        sizes.append(1)
    array = _prepend_axes(images.array, sizes)
    entropy = np.random.SeedSequence().entropy if seed is None else 0
    result = map_images(
        _scan_stack,
        array,
        ensemble_index=True,
        seed=seed,
        entropy=entropy,
        rms_values=rms_values,
        rms_axis=rms_axis,
        options=options,
    )
    return _counts_result(images, result, new_axes)
