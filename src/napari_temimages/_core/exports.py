"""Exports to xarray and HyperSpy.

``to_data_array`` (as abTEM 1.0.11): dims = the axis labels in array order (ensemble labels, then
``"x"``, ``"y"`` for images); one coordinate per axis with a ``units`` attribute (base coordinates
``i·d`` in Å, computed as ``linspace(0, n·d, n, endpoint=False)``; ordinal axes their values,
pairs such as tilts as strings); attrs = a deep copy of the metadata plus ``long_name`` = the
``label``. The data are not computed: dask stays dask; device (GPU) arrays are moved to the host
(per block for dask) at this boundary, so the DataArray always holds numpy-backed data. The
DataArray has no name (xarray would otherwise name it after the dask graph key).

``to_hyperspy``: data ``(*ensemble, n_y, n_x)`` with ``transpose=True`` (rows = y, so x is drawn
horizontally), ensemble axes in the data's order (abTEM reverses them, which mislabels two or
more ensemble axes), every axis type exported (abTEM refuses frozen-phonon, sample and unknown
axes): linear axes calibrated, numeric monotonic ordinal axes as non-uniform axes, anything else
as a plain index axis. The title, the value quantity (``label (units)``) and the beam energy
(keV) are set; the full metadata go to ``original_metadata``. HyperSpy is an optional extra.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from . import backend
from .array_object import ArrayObject
from .axes import AxisMetadata, LinearAxis, OrdinalAxis, ReciprocalSpaceAxis
from .jsontree import plain_tree

__all__ = ["to_data_array", "to_hyperspy", "hyperspy_axes", "hyperspy_metadata"]


# ------------------------------------------------------------------------------ xarray
def _coordinate_values(axis: AxisMetadata, n: int) -> np.ndarray:
    """abTEM's coordinate values: ``linspace`` for real-space axes, ``coordinates(n)`` otherwise;
    2-D values (tilt/position pairs) become strings such as ``"[0 0]"``."""
    if isinstance(axis, LinearAxis) and type(axis).__name__ in ("RealSpaceAxis", "ScanAxis"):
        values = np.linspace(axis.offset, axis.offset + n * axis.sampling, n, endpoint=False)
    else:
        values = np.array(axis.coordinates(n))
    if values.ndim > 1:
        values = np.array([str(v) for v in values])
    return values


def to_data_array(obj: ArrayObject) -> Any:
    """``xarray.DataArray`` of ``obj`` (see the module docstring); lazy data stay lazy."""
    import xarray as xr

    dims = [axis.label for axis in obj.axes_metadata]
    coords = {
        axis.label: xr.DataArray(_coordinate_values(axis, n), dims=(axis.label,), attrs={"units": axis.units})
        for axis, n in zip(obj.axes_metadata, obj.shape)
    }
    attrs = copy.deepcopy(obj.metadata)
    if "label" in attrs:
        attrs["long_name"] = attrs["label"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate/empty dim names pass through, as in abTEM (Q39)
        result = xr.DataArray(backend.to_host(obj.array), dims=dims, coords=coords, attrs=attrs)
    result.name = None  # xarray would take a dask array's graph key as the name
    return result


# ------------------------------------------------------------------------------ HyperSpy
def _data_order(obj: ArrayObject, transpose: bool) -> list[int]:
    order = list(range(obj.ndim))
    if transpose and obj.base_dims == 2:
        order[-2], order[-1] = order[-1], order[-2]
    return order


def _hyperspy_axis(axis: AxisMetadata, n: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"size": int(n), "name": axis.label or type(axis).__name__, "units": axis.units or ""}
    if isinstance(axis, ReciprocalSpaceAxis) and not axis.fftshift:
        return entry  # storage order is not monotonic: an index axis
    if isinstance(axis, LinearAxis):
        first = np.asarray(axis.coordinates(max(n, 1)), dtype=float)[0] if n else float(axis.offset)
        entry.update(scale=float(axis.sampling), offset=float(first))
        return entry
    if isinstance(axis, OrdinalAxis):
        values = np.asarray(axis.values)
        if values.ndim == 1 and values.size == n and values.dtype.kind in "iuf" and _monotonic(values):
            entry["axis"] = values.astype(float)
    return entry


def _monotonic(values: np.ndarray) -> bool:
    steps = np.diff(values.astype(float))
    return bool(np.all(steps > 0) or np.all(steps < 0))


def hyperspy_axes(obj: ArrayObject, transpose: bool = True) -> list[dict]:
    """HyperSpy axis dicts in *data* order (ensemble axes as stored; with ``transpose`` the two
    image axes come as ``y`` then ``x``, matching data of shape ``(*ensemble, n_y, n_x)``)."""
    axes, shape = obj.axes_metadata, obj.shape
    return [_hyperspy_axis(axes[i], shape[i]) for i in _data_order(obj, transpose)]


def hyperspy_metadata(obj: ArrayObject) -> dict:
    """HyperSpy ``metadata`` dict: title, quantity, beam energy in keV (when known)."""
    label = str(obj.metadata.get("label", "")) or type(obj).__name__
    units = obj.metadata.get("units")
    out: dict[str, Any] = {"General": {"title": label}, "Signal": {"quantity": f"{label} ({units})" if units else label}}
    energy = obj.metadata.get("energy")
    if isinstance(energy, (int, float, np.number)) and not isinstance(energy, bool):
        out["Acquisition_instrument"] = {"TEM": {"beam_energy": float(energy) / 1e3}}
    return out


def _signal_class(hs: Any, base_dims: int, is_complex: bool) -> Any:
    if base_dims == 2:
        return hs.signals.ComplexSignal2D if is_complex else hs.signals.Signal2D
    if base_dims == 1:
        return hs.signals.ComplexSignal1D if is_complex else hs.signals.Signal1D
    return hs.signals.ComplexSignal if is_complex else hs.signals.BaseSignal


def to_hyperspy(obj: ArrayObject, transpose: bool = True) -> Any:
    """HyperSpy signal (``Signal2D`` for images, ``Signal1D`` for profiles; complex variants for
    complex data), lazy for lazy objects; see the module docstring."""
    try:
        import hyperspy.api as hs
    except ImportError as exc:
        raise ImportError("to_hyperspy needs hyperspy: pip install 'napari-temimages[hyperspy]'") from exc
    data = backend.to_host(obj.array)
    if transpose and obj.base_dims == 2:
        data = data.swapaxes(-1, -2)
    signal_cls = _signal_class(hs, obj.base_dims, bool(np.dtype(obj.dtype).kind == "c"))
    original = plain_tree(obj.metadata)
    signal = signal_cls(data, axes=hyperspy_axes(obj, transpose), metadata=hyperspy_metadata(obj),
                        original_metadata=original)
    return signal.as_lazy() if backend.is_lazy(data) else signal
