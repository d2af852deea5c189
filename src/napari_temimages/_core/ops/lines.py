"""Line profiles of images: ``interpolate_line`` and ``interpolate_line_at_position`` (spec §3.9,
§6.4), plus the 1-D resampling / width helpers of :class:`RealSpaceLineProfiles`.

Points are ``(x, y)`` in Å with x along array axis -2 and y along axis -1; pixel ``(i, j)`` sits
at ``(i d_x, j d_y)``. The image is periodic: positions wrap around, and the B-spline is
evaluated on a copy wrap-padded by ``2 order`` pixels (abTEM's scheme, reproduced for parity).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..backend import get_backend
from ..ensemble import map_images
from ..errors import InvalidArgumentError, InvalidTypeError
from ..line_profiles import RealSpaceLineProfiles
from ..precision import float_dtype
from .geometry import as_pair, is_number, positive_int
from .resample import spline_sample_stack

__all__ = [
    "interpolate_line",
    "interpolate_line_at_position",
    "LineGrid",
    "line_grid",
    "line_offsets",
    "profile_interpolate",
    "profile_widths",
]


# ---------------------------------------------------------------------------------- arguments
def _is_atom(value: Any) -> bool:
    return hasattr(value, "symbol") and hasattr(value, "position") and hasattr(value, "x")


def _point(value: Any, what: str, fractional: bool, extent: tuple[float, float]) -> np.ndarray:
    """``(x, y)`` in Å from a pair, a number ``s`` (-> ``(s, s)``) or an ``ase.Atom``."""
    if _is_atom(value):
        if fractional:
            raise InvalidArgumentError(f"interpolate_line: {what} is an atom, which cannot be fractional")
        value = (float(value.x), float(value.y))
    point = np.array(as_pair(value, f"interpolate_line {what}"), dtype=float)
    return point * np.asarray(extent) if fractional else point


def _margin(margin: Any) -> tuple[float, float]:
    if is_number(margin):
        margin = (margin, margin)
    if not isinstance(margin, (tuple, list, np.ndarray)) or len(margin) != 2:
        raise InvalidArgumentError(f"interpolate_line: margin must be a number or a pair (before, after), not {margin!r}")
    out = as_pair(margin, "interpolate_line margin")
    if min(out) < 0:
        raise InvalidArgumentError(f"interpolate_line: margins must be >= 0 Å, got {margin!r}")
    return out


# ---------------------------------------------------------------------------------- line grid
class LineGrid:
    """A sampled line: ``start``/``end`` (Å), number of points and step (Å)."""

    def __init__(self, start: np.ndarray, end: np.ndarray, gpts: int, endpoint: bool):
        self.start, self.end, self.gpts, self.endpoint = start, end, int(gpts), bool(endpoint)

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.end - self.start))

    @property
    def step(self) -> float:
        """Distance between samples in Å: ``length/(gpts-1)`` with endpoint, else ``length/gpts``."""
        n = self.gpts - 1 if self.endpoint and self.gpts > 1 else self.gpts
        return self.length / n

    def extend(self, before: float, after: float) -> None:
        """Move start back / end forward along the line keeping at most the current step.

        Done in two steps as abTEM (start first, then end; the step is recomputed in between);
        each step sets ``intervals = ceil(length / step)``, i.e. ``gpts = intervals`` (or
        ``intervals + 1`` with ``endpoint``: abTEM loses a point there). Zero margins are skipped.
        """
        direction = (self.end - self.start) / self.length
        for amount, at_start in ((before, True), (after, False)):
            if not amount:
                continue
            step = self.step
            if at_start:
                self.start = self.start - direction * amount
            else:
                self.end = self.end + direction * amount
            intervals = int(np.ceil(self.length / step))
            self.gpts = intervals + 1 if self.endpoint else intervals

    def positions(self) -> np.ndarray:
        """Sample points ``(gpts, 2)`` in Å, rounded to the precision dtype as abTEM does."""
        points = np.linspace(self.start, self.end, self.gpts, endpoint=self.endpoint)
        return points.astype(float_dtype()).astype(np.float64)


def line_grid(start: np.ndarray, end: np.ndarray, sampling: Any, gpts: Any, endpoint: bool, default: float) -> LineGrid:
    """Grid from exactly one of ``sampling`` (Å) or ``gpts``; neither -> ``sampling = default``."""
    if sampling is not None and gpts is not None:
        raise InvalidArgumentError("interpolate_line: give either sampling or gpts, not both")
    length = float(np.linalg.norm(end - start))
    if not length > 0:
        raise InvalidArgumentError(f"interpolate_line: start and end are the same point {tuple(start)}; the line has zero length")
    if gpts is None:
        step = default if sampling is None else sampling
        if not is_number(step) or not step > 0 or not np.isfinite(step):
            raise InvalidArgumentError(f"interpolate_line: sampling must be a positive number of Å, got {step!r}")
        gpts = max(1, int(np.ceil(length / float(step))))
    gpts = positive_int(gpts, "interpolate_line gpts")
    return LineGrid(start, end, gpts, endpoint)


def line_offsets(width: float, d_min: float) -> np.ndarray:
    """Perpendicular offsets (Å) of the lines averaged for a profile of ``width`` Å.

    ``m = 2 floor(width / (2 d_min)) + 1`` lines spread evenly over ``m d_min`` (abTEM's span);
    ``m = 1`` is the line itself (abTEM shifts it by ``-d_min/2`` instead).
    """
    m = 2 * int(np.floor(width / (2 * d_min))) + 1
    if m == 1:
        return np.zeros(1)
    return np.linspace(-m / 2, m / 2, m) * d_min


# ---------------------------------------------------------------------------------- sampling
def _line_stack(stack: Any, coordinates: np.ndarray, order: int) -> Any:
    """Profiles ``(*ensemble, gpts)`` from images ``(*ensemble, n_x, n_y)`` at pixel ``coordinates``
    ``(2, m, gpts)`` (already wrapped into ``[0, n)``), averaged over the ``m`` parallel lines."""
    backend = get_backend(stack)
    xp = backend.xp
    pad = 2 * order
    padded = xp.pad(stack, [(0, 0)] * (stack.ndim - 2) + [(pad, pad)] * 2, mode="wrap")
    values = spline_sample_stack(padded, backend.asarray(coordinates + pad), order, "constant")
    if values.shape[-2] == 1:
        return values[..., 0, :]
    return values.mean(axis=-2).astype(stack.dtype, copy=False)


def interpolate_line(
    images: Any,
    start: Any = None,
    end: Any = None,
    sampling: Any = None,
    gpts: Any = None,
    width: float = 0.0,
    margin: Any = 0.0,
    order: int = 3,
    endpoint: bool = False,
    fractional: bool = False,
) -> RealSpaceLineProfiles:
    """Profile from ``start`` to ``end`` (``(x, y)`` Å; fractions of the extent if ``fractional``).

    Defaults: start ``(0, 0)``; end ``(0, L_x)`` (abTEM's default, a line along y with the x
    extent) or ``(0, 1)`` when fractional; sampling ``min(d_x, d_y)``. ``width`` Å averages
    parallel lines; ``margin`` Å extends the line at (both) ends keeping the step. Returns
    :class:`RealSpaceLineProfiles` ``(*ensemble, gpts)`` with sampling = step in Å.
    """
    extent = images.extent
    start = _point((0.0, 0.0) if start is None else start, "start", fractional, extent)
    if end is None:
        end = (0.0, 1.0) if fractional else (0.0, extent[0])
    end = _point(end, "end", fractional, extent)
    order = positive_int(order, "interpolate_line order", minimum=0)
    if order > 5:
        raise InvalidArgumentError(f"interpolate_line: spline order must be 0..5, got {order}")
    if not is_number(width) or not width >= 0:
        raise InvalidArgumentError(f"interpolate_line: width must be a number >= 0 Å, got {width!r}")
    grid = line_grid(start, end, sampling, gpts, endpoint, default=min(images.sampling))
    grid.extend(*_margin(margin))
    coordinates = _pixel_coordinates(grid, float(width), images.sampling, images.base_shape)
    array = map_images(
        _line_stack, images.array, out_base_shape=(grid.gpts,), coordinates=coordinates, order=order
    )
    metadata = images._copy_kwargs()["metadata"]
    metadata.update(start=tuple(float(v) for v in grid.start), end=tuple(float(v) for v in grid.end))
    metadata.update(label="intensity", units="arb. unit")
    if width:
        metadata["width"] = width
    axes = images._copy_kwargs()["ensemble_axes_metadata"]
    return RealSpaceLineProfiles(array, sampling=grid.step, ensemble_axes_metadata=axes, metadata=metadata)


def _pixel_coordinates(grid: LineGrid, width: float, sampling: tuple[float, float], shape: tuple[int, int]) -> np.ndarray:
    """Wrapped pixel coordinates ``(2, m, gpts)`` of the ``m`` parallel lines."""
    points = grid.positions()
    direction = (grid.end - grid.start) / grid.length
    normal = np.array([-direction[1], direction[0]])
    offsets = line_offsets(width, min(sampling)) if width > 0 else np.zeros(1)
    points = points[None, :, :] + offsets[:, None, None] * normal
    pixels = points / np.asarray(sampling)
    pixels = np.mod(pixels, np.asarray(shape, dtype=float))
    return np.moveaxis(pixels, -1, 0)


def interpolate_line_at_position(
    images: Any,
    center: Any,
    angle: float,
    extent: float,
    gpts: Any = None,
    sampling: Any = None,
    width: float = 0.0,
    order: int = 3,
    endpoint: bool = True,
) -> RealSpaceLineProfiles:
    """Profile of length ``extent`` Å centred on ``center`` (``(x, y)`` Å or an atom), at
    ``angle`` degrees from +x towards +y. Note ``endpoint=True`` by default (as abTEM)."""
    if _is_atom(center):
        center = (float(center.x), float(center.y))
    center = np.array(as_pair(center, "interpolate_line_at_position center"))
    if not is_number(angle) or not np.isfinite(angle):
        raise InvalidArgumentError(f"interpolate_line_at_position: angle must be a number of degrees, got {angle!r}")
    if not is_number(extent) or not extent > 0:
        raise InvalidArgumentError(f"interpolate_line_at_position: extent must be a positive number of Å, got {extent!r}")
    theta = np.deg2rad(float(angle))
    direction = np.array([np.cos(theta), np.sin(theta)])
    start = center - extent / 2 * direction
    end = center + extent / 2 * direction
    return interpolate_line(
        images, start=start, end=end, gpts=gpts, sampling=sampling, width=width, order=order, endpoint=endpoint
    )


# ---------------------------------------------------------------------------------- 1-D profiles
def _profile_stack(stack: Any, positions: np.ndarray, order: int) -> Any:
    """Periodic spline resampling of profiles ``(*ensemble, n)`` at fractional indices ``positions``."""
    backend = get_backend(stack)
    ndi, xp = backend.ndimage(), backend.xp
    flat = stack.reshape((-1, stack.shape[-1]))
    coefficients = flat
    if order > 1:
        work = np.complex128 if stack.dtype.kind == "c" else np.float64
        coefficients = ndi.spline_filter1d(flat, order, axis=-1, output=work, mode="grid-wrap")
    coords = backend.asarray(positions[None, :])
    out = xp.empty((flat.shape[0], positions.size), dtype=stack.dtype)
    for i in range(flat.shape[0]):
        ndi.map_coordinates(coefficients[i], coords, output=out[i], order=order, mode="grid-wrap", prefilter=False)
    return out.reshape(stack.shape[:-1] + (positions.size,))


def profile_interpolate(profiles: Any, sampling: Any = None, gpts: Any = None, order: int = 3, endpoint: bool = False) -> Any:
    """Periodic spline resampling of line profiles to ``gpts`` points or a step ``sampling`` (Å).

    ``gpts = ceil(extent / sampling)``; samples at ``i n / gpts`` old samples (``endpoint=False``,
    new step ``extent / gpts``) or at ``i n / (gpts - 1)`` (``endpoint=True``: the last sample
    is the first one again, one period later; step ``extent / (gpts - 1)``).
    """
    if sampling is not None and gpts is not None:
        raise InvalidArgumentError("interpolate: give either sampling or gpts, not both")
    if sampling is None and gpts is None:
        raise InvalidArgumentError("interpolate: give the new sampling (Å) or gpts")
    if gpts is None:
        if not is_number(sampling) or not sampling > 0:
            raise InvalidArgumentError(f"interpolate: sampling must be a positive number, got {sampling!r}")
        gpts = max(1, int(np.ceil(profiles.extent / float(sampling))))
    gpts = positive_int(gpts, "interpolate gpts")
    order = positive_int(order, "interpolate order", minimum=0)
    if order > 5:
        raise InvalidArgumentError(f"interpolate: spline order must be 0..5, got {order}")
    n = profiles.shape[-1]
    positions = np.linspace(0, n, gpts, endpoint=bool(endpoint))
    step = profiles.extent / (gpts - 1 if endpoint and gpts > 1 else gpts)
    array = map_images(_profile_stack, profiles.array, base_dims=1, out_base_shape=(gpts,), positions=positions, order=order)
    return profiles._new(array, sampling=step)


def _widths_stack(stack: Any, height: float, step: float) -> Any:
    """Width at ``height * max`` of every profile of a stack ``(*ensemble, n)`` (on its device).

    The first and last crossings of the level are interpolated linearly between samples;
    profiles without two crossings give NaN."""
    xp = get_backend(stack).xp
    values = stack.astype(np.float64)
    n = values.shape[-1]
    level = height * values.max(axis=-1, keepdims=True)
    above = values >= level
    change = above[..., 1:] != above[..., :-1]
    first = xp.argmax(change, axis=-1)[..., None]
    last = (n - 2 - xp.argmax(change[..., ::-1], axis=-1))[..., None]

    def crossing(i: Any) -> Any:
        a = xp.take_along_axis(values, i, axis=-1)
        b = xp.take_along_axis(values, i + 1, axis=-1)
        return i + (level - a) / xp.where(b == a, 1.0, b - a)

    width = ((crossing(last) - crossing(first)) * step)[..., 0]
    return xp.where(change.sum(axis=-1) >= 2, width, xp.nan)


def profile_widths(profiles: Any, height: float = 0.5) -> Any:
    """Full width (Å) at ``height`` times each profile's maximum (0.5: FWHM).

    Crossings are interpolated linearly between samples; a profile that does not cross the level
    on both sides gives NaN. Returns an array of the ensemble shape (dask for lazy profiles).
    """
    if not is_number(height) or not 0 < height < 1:
        raise InvalidArgumentError(f"width: height must be a fraction between 0 and 1, got {height!r}")
    if profiles.is_complex:
        raise InvalidTypeError("width needs real profiles; take abs() (or real()) first")
    if profiles.shape[-1] < 2:
        raise InvalidArgumentError("width needs profiles of at least 2 samples")
    return map_images(
        _widths_stack, profiles.array, base_dims=1, out_base_shape=(), dtype=np.float64,
        height=float(height), step=profiles.sampling,
    )


def tile_profiles(profiles: Any, repetitions: Any) -> Any:
    """Repeat each profile ``repetitions`` times (periodic continuation); same sampling."""
    if isinstance(repetitions, (bool, np.bool_)) or not isinstance(repetitions, (numbers.Integral, np.integer)):
        raise InvalidTypeError(f"tile: repetitions must be an integer, not {repetitions!r}")
    reps = positive_int(repetitions, "tile repetitions")

    def stack_tile(stack: Any) -> Any:
        xp = get_backend(stack).xp
        return xp.tile(stack, (1,) * (stack.ndim - 1) + (reps,))

    n = profiles.shape[-1]
    array = map_images(stack_tile, profiles.array, base_dims=1, out_base_shape=(n * reps,))
    return profiles._new(array)
