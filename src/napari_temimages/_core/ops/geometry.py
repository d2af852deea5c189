"""Geometric image operations: ``crop``, ``tile`` and ``integrate_disc`` (spec §3.6, §3.9).

Array layout ``(*ensemble, n_x, n_y)``: axis -2 is x, axis -1 is y; pixel ``(i, j)`` sits at
``(i d_x, j d_y)`` Å. Also home of the small argument parsers the other op modules share.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..backend import get_backend
from ..ensemble import map_images, whole_base_chunks
from ..errors import InvalidArgumentError, InvalidTypeError
from ..measurement2d import pair_items, validate_sampling
from ..precision import real_dtype

__all__ = ["crop", "tile", "integrate_disc", "as_pair", "positive_pair", "positive_int", "is_number"]


# ---------------------------------------------------------------------------------- parsers
def is_number(value: Any) -> bool:
    """A real number (not a bool)."""
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def as_pair(value: Any, what: str) -> tuple[float, float]:
    """A number ``s`` -> ``(s, s)``; a pair of finite numbers -> ``(float, float)``."""
    values = pair_items(value, what)
    if not all(is_number(v) for v in values):
        raise InvalidTypeError(f"{what} values must be numbers, got {value!r}")
    out = (float(values[0]), float(values[1]))
    if not all(np.isfinite(out)):
        raise InvalidArgumentError(f"{what} values must be finite, got {value!r}")
    return out


def positive_pair(value: Any, what: str) -> tuple[float, float]:
    """A positive number or pair of positive numbers (Å, 1/Å, ...)."""
    return validate_sampling(value, what)


def positive_int(value: Any, what: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (numpy integers accepted, floats and bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InvalidTypeError(f"{what} must be an integer, not {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def int_pair(value: Any, what: str, minimum: int = 1) -> tuple[int, int]:
    """An integer ``g`` -> ``(g, g)``; a pair of integers -> ``(int, int)``, each ``>= minimum``."""
    values = pair_items(value, what, (numbers.Integral, np.integer), "integer")
    return positive_int(values[0], what, minimum), positive_int(values[1], what, minimum)


# ---------------------------------------------------------------------------------- crop
def _crop_window(n: int, length: float, extent: float, offset: float, axis: str) -> tuple[int, int]:
    """Pixel start and count of a window ``[offset, offset + extent)`` Å on an axis of ``n`` pixels.

    ``start = round(n offset / L)``, ``count = round(n extent / L)`` with half-to-even rounding.
    """
    start = int(np.round(n * offset / length))
    count = int(np.round(n * extent / length))
    if count < 1:
        raise InvalidArgumentError(
            f"crop: extent {extent} Å along {axis} is less than half a pixel ({length / n:.4g} Å)"
        )
    if start < 0 or start + count > n:
        raise InvalidArgumentError(
            f"crop: the window [{offset:.4g}, {offset + extent:.4g}] Å along {axis} (pixels {start}.."
            f"{start + count - 1}) lies outside the image [0, {length:.4g}] Å ({n} pixels)"
        )
    return start, count


def crop(images: Any, extent: Any, offset: Any = (0.0, 0.0), centered: bool = False) -> Any:
    """Crop to ``extent`` Å starting at ``offset`` Å (or centred in the image).

    The pixel window is ``round(n offset / L)`` plus ``round(n extent / L)`` pixels per axis (as
    abTEM); the sampling is unchanged. Windows past the image edge, negative offsets and empty
    windows raise :class:`InvalidArgumentError` (abTEM truncates or mis-indexes silently). Lazy
    data stay lazy (a slice; each cropped image one chunk).
    """
    extent = positive_pair(extent, "crop extent")
    offset = as_pair(offset, "crop offset")
    length = images.extent
    if centered:
        if offset != (0.0, 0.0):
            raise InvalidArgumentError("crop: offset is not used when centered=True; leave it at (0, 0)")
        offset = (length[0] / 2 - extent[0] / 2, length[1] / 2 - extent[1] / 2)
    for e, l, axis in zip(extent, length, "xy"):
        if e > l:
            raise InvalidArgumentError(
                f"crop: extent {e} Å along {axis} is larger than the image extent {l:.6g} Å"
            )
    windows = [_crop_window(n, l, e, o, a) for n, l, e, o, a in zip(images.base_shape, length, extent, offset, "xy")]
    index = (Ellipsis,) + tuple(slice(s, s + c) for s, c in windows)
    return images._new(whole_base_chunks(images.array[index], 2))


# ---------------------------------------------------------------------------------- tile
def _tile_stack(stack: Any, repetitions: tuple[int, int]) -> Any:
    """One broadcast assignment into a preallocated ``(*ensemble, r_x, n_x, r_y, n_y)`` buffer."""
    xp = get_backend(stack).xp
    (rx, ry), (nx, ny) = repetitions, stack.shape[-2:]
    ens = stack.shape[:-2]
    out = xp.empty(ens + (rx, nx, ry, ny), dtype=stack.dtype)
    out[...] = stack.reshape(ens + (1, nx, 1, ny))
    return out.reshape(ens + (rx * nx, ry * ny))


def tile(images: Any, repetitions: Any) -> Any:
    """Repeat every image ``(r_x, r_y)`` times along x and y (periodic tiling); same sampling."""
    if isinstance(repetitions, (numbers.Integral, np.integer)):
        raise InvalidTypeError(f"tile: repetitions must be a pair (r_x, r_y) of integers, not {repetitions!r}")
    reps = int_pair(repetitions, "tile repetitions")
    nx, ny = images.base_shape
    array = map_images(_tile_stack, images.array, out_base_shape=(nx * reps[0], ny * reps[1]), repetitions=reps)
    return images._new(array)


# ---------------------------------------------------------------------------------- integrate_disc
def disc_weights(
    shape: tuple[int, int], sampling: tuple[float, float], position: tuple[float, float], radius: float
) -> np.ndarray:
    """Weights ``(n_x, n_y)`` of a disc (centre ``position`` Å, ``radius`` Å) on a periodic grid.

    Pixel ``(i, j)`` at ``(i d_x, j d_y)``; distance ``r`` to the centre by the minimum image
    convention; weight ``clip((radius - r) / d_min + 1/2, 0, 1)`` (a one-pixel linear edge, so the
    total weight approximates the disc area in pixels).
    """
    (nx, ny), (dx, dy) = shape, sampling
    lx, ly = nx * dx, ny * dy
    x = (np.arange(nx) * dx - position[0] + lx / 2) % lx - lx / 2
    y = (np.arange(ny) * dy - position[1] + ly / 2) % ly - ly / 2
    r = np.hypot(x[:, None], y[None, :])
    return np.clip((radius - r) / min(dx, dy) + 0.5, 0.0, 1.0)


def _weight_dtype(dtype: Any) -> np.dtype:
    """float32 weights for single precision data, float64 otherwise (integers included)."""
    return real_dtype(dtype) if np.dtype(dtype).kind in "fc" else np.dtype(np.float64)


def _disc_stack(stack: Any, weights: np.ndarray) -> Any:
    w = get_backend(stack).asarray(weights.astype(_weight_dtype(stack.dtype)))
    return (stack * w).sum(axis=(-2, -1))


def integrate_disc(images: Any, position: Any, radius: float) -> Any:
    """Sum of pixel values inside a disc, per ensemble member (array of the ensemble shape).

    ``position`` ``(x, y)`` and ``radius`` in Å; the image is periodic (a disc crossing an edge
    wraps around); the rim is a one-pixel linear taper. Lazy objects give a dask array.
    """
    position = as_pair(position, "integrate_disc position")
    if not is_number(radius) or not radius > 0 or not np.isfinite(radius):
        raise InvalidArgumentError(f"integrate_disc: radius must be a positive number of Å, got {radius!r}")
    weights = disc_weights(images.base_shape, images.sampling, position, float(radius))
    dtype = np.result_type(images.dtype, _weight_dtype(images.dtype))
    return map_images(_disc_stack, images.array, out_base_shape=(), dtype=dtype, weights=weights)
