"""The one conversion between measurement objects and napari layer data, each way.

* :func:`to_layer_data` — ``Images`` / ``DiffractionPatterns`` -> ``list[LayerDataTuple]``;
* :func:`from_layer` — a napari layer, or a ``(data, attributes[, type])`` tuple -> the object.

Readers, writers, sample data, widgets and console helpers all go through these two functions.
This module imports neither napari nor Qt (only numpy, and dask when the data is lazy), so it can
be used and tested without a GUI.

Display convention ("x right, y up", as abTEM's ``show()``)
----------------------------------------------------------
abTEM stores images as ``(*ensemble, n_x, n_y)``: axis -2 is x, axis -1 is y. napari draws the
last array axis to the right and the second-to-last downwards. The layer data is therefore the
*transposed view* ``array.swapaxes(-1, -2)`` (lazy for dask, a view for numpy, never a copy),
laid out ``(*ensemble, y, x)``, so x runs to the right. The y axis is made to point *up* by the
viewer's camera (``viewer.scene.camera.orientation2d = ("up", "right")``, set by
:func:`napari_temimages._viewer.prepare_viewer`). World coordinates are then exactly the
physical coordinates (``x = i d_x``, ``y = j d_y`` in Å, no sign flips), which is what the status
bar reports. :func:`from_layer` swaps the axes back, so a round trip is bitwise exact.

Everything needed to rebuild the object rides along in ``layer.metadata["temimages"]``: type,
sampling, ensemble axes (abTEM's dict form), the object's metadata dict and how the view was
made. Layers that show a *derived* quantity (amplitude/phase of complex data, log display) also
carry the source object itself under ``"source"``; converting such a layer back returns the source.
"""

from __future__ import annotations

import copy
import math
import re
import uuid
from typing import Any, Sequence

import numpy as np

from ._core import backend as _backend
from ._core.axes import (
    AxisMetadata,
    LinearAxis,
    OrdinalAxis,
    ReciprocalSpaceAxis,
    UnknownAxis,
    axis_from_dict,
    axis_to_dict,
)
from ._core.diffraction import DiffractionPatterns
from ._core.errors import InvalidArgumentError, InvalidTypeError
from ._core.images import Images

__all__ = [
    "META_KEY",
    "DISPLAY_MODES",
    "to_layer_data",
    "from_layer",
    "layer_metadata",
    "is_temimages_layer",
    "axis_layer_spec",
    "estimate_contrast_limits",
    "ensemble_readout",
    "napari_units",
    "typographic_minus",
    "add_to_viewer",
]

#: Key of our entry in ``layer.metadata``.
META_KEY = "temimages"

#: Version of the ``layer.metadata["temimages"]`` layout.
META_FORMAT = 1

#: Display modes of :func:`to_layer_data` (``display=``).
DISPLAY_MODES = ("linear", "power", "log")

#: Units handed to napari as they are (all parse with napari's pint registry); others -> pixel.
_KNOWN_UNITS = {
    "Å": "Å",
    "1/Å": "1/Å",
    "nm": "nm",
    "1/nm": "1/nm",
    "pm": "pm",
    "µm": "µm",
    "um": "µm",
    "mm": "mm",
    "m": "m",
    "mrad": "mrad",
    "rad": "rad",
    "rad.": "rad",
    "deg": "deg",
    "eV": "eV",
    "keV": "keV",
    "s": "s",
    "ms": "ms",
    "Hz": "Hz",
}

#: pint's names (``str(layer.units[i])``) back to abTEM's unit strings, and the factor to Å.
_PINT_LENGTH_TO_ANGSTROM = {
    "angstrom": ("Å", 1.0),
    "nanometer": ("Å", 10.0),
    "picometer": ("Å", 0.01),
    "micrometer": ("Å", 1e4),
    "millimeter": ("Å", 1e7),
    "meter": ("Å", 1e10),
    "pixel": ("Å", 1.0),  # no calibration: one pixel is taken as 1 Å
}
_PINT_INVERSE_LENGTH_TO_INV_ANGSTROM = {
    "1 / angstrom": 1.0,
    "1 / nanometer": 0.1,
}
_PINT_NAMES = {
    "angstrom": "Å",
    "1 / angstrom": "1/Å",
    "nanometer": "nm",
    "milliradian": "mrad",
    "radian": "rad",
    "degree": "deg",
    "electron_volt": "eV",
    "kiloelectron_volt": "keV",
    "second": "s",
    "millisecond": "ms",
    "hertz": "Hz",
}

