"""Matplotlib display of Images, DiffractionPatterns and line profiles (spec §3.12).

Images are drawn as abTEM draws them: ``array[..., :, :].T`` with ``origin="lower"``, so x
(array axis -2) runs to the right and y (axis -1) upwards; pixel ``(i, j)`` is a square centred
on ``(i d_x, j d_y)``; axes in Å (or ``units``). Diffraction patterns use 1/Å with the zero
frequency at the origin. Complex images are drawn with domain colouring (hue = phase, lightness
= amplitude). Lazy or GPU data: only the members shown are computed and copied to the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .backend import compute_arrays, to_host
from .errors import InvalidArgumentError, InvalidTypeError

__all__ = ["show", "Visualization", "domain_coloring", "LENGTH_UNITS"]

#: Length units accepted by ``units`` (factor from Å).
LENGTH_UNITS = {"Å": 1.0, "A": 1.0, "Angstrom": 1.0, "pm": 100.0, "nm": 0.1, "um": 1e-4, "μm": 1e-4, "mm": 1e-7}


@dataclass
class Visualization:
    """What :func:`show` returns: the figure, its axes grid (rows x columns) and the artists."""

    fig: Any
    axes: np.ndarray
    artists: np.ndarray
    colorbars: list = field(default_factory=list)

    @property
    def ax(self) -> Any:
        """The first (or only) matplotlib Axes."""
        return self.axes.flat[0]


# ---------------------------------------------------------------------------------- helpers
def domain_coloring(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> np.ndarray:
    """RGB image ``(*shape, 3)`` of complex ``values``: hue = phase (cyclic), lightness = amplitude."""
    import matplotlib.colors as mcolors

    amplitude = np.abs(values)
    lo = float(np.nanmin(amplitude)) if vmin is None else vmin
    hi = float(np.nanmax(amplitude)) if vmax is None else vmax
    scale = np.clip((amplitude - lo) / (hi - lo), 0, 1) if hi > lo else np.ones_like(amplitude)
    hue = (np.angle(values) + np.pi) / (2 * np.pi)
    hsv = np.stack([hue, np.full_like(hue, 0.9), scale], axis=-1)
    return mcolors.hsv_to_rgb(hsv)


def _norm(power: float, logscale: bool, vmin: float | None, vmax: float | None) -> Any:
    import matplotlib.colors as mcolors

    if power != 1.0 and logscale:
        raise InvalidArgumentError("show: cannot use both power != 1.0 and logscale=True")
    if logscale:
        return mcolors.LogNorm(vmin=vmin if vmin is not None and vmin > 0 else None, vmax=vmax)
    if power != 1.0:
        return mcolors.PowerNorm(gamma=power, vmin=vmin, vmax=vmax)
    return mcolors.Normalize(vmin=vmin, vmax=vmax)


def _explode_axes(obj: Any, explode: Any) -> tuple[int, ...]:
    if explode is True:
        axes = tuple(range(obj.ensemble_dims))[:2]
    elif explode is False or explode is None:
        axes = ()
    else:
        axes = tuple(int(a) % max(obj.ensemble_dims, 1) for a in np.atleast_1d(explode))
    if any(a >= obj.ensemble_dims for a in axes) or len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"show: explode {explode!r} must name distinct ensemble axes (there are {obj.ensemble_dims})")
    if len(axes) > 2:
        raise InvalidArgumentError("show: at most two ensemble axes can be exploded (columns, rows)")
    return axes


def _panels(obj: Any, exploded: tuple[int, ...], overlaid: tuple[int, ...] = ()) -> tuple[tuple[int, int], dict]:
    """Grid shape and, for each panel ``(row, col)``, the ensemble index selecting its data.

    The first exploded axis runs over columns, the second over rows; other ensemble axes show
    member 0 (overlaid axes keep every member)."""
    shape = obj.ensemble_shape
    ncols = shape[exploded[0]] if exploded else 1
    nrows = shape[exploded[1]] if len(exploded) > 1 else 1
    panels = {}
    for r in range(nrows):
        for c in range(ncols):
            index: list[Any] = [slice(None) if a in overlaid else 0 for a in range(obj.ensemble_dims)]
            if exploded:
                index[exploded[0]] = c
            if len(exploded) > 1:
                index[exploded[1]] = r
            panels[(r, c)] = tuple(index)
    return (nrows, ncols), panels


def _panel_title(obj: Any, index: tuple, exploded: tuple[int, ...], title: Any) -> str:
    if isinstance(title, str):
        return title
    if not title or not exploded:
        return ""
    parts = []
    for a in exploded:
        axis = obj.ensemble_axes_metadata[a]
        parts.append(axis.format_value(index[a], obj.ensemble_shape[a]))
    return ", ".join(parts)


def _host_data(obj: Any, indices: Sequence[tuple]) -> list[np.ndarray]:
    """The selected members as numpy arrays, computed in one pass for lazy objects."""
    arrays = [obj.array[index] if index else obj.array for index in indices]
    arrays = [to_host(a) for a in arrays]
    return [np.asarray(a) for a in compute_arrays(*arrays)]


def _value_label(obj: Any) -> str:
    label = obj.metadata.get("label", "")
    units = obj.metadata.get("units")
    return f"{label} [{units}]" if units else str(label)


def _figure(ax: Any, grid: tuple[int, int], figsize: Any) -> tuple[Any, np.ndarray]:
    import matplotlib.pyplot as plt

    if ax is not None:
        if grid != (1, 1):
            raise InvalidArgumentError("show: ax can only be given for a single panel (no explode)")
        axes = np.empty((1, 1), dtype=object)
        axes[0, 0] = ax
        return ax.figure, axes
    nrows, ncols = grid
    if figsize is None:
        figsize = (min(3.2 * ncols + 1, 16), min(3.2 * nrows + 0.5, 12))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, constrained_layout=True)
    return fig, axes


# ---------------------------------------------------------------------------------- images
def _base_geometry(obj: Any, units: str | None) -> tuple[list[float], tuple[str, str], float, str]:
    """imshow extent ``[left, right, bottom, top]``, axis names, unit factor and unit name."""
    from .diffraction import DiffractionPatterns

    (nx, ny), (dx, dy) = obj.base_shape, obj.sampling
    if isinstance(obj, DiffractionPatterns):
        if units not in (None, "1/Å", "1/A"):
            raise InvalidArgumentError(f"show: diffraction patterns are drawn in 1/Å, got units={units!r}")
        ox, oy = obj.offset
        return [ox - dx / 2, ox + (nx - 0.5) * dx, oy - dy / 2, oy + (ny - 0.5) * dy], ("k_x", "k_y"), 1.0, "1/Å"
    units = "Å" if units is None else units
    if units not in LENGTH_UNITS:
        raise InvalidArgumentError(f"show: unknown length units {units!r}; use one of {', '.join(LENGTH_UNITS)}")
    f = LENGTH_UNITS[units]
    return [-dx / 2 * f, (nx - 0.5) * dx * f, -dy / 2 * f, (ny - 0.5) * dy * f], ("x", "y"), f, units


def _display_array(obj: Any, data: np.ndarray) -> np.ndarray:
    """Image in storage order -> zero frequency centred for unshifted diffraction patterns."""
    if getattr(obj, "fftshift", True) is False:
        return np.fft.fftshift(data, axes=(-2, -1))
    return data


def _show_images(obj: Any, ax: Any, cbar: bool, cmap: Any, vmin: Any, vmax: Any, power: float, logscale: bool,
                 common_color_scale: bool, explode: Any, figsize: Any, title: Any, units: Any) -> Visualization:
    exploded = _explode_axes(obj, explode)
    grid, panels = _panels(obj, exploded)
    keys = list(panels)
    data = [_display_array(obj, d) for d in _host_data(obj, [panels[k] for k in keys])]
    extent, names, _, unit_name = _base_geometry(obj, units)
    fig, axes = _figure(ax, grid, figsize)
    complex_data = np.iscomplexobj(data[0])
    if common_color_scale and vmin is None and vmax is None:
        values = [np.abs(d) if complex_data else d for d in data]
        vmin = float(min(np.nanmin(v) for v in values))
        vmax = float(max(np.nanmax(v) for v in values))
    artists = np.empty(grid, dtype=object)
    colorbars = []
    for key, d in zip(keys, data):
        axis = axes[key]
        if complex_data:
            image = axis.imshow(np.swapaxes(domain_coloring(d, vmin, vmax), 0, 1), origin="lower", extent=extent,
                                interpolation="none", aspect="equal")
        else:
            norm = _norm(power, logscale, vmin, vmax)
            image = axis.imshow(d.T, origin="lower", extent=extent, interpolation="none", aspect="equal",
                                cmap=cmap or "viridis", norm=norm)
        artists[key] = image
        axis.set_xlabel(f"${names[0]}$ [{unit_name}]")
        axis.set_ylabel(f"${names[1]}$ [{unit_name}]")
        axis.set_title(_panel_title(obj, panels[key], exploded, title))
        if cbar and not complex_data and not common_color_scale:
            colorbars.append(fig.colorbar(image, ax=axis, label=_value_label(obj)))
    if cbar and not complex_data and common_color_scale:
        colorbars.append(fig.colorbar(artists.flat[0], ax=axes.ravel().tolist(), label=_value_label(obj)))
    return Visualization(fig, axes, artists, colorbars)


# ---------------------------------------------------------------------------------- line profiles
def _show_profiles(obj: Any, ax: Any, explode: Any, figsize: Any, title: Any, units: Any, overlay: Any,
                   logscale: bool) -> Visualization:
    from .line_profiles import ReciprocalSpaceLineProfiles

    exploded = _explode_axes(obj, explode)
    overlaid = tuple(a for a in range(obj.ensemble_dims) if a not in exploded) if overlay in ((), None, True) else tuple(
        int(a) for a in np.atleast_1d(overlay))
    grid, panels = _panels(obj, exploded, overlaid)
    keys = list(panels)
    data = _host_data(obj, [panels[k] for k in keys])
    reciprocal = isinstance(obj, ReciprocalSpaceLineProfiles)
    name, unit_name, f = ("k", "1/Å", 1.0) if reciprocal else ("r", "Å" if units is None else units, None)
    if f is None:
        if unit_name not in LENGTH_UNITS:
            raise InvalidArgumentError(f"show: unknown length units {unit_name!r}")
        f = LENGTH_UNITS[unit_name]
    r = np.arange(obj.shape[-1]) * obj.sampling * f
    fig, axes = _figure(ax, grid, figsize)
    artists = np.empty(grid, dtype=object)
    for key, d in zip(keys, data):
        axis = axes[key]
        lines = d.reshape((-1, d.shape[-1]))
        labels = _overlay_labels(obj, panels[key], overlaid, lines.shape[0])
        drawn = []
        for line, label in zip(lines, labels):
            if np.iscomplexobj(line):
                drawn += axis.plot(r, line.real, label=f"{label} real".strip())
                drawn += axis.plot(r, line.imag, "--", color=drawn[-1].get_color(), label=f"{label} imag".strip())
            else:
                drawn += axis.plot(r, line, label=label or None)
        if logscale:
            axis.set_yscale("log")
        if any(l.get_label() and not l.get_label().startswith("_") for l in drawn) and len(drawn) > 1:
            axis.legend(fontsize="small")
        artists[key] = drawn
        axis.set_xlabel(f"${name}$ [{unit_name}]")
        axis.set_ylabel(_value_label(obj))
        axis.set_title(_panel_title(obj, panels[key], exploded, title))
    return Visualization(fig, axes, artists)


def _overlay_labels(obj: Any, index: tuple, overlaid: tuple[int, ...], count: int) -> list[str]:
    if not overlaid:
        return [""] * count
    sizes = [obj.ensemble_shape[a] for a in overlaid]
    labels = []
    for member in np.ndindex(*sizes):
        labels.append(", ".join(
            obj.ensemble_axes_metadata[a].format_value(i, n) for a, i, n in zip(overlaid, member, sizes)
        ))
    return labels


# ---------------------------------------------------------------------------------- entry point
def show(
    obj: Any,
    ax: Any = None,
    cbar: bool = False,
    cmap: Any = None,
    vmin: float | None = None,
    vmax: float | None = None,
    power: float = 1.0,
    logscale: bool = False,
    common_color_scale: bool = False,
    explode: Any = (),
    overlay: Any = (),
    figsize: Any = None,
    title: Any = True,
    units: str | None = None,
    interact: bool = False,
    display: bool = True,
    **kwargs: Any,
) -> Visualization:
    """Matplotlib figure of an Images / DiffractionPatterns / line-profiles object.

    ``explode`` (True or ensemble axis indices, at most two): a grid of panels, first axis over
    columns, second over rows; other ensemble axes show member 0 (line profiles overlay them).
    ``power`` gamma or ``logscale`` colour scaling (not both); ``cbar`` colour bars labelled
    ``label [units]``; ``units`` converts lengths (Å, nm, pm, um). ``display=False`` leaves the
    figure undisplayed. Returns a :class:`Visualization`.
    """
    from .line_profiles import _LineProfiles
    from .measurement2d import BaseMeasurement2D
    from .ops.geometry import is_number

    if interact:
        raise InvalidArgumentError("show: interact=True (ipywidgets sliders) is not supported; use explode or napari")
    if kwargs:
        raise InvalidArgumentError(f"show: unexpected arguments {sorted(kwargs)}")
    if not is_number(power) or power <= 0:
        raise InvalidArgumentError(f"show: power must be a positive number, got {power!r}")
    if isinstance(obj, _LineProfiles):
        vis = _show_profiles(obj, ax, explode, figsize, title, units, overlay, logscale)
    elif isinstance(obj, BaseMeasurement2D):
        if overlay not in ((), None):
            raise InvalidArgumentError("show: overlay applies to line profiles; use explode for images")
        vis = _show_images(obj, ax, cbar, cmap, vmin, vmax, power, logscale, common_color_scale, explode, figsize,
                           title, units)
    else:
        raise InvalidTypeError(f"show: cannot draw a {type(obj).__name__}")
    if display and ax is None:
        import matplotlib.pyplot as plt

        if not plt.get_backend().lower().endswith("agg"):
            plt.show(block=False)
    return vis
