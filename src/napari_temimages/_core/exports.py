"""Exports to xarray and HyperSpy.

``to_data_array``: dims = axis labels in array order, one coordinate per axis (``units`` attribute;
base coordinates ``i·d`` in Å), attrs = metadata + ``long_name``; data stays lazy and is moved
to the host (numpy chunks) at this boundary. ``to_hyperspy``: calibrated axes in the right order (abTEM reverses the
ensemble axes and rejects frozen-phonon axes).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from . import backend
from .array_object import ArrayObject
from .axes import AxisMetadata, LinearAxis, OrdinalAxis

__all__ = ["to_data_array", "to_hyperspy", "hyperspy_axes"]


def _coordinate_values(axis: AxisMetadata, n: int) -> np.ndarray:
    if isinstance(axis, LinearAxis) and type(axis).__name__ in ("RealSpaceAxis", "ScanAxis"):
        values = np.linspace(axis.offset, axis.offset + n * axis.sampling, n, endpoint=False)
    else:
        values = np.array(axis.coordinates(n))
    if values.ndim > 1:
        values = np.array([str(v) for v in values])
    return values


def to_data_array(obj: ArrayObject) -> Any:
    """``xarray.DataArray`` of ``obj`` (see module docstring)."""
    import xarray as xr

    dims = [axis.label for axis in obj.axes_metadata]
    coords = {}
    for axis, n in zip(obj.axes_metadata, obj.shape):
        coords[axis.label] = xr.DataArray(
            _coordinate_values(axis, n), dims=(axis.label,), attrs={"units": axis.units}
        )
    attrs = copy.deepcopy(obj.metadata)
    if "label" in attrs:
        attrs["long_name"] = attrs["label"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.DataArray(backend.to_host(obj.array), dims=dims, coords=coords, attrs=attrs)


def hyperspy_axes(obj: ArrayObject, transpose: bool = True) -> list[dict]:
    """HyperSpy axis dicts in *data* order (ensemble axes as stored; with ``transpose`` the two
    image axes become ``y`` then ``x`` so that x is drawn horizontally)."""
    axes = list(obj.axes_metadata)
    if transpose and obj.base_dims == 2:
        axes = axes[:-2] + [axes[-1], axes[-2]]
    out = []
    for axis, n in zip(axes, [obj.shape[i] for i in _order(obj, transpose)]):
        entry: dict[str, Any] = {"size": int(n), "name": axis.label or type(axis).__name__}
        if isinstance(axis, LinearAxis):
            entry.update(scale=float(axis.sampling), offset=float(axis.offset), units=axis.units or "")
        elif isinstance(axis, OrdinalAxis):
            values = np.asarray(axis.values)
            if values.ndim == 1 and values.dtype.kind in "iuf" and (len(values) < 2 or np.all(np.diff(values) > 0)):
                entry.update(axis=values.astype(float), units=axis.units or "")
            elif values.ndim == 1 and values.dtype.kind in "iuf" and np.all(np.diff(values) < 0):
                entry.update(axis=values.astype(float), units=axis.units or "")
        out.append(entry)
    return out


def _order(obj: ArrayObject, transpose: bool) -> list[int]:
    order = list(range(obj.ndim))
    if transpose and obj.base_dims == 2:
        order[-2], order[-1] = order[-1], order[-2]
    return order


def to_hyperspy(obj: ArrayObject, transpose: bool = True) -> Any:
    """HyperSpy ``Signal2D`` (images) / ``Signal1D`` (profiles), lazy for lazy objects."""
    try:
        import hyperspy.api as hs
    except ImportError as exc:
        raise ImportError("to_hyperspy needs hyperspy: pip install 'napari-temimages[hyperspy]'") from exc
    data = backend.to_host(obj.array)
    if transpose and obj.base_dims == 2:
        data = data.swapaxes(-1, -2)
    axes = hyperspy_axes(obj, transpose)
    signal_cls = {2: hs.signals.Signal2D, 1: hs.signals.Signal1D}.get(obj.base_dims, hs.signals.BaseSignal)
    signal = signal_cls(data, axes=axes, metadata={"General": {"title": str(obj.metadata.get("label", ""))}})
    return signal.as_lazy() if backend.is_lazy(data) else signal