_TYPES = {"Images": Images, "DiffractionPatterns": DiffractionPatterns}

_PHASE_COLORMAP = "twilight"


# ---------------------------------------------------------------------------------- helpers
def napari_units(units: str | None) -> str:
    """abTEM's unit string -> a unit napari understands (``"pixel"`` when unknown or missing)."""
    if not units:
        return "pixel"
    return _KNOWN_UNITS.get(str(units).strip(), "pixel")


def typographic_minus(text: str) -> str:
    """Replace the ASCII hyphen of negative numbers with the minus sign U+2212 (display only)."""
    return re.sub(r"(?<![\w.])-(?=\d|\.\d|inf)", "\u2212", text)


def _is_lazy(array: Any) -> bool:
    return _backend.is_lazy(array)


def _numeric_values(values: Sequence[Any]) -> np.ndarray | None:
    """``values`` as a 1-D float array if they are all real scalars, else None."""
    try:
        out = np.asarray(values)
    except Exception:
        return None
    if out.ndim != 1 or out.dtype.kind not in "iuf" or not np.all(np.isfinite(out)):
        return None
    return out.astype(np.float64)


def axis_layer_spec(axis: AxisMetadata, n: int) -> dict:
    """How one ensemble axis appears in napari: label, scale, translate, units, uniform.

    Uniformly spaced axes (linear axes, evenly spaced numeric ordinal values such as a defocus
    series) get ``scale = step``, ``translate = first value`` and their units, so world
    coordinates (status bar, dims point) are physical values; the step may be negative (a
    descending series). Other axes (frozen phonons, non-uniform or non-numeric values) are
    plain indices (scale 1, translate 0, pixel units); the readout shows their values.
    """
    label = axis.label or type(axis).__name__
    spec = {"label": label, "scale": 1.0, "translate": 0.0, "units": "pixel", "uniform": False}
    units = napari_units(axis.units)
    if isinstance(axis, ReciprocalSpaceAxis):
        coords = _numeric_values(axis.coordinates(n))
    elif isinstance(axis, LinearAxis):
        coords = None
        if axis.sampling and math.isfinite(axis.sampling) and math.isfinite(axis.offset):
            spec.update(scale=float(axis.sampling), translate=float(axis.offset), units=units, uniform=True)
        return spec
    elif isinstance(axis, OrdinalAxis):
        coords = _numeric_values(axis.values)
    else:
        return spec
    if coords is None or len(coords) != n or n == 0:
        return spec
    if n == 1:
        spec.update(translate=float(coords[0]), units=units, uniform=True)
        return spec
    steps = np.diff(coords)
    step = float(steps[0])
    if step != 0 and np.allclose(steps, step, rtol=1e-9, atol=abs(step) * 1e-9):
        spec.update(scale=step, translate=float(coords[0]), units=units, uniform=True)
    return spec


def _unique_labels(labels: list[str], reserved: Sequence[str] = ()) -> list[str]:
    """``labels`` made unique (``"x"``, ``"x 2"``, ...), avoiding the ``reserved`` base labels."""
    taken = set(reserved)
    out = []
    for label in labels:
        base = label or "axis"
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base} {k}"
        taken.add(name)
        out.append(name)
    return out


def estimate_contrast_limits(
    array: Any, n_ensemble: int, *, max_members: int = 3, upper_percentile: float | None = None
) -> tuple[float, float]:
    """Contrast limits from at most ``max_members`` ensemble members (first, middle, last).

    Cheap for lazy data: reads only those members (one chunk each when images are whole
    chunks), in a single ``dask.compute``; never a reduction over the whole array, and nothing
    is put into the displayed array's graph. ``upper_percentile`` (e.g. 99.9) replaces the
    maximum for data with bright outliers (the zero beam of a diffraction pattern).
    """
    shape = tuple(int(s) for s in array.shape[:n_ensemble])
    total = int(np.prod(shape)) if shape else 1
    if total == 0 or 0 in tuple(array.shape):
        return (0.0, 1.0)
    flat = sorted({0, total // 2, total - 1})[: max(1, max_members)]
    parts = [array[tuple(int(i) for i in np.unravel_index(f, shape))] if shape else array for f in flat]
    if _is_lazy(array):
        import dask

        parts = list(dask.compute(*parts))
    values = np.concatenate([np.asarray(_backend.to_host(p)).ravel() for p in parts])
    if values.dtype.kind == "b":
        return (0.0, 1.0)
    values = values[np.isfinite(values)] if values.dtype.kind in "fc" else values
    if values.size == 0:
        return (0.0, 1.0)
    lo = float(np.min(values))
    hi = float(np.percentile(values, upper_percentile)) if upper_percentile else float(np.max(values))
    if not hi > lo:
        hi = float(np.max(values))
    if not hi > lo:
        pad = max(abs(lo) * 0.01, 1e-6)
        lo, hi = lo - pad, hi + pad
    return (lo, hi)


def _fftshift(array: Any, inverse: bool = False) -> Any:
    if _is_lazy(array):
        import dask.array as da

        func = da.fft.ifftshift if inverse else da.fft.fftshift
    else:
        xp = _backend.get_backend(array).xp
        func = xp.fft.ifftshift if inverse else xp.fft.fftshift
    return func(array, axes=(-2, -1))


def _swap(array: Any) -> Any:
    """``(..., a, b) -> (..., b, a)``: a numpy view or a lazy dask transpose (no copy)."""
    return array.swapaxes(-1, -2)


def _log_display(array: Any, floor: float) -> Any:
    if _is_lazy(array):
        import dask.array as da

        return da.log10(da.maximum(array, floor))
    return np.log10(np.maximum(array, floor))


# ---------------------------------------------------------------------------------- to layers
def layer_metadata(obj: Any, **view: Any) -> dict:
    """The JSON-able description of ``obj`` stored in ``layer.metadata["temimages"]``."""
    entry = {
        "format": META_FORMAT,
        "type": type(obj).__name__,
        "sampling": [float(s) for s in obj.sampling],
        "ensemble_axes": [axis_to_dict(a) for a in obj.ensemble_axes_metadata],
        "metadata": copy.deepcopy(obj.metadata),
        "view": {"transposed": True, "fftshifted": False, "part": "value", "display": "linear", **view},
    }
    if isinstance(obj, DiffractionPatterns):
        entry["fftshift"] = bool(obj.fftshift)
    return entry


def to_layer_data(
    obj: Any,
    name: str | None = None,
    *,
    display: str | None = None,
    power: float = 0.25,
    colormap: str | None = None,
    contrast_limits: tuple[float, float] | None = None,
    max_members: int = 3,
) -> list[tuple]:
    """Layer data tuples ``(data, kwargs, "image")`` for an ``Images`` or ``DiffractionPatterns``.

    Parameters
    ----------
    obj
        The measurement (numpy, cupy or dask backed; cupy data is moved to the host, lazily for
        dask arrays).
    name
        Layer name (default: ``metadata["label"]`` or the type name). Complex data gives two
        layers, ``"<name> (amplitude)"`` and ``"<name> (phase)"``.
    display
        ``"linear"``, ``"power"`` (napari's ``gamma = power``; the data are untouched) or
        ``"log"`` (a lazy ``log10`` layer). Default: ``"linear"`` for images, ``"power"`` for
        diffraction patterns.
    colormap, contrast_limits
        Override the defaults (gray / inferno; limits estimated from ``max_members`` members).

    Returns
    -------
    list of ``(data, kwargs, "image")``; ``data`` is lazy whenever ``obj`` is.
    """
    if not isinstance(obj, (Images, DiffractionPatterns)):
        raise InvalidTypeError(
            f"only Images and DiffractionPatterns can be shown as napari images, not {type(obj).__name__}"
        )
    is_dp = isinstance(obj, DiffractionPatterns)
    if display is None:
        display = "power" if is_dp else "linear"
    if display not in DISPLAY_MODES:
        raise InvalidArgumentError(f"display must be one of {', '.join(DISPLAY_MODES)}, not {display!r}")
    if display == "power" and not (isinstance(power, (int, float)) and power > 0 and math.isfinite(power)):
        raise InvalidArgumentError(f"power must be a positive number, not {power!r}")
    name = name or str(obj.metadata.get("label") or type(obj).__name__)

    array = _backend.to_host(obj.array)
    fftshifted = bool(is_dp and not obj.fftshift)
    if fftshifted:
        array = _fftshift(array)
    view = _swap(array)
    n_ens = obj.ensemble_dims

    # axes: ensemble axes, then the base axes in view order (y, x)
    specs = [axis_layer_spec(a, n) for a, n in zip(obj.ensemble_axes_metadata, obj.ensemble_shape)]
    base = obj.base_axes_metadata
    if is_dp:
        (ox, oy), base_units = obj.offset, "1/Å"
        base_labels = [base[1].label or "ky", base[0].label or "kx"]
    else:
        (ox, oy), base_units = (0.0, 0.0), "Å"
        base_labels = ["y", "x"]
    dx, dy = obj.sampling
    labels = _unique_labels([s["label"] for s in specs], reserved=base_labels) + base_labels
    common = {
        "scale": tuple(s["scale"] for s in specs) + (dy, dx),
        "translate": tuple(s["translate"] for s in specs) + (oy, ox),
        "units": tuple(s["units"] for s in specs) + (base_units, base_units),
        "axis_labels": tuple(labels),
        "multiscale": False,
    }
    group = uuid.uuid4().hex
    robust = 99.9 if is_dp else None

    def layer(data: Any, layer_name: str, part: str, mode: str, source: bool, **kwargs: Any) -> tuple:
        entry = layer_metadata(obj, fftshifted=fftshifted, part=part, display=mode, group=group)
        if source:
            entry["source"] = obj
        kwargs.setdefault("colormap", colormap or ("inferno" if is_dp else "gray"))
        if kwargs.get("contrast_limits") is None:
            kwargs["contrast_limits"] = contrast_limits or estimate_contrast_limits(
                data, n_ens, max_members=max_members, upper_percentile=robust if mode == "linear" else None
            )
        meta = {**common, **kwargs, "name": layer_name, "metadata": {META_KEY: entry}}
        return (data, meta, "image")

    out = []
    if obj.is_complex:
        amplitude = abs(view)
        phase = _angle(view)
        out.append(layer(amplitude, f"{name} (amplitude)", "amplitude", "linear", True))
        out.append(
            layer(
                phase,
                f"{name} (phase)",
                "phase",
                "linear",
                True,
                colormap=_PHASE_COLORMAP,
                contrast_limits=(-math.pi, math.pi),
            )
        )
        return out
    if display == "log":
        lo, hi = estimate_contrast_limits(view, n_ens, max_members=max_members)
        floor = max(hi, 1e-30) * 1e-6
        data = _log_display(view, floor)
        limits = contrast_limits or (math.log10(max(lo, floor)), math.log10(max(hi, floor)))
        if not limits[1] > limits[0]:
            limits = (limits[0] - 1.0, limits[0] + 1.0)
        out.append(layer(data, f"{name} (log)", "value", "log", True, contrast_limits=limits))
    elif display == "power":
        out.append(layer(view, name, "value", "power", False, gamma=float(power)))
    else:
        out.append(layer(view, name, "value", "linear", False))
    return out


def _angle(array: Any) -> Any:
    if _is_lazy(array):
        import dask.array as da

        return da.angle(array)
    return np.angle(array)


# ---------------------------------------------------------------------------------- from layers
def _layer_parts(layer: Any) -> tuple[Any, dict]:
    """(data, attributes) from a napari layer or a layer data tuple."""
    if isinstance(layer, tuple):
        if not layer or len(layer) > 3:
            raise InvalidTypeError("a layer data tuple is (data,), (data, attributes) or (data, attributes, type)")
        data = layer[0]
        attrs = dict(layer[1]) if len(layer) > 1 and layer[1] is not None else {}
        layer_type = layer[2] if len(layer) > 2 else "image"
        if layer_type not in ("image", "labels"):
            raise InvalidTypeError(f"cannot convert a {layer_type} layer to images")
        return data, attrs
    if not (hasattr(layer, "data") and hasattr(layer, "metadata")):
        raise InvalidTypeError(f"expected a napari layer or a layer data tuple, not {type(layer).__name__}")
    data = layer.data
    if getattr(layer, "multiscale", False):
        data = data[0]
    attrs = {
        "metadata": layer.metadata,
        "scale": tuple(layer.scale),
        "translate": tuple(layer.translate),
        "units": tuple(getattr(layer, "units", ()) or ()),
        "axis_labels": tuple(getattr(layer, "axis_labels", ()) or ()),
        "rgb": bool(getattr(layer, "rgb", False)),
        "name": getattr(layer, "name", None),
    }
    return data, attrs


def is_temimages_layer(layer: Any) -> bool:
    """True for layers made by :func:`to_layer_data` (they carry ``metadata["temimages"]``)."""
    try:
        meta = layer.metadata if not isinstance(layer, tuple) else (layer[1] or {}).get("metadata", {})
        return isinstance(meta, dict) and isinstance(meta.get(META_KEY), dict)
    except Exception:
        return False


def from_layer(layer: Any) -> Any:
    """The ``Images``/``DiffractionPatterns`` a layer shows (inverse of :func:`to_layer_data`).

    ``layer`` is a napari ``Image`` layer or a ``(data, attributes[, "image"])`` tuple (what
    napari hands to writers). For layers made by :func:`to_layer_data` the view is undone
    exactly (axes swapped back, display fftshift inverted) and the axes and metadata come from
    ``metadata["temimages"]``; amplitude/phase/log layers return their source object. Other
    image layers become ``Images`` (``DiffractionPatterns`` when the last two units are
    reciprocal lengths) with sampling from the layer scale (napari's last axis = x) and one
    axis per leading dimension.
    """
    data, attrs = _layer_parts(layer)
    metadata = attrs.get("metadata") or {}
    entry = metadata.get(META_KEY) if isinstance(metadata, dict) else None
    if isinstance(entry, dict):
        source = entry.get("source")
        if source is not None:
            return source
        return _from_entry(data, entry)
    return _from_plain_layer(data, attrs)


def _from_entry(data: Any, entry: dict) -> Any:
    type_name = entry.get("type")
    cls = _TYPES.get(type_name)
    if cls is None:
        raise InvalidTypeError(f"layer metadata names an unknown type {type_name!r}")
    view = entry.get("view") or {}
    if view.get("display", "linear") == "log" or view.get("part", "value") != "value":
        raise InvalidArgumentError(
            "this layer shows a derived quantity (log display or a complex part) and its source "
            "object is missing from layer.metadata"
        )
    array = data
    if view.get("transposed", True):
        array = _swap(array)
    if view.get("fftshifted", False):
        array = _fftshift(array, inverse=True)
    axes = [axis_from_dict(d) for d in entry.get("ensemble_axes", [])]
    if len(axes) != array.ndim - 2:
        raise InvalidArgumentError(
            f"layer data has {array.ndim} dimensions but its metadata describes {len(axes)} ensemble axes"
        )
    kwargs: dict[str, Any] = {
        "sampling": tuple(entry["sampling"]),
        "ensemble_axes_metadata": axes,
        "metadata": copy.deepcopy(entry.get("metadata") or {}),
    }
    if cls is DiffractionPatterns:
        kwargs["fftshift"] = bool(entry.get("fftshift", False))
    return cls(array, **kwargs)


def _unit_name(unit: Any) -> str:
    return str(unit) if unit is not None else "pixel"


def _from_plain_layer(data: Any, attrs: dict) -> Any:
    if attrs.get("rgb"):
        raise InvalidTypeError("RGB layers cannot be converted to images")
    ndim = len(data.shape)
    if ndim < 2:
        raise InvalidArgumentError(f"a layer must have at least 2 dimensions, not {ndim}")
    def get(key: str, default: Sequence[Any]) -> list:
        value = attrs.get(key)
        value = list(default) if value is None or len(value) == 0 else list(value)
        return (list(default)[: ndim - len(value)] + value)[-ndim:]

    scale = [float(v) for v in get("scale", (1.0,) * ndim)]
    translate = [float(v) for v in get("translate", (0.0,) * ndim)]
    units = [_unit_name(u) for u in get("units", ("pixel",) * ndim)]
    labels = [str(v) for v in get("axis_labels", [str(i - ndim) for i in range(ndim)])]
    array = _swap(data)
    base_units = units[-2:]
    reciprocal = all(u in _PINT_INVERSE_LENGTH_TO_INV_ANGSTROM for u in base_units)
    if reciprocal:
        factors = [_PINT_INVERSE_LENGTH_TO_INV_ANGSTROM[u] for u in base_units]
    else:
        factors = [_PINT_LENGTH_TO_ANGSTROM.get(u, ("Å", 1.0))[1] for u in base_units]
    # napari order (y, x) -> abTEM order (x, y)
    sampling = (abs(scale[-1]) * factors[1], abs(scale[-2]) * factors[0])
    axes: list[AxisMetadata] = []
    for label, s, t, u in zip(labels[:-2], scale[:-2], translate[:-2], units[:-2]):
        if s != 1 or t != 0:
            axes.append(LinearAxis(label=label, sampling=float(s), offset=float(t), units=_PINT_NAMES.get(u, u)))
        else:
            axes.append(UnknownAxis(label=label))
    metadata = {k: v for k, v in (attrs.get("metadata") or {}).items() if k != META_KEY}
    metadata = copy.deepcopy(metadata) if all(_plain_value(v) for v in metadata.values()) else {}
    if reciprocal:
        return DiffractionPatterns(array, sampling=sampling, fftshift=True, ensemble_axes_metadata=axes, metadata=metadata)
    return Images(array, sampling=sampling, ensemble_axes_metadata=axes, metadata=metadata)


def _plain_value(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, tuple, dict))


# ---------------------------------------------------------------------------------- readout
def ensemble_readout(entry_or_obj: Any, indices: Sequence[int], shape: Sequence[int] | None = None) -> list[str]:
    """``["C10 = -20 Å", "Frozen phonons 3 of 8"]`` for ensemble member ``indices``.

    ``entry_or_obj`` is a measurement object, a layer's ``metadata["temimages"]`` dict or a list
    of axes; ``shape`` (the ensemble shape) is needed for the dict/list forms. Indices are
    clipped to the axis lengths. Uses each axis's ``format_value``, so ordinal and non-uniform
    axes show their real values.
    """
    if isinstance(entry_or_obj, dict):
        axes = [axis_from_dict(d) for d in entry_or_obj.get("ensemble_axes", [])]
    elif hasattr(entry_or_obj, "ensemble_axes_metadata"):
        axes = list(entry_or_obj.ensemble_axes_metadata)
        shape = entry_or_obj.ensemble_shape if shape is None else shape
    else:
        axes = list(entry_or_obj)
    if shape is None:
        raise InvalidArgumentError("ensemble_readout needs the ensemble shape")
    out = []
    for axis, index, n in zip(axes, indices, shape):
        index = min(max(int(index), 0), int(n) - 1)
        out.append(axis.format_value(index, int(n)))
    return out


# ---------------------------------------------------------------------------------- viewers
def add_to_viewer(obj: Any, viewer: Any, **kwargs: Any) -> list:
    """Add ``obj`` to a napari viewer (y up, ensemble readout on); returns the new layers.

    ``kwargs`` go to :func:`to_layer_data` (``name``, ``display``, ``power``, ``colormap``,
    ``contrast_limits``). napari itself is never imported here: only the viewer is used.
    """
    from ._viewer import prepare_viewer

    prepare_viewer(viewer)
    layers = []
    for data, meta, layer_type in to_layer_data(obj, **kwargs):
        layers.append(getattr(viewer, f"add_{layer_type}")(data, **meta))
    return layers
