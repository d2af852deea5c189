"""TIFF with physical pixel size: write ImageJ hyperstacks, read ImageJ / OME / plain / abTEM TIFFs.

Writing (:func:`write_tiff`): pages are images laid out rows = y, columns = x (so Fiji shows x to
the right, as abTEM's ``show()``), ensemble members flattened into ImageJ slices, the pixel size
in Å as ImageJ calibration (``unit=\\u00C5``, X/YResolution = 1/d). The complete object
(type, axes, metadata, shape) rides along as JSON in private tag 65432, so :func:`read_tiff`
rebuilds it exactly. Never RGB (``photometric="minisblack"``). float32, (u)int8/16 go into an
ImageJ hyperstack; float64 and complex data, which ImageJ cannot hold, are written as a plain
(non-ImageJ) TIFF with the same resolution tags and JSON (Fiji opens float64 via Bio-Formats).
Lazy and GPU data are brought to the host at this boundary.

Reading (:func:`read_tiff`): our own files exactly; abTEM's ``to_tiff`` output (JSON in the
ImageDescription, rows = x); ImageJ calibration; OME-XML ``PhysicalSizeX/Y`` + units; plain
resolution tags (cm/inch). Units are converted to Å.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from . import backend as _backend
from .array_object import ArrayObject
from .axes import axis_from_dict, axis_to_dict
from .errors import AbtemFileError
from .images import Images

__all__ = ["write_tiff", "read_tiff", "JSON_TAG", "UNIT_TO_ANGSTROM"]

JSON_TAG = 65432

#: Length units -> Å.
UNIT_TO_ANGSTROM = {
    "å": 1.0, "a": 1.0, "angstrom": 1.0, "ångström": 1.0, "\\u00c5": 1.0,
    "pm": 1e-2, "nm": 10.0, "nanometer": 10.0, "µm": 1e4, "um": 1e4, "μm": 1e4, "micron": 1e4,
    "micrometer": 1e4, "\\u00b5m": 1e4, "mm": 1e7, "millimeter": 1e7, "cm": 1e8, "centimeter": 1e8,
    "m": 1e10, "meter": 1e10, "inch": 2.54e8,
}
_IMAGEJ_DTYPES = ("float32", "uint8", "uint16")


def _host_array(obj: ArrayObject) -> np.ndarray:
    array = _backend.to_host(obj.array)
    if _backend.is_lazy(array):
        array = array.compute()
    return np.asarray(array)


def write_tiff(obj: ArrayObject, filename: Any, **kwargs: Any) -> None:
    """Write ``obj`` (Images) as a TIFF whose pixel size Fiji reads in Å (see module docstring)."""
    import tifffile

    if not isinstance(obj, Images):
        raise TypeError(f"to_tiff writes Images, not {type(obj).__name__}")
    array = _host_array(obj)
    pages = np.ascontiguousarray(array.swapaxes(-1, -2)).reshape((-1,) + obj.base_shape[::-1])
    dx, dy = obj.sampling
    record = {
        "format": "napari-temimages/1",
        "type": type(obj).__name__,
        "shape": list(obj.shape),
        "dtype": str(obj.dtype),
        "rows": "y",
        "axes": [axis_to_dict(a) for a in obj.axes_metadata],
        "metadata": _jsonable(obj.metadata),
    }
    extratags = [(JSON_TAG, "s", 0, json.dumps(record), True)]
    resolution = (1.0 / dx, 1.0 / dy)  # pixels per Å along columns (x) and rows (y)
    if str(obj.dtype) in _IMAGEJ_DTYPES:
        tifffile.imwrite(
            filename, pages, imagej=True, resolution=resolution,
            metadata={"axes": "ZYX", "unit": "\\u00C5", "spacing": 1.0}, photometric="minisblack",
            extratags=extratags, **kwargs,
        )
    else:
        tifffile.imwrite(
            filename, pages, photometric="minisblack", resolution=resolution, resolutionunit="NONE",
            extratags=extratags, description=json.dumps({"unit": "Å", "spacing": [dx, dy]}), metadata=None,
            **kwargs,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _tag_text(page: Any, code: Any) -> str | None:
    tag = page.tags.get(code)
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, np.ndarray):
        value = bytes(value.astype(np.uint8))
    if isinstance(value, bytes):
        value = value.rstrip(b"\0").decode("utf-8", "replace")
    return str(value)


def read_tiff(path: Any) -> Images:
    """Read a TIFF as :class:`Images` with the sampling in Å (see module docstring)."""
    import tifffile

    path = str(path)
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            ours = _tag_text(page, JSON_TAG)
            if ours:
                return _read_ours(tif, json.loads(ours), path)
            description = _tag_text(page, "ImageDescription") or ""
            abtem = _json_or_none(description)
            if isinstance(abtem, dict) and abtem.get("type") == "Images" and "axes" in abtem:
                return _read_abtem(tif, abtem, path)
            return _read_calibrated(tif, path)
    except AbtemFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a file is a file error
        raise AbtemFileError(path, f"cannot read as TIFF ({type(exc).__name__}: {exc})") from exc


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def _read_ours(tif: Any, record: dict, path: str) -> Images:
    shape = tuple(int(n) for n in record["shape"])
    pages = tif.asarray()
    array = pages.reshape(shape[:-2] + shape[-2:][::-1]).swapaxes(-1, -2)
    array = np.ascontiguousarray(array).astype(record.get("dtype", array.dtype), copy=False)
    axes = [axis_from_dict(a) for a in record["axes"]]
    return Images.from_array_and_metadata(array, axes, record.get("metadata") or {})


def _read_abtem(tif: Any, meta: dict, path: str) -> Images:
    """abTEM's ``to_tiff``: rows = x, JSON metadata + ``axes`` in the ImageDescription."""
    axes_dict = meta["axes"]
    ordered = [axes_dict[k] for k in sorted(axes_dict, key=lambda k: int(k.split("_")[-1]))]
    axes = [axis_from_dict(a) for a in ordered]
    array = np.asarray(tif.asarray())
    if array.ndim != len(axes):
        shapes = [s.shape for s in tif.series]
        raise AbtemFileError(path, f"array of shape {array.shape} ({shapes}) does not match {len(axes)} axes")
    metadata = {k: v for k, v in meta.items() if k not in ("axes", "data_origin", "type", "kwargs")}
    return Images.from_array_and_metadata(array, axes, metadata)


def _unit_factor(unit: str | None) -> float | None:
    if not unit:
        return None
    key = unit.strip().lower()
    key = key.encode("ascii", "backslashreplace").decode() if "\\" not in key else key
    key = re.sub(r"\\u00c5", "å", key)
    return UNIT_TO_ANGSTROM.get(key, UNIT_TO_ANGSTROM.get(unit.strip().lower()))


def _resolution(page: Any) -> tuple[float, float] | None:
    try:
        xr = page.tags["XResolution"].value
        yr = page.tags["YResolution"].value
    except KeyError:
        return None
    x = xr[0] / xr[1] if xr[1] else 0
    y = yr[0] / yr[1] if yr[1] else 0
    if x <= 0 or y <= 0:
        return None
    return 1.0 / x, 1.0 / y  # length per pixel along columns, rows


def _read_calibrated(tif: Any, path: str) -> Images:
    page = tif.pages[0]
    sampling = None
    if tif.is_ome and tif.ome_metadata:
        sampling = _ome_sampling(tif.ome_metadata)
    if sampling is None and tif.is_imagej:
        meta = tif.imagej_metadata or {}
        factor = _unit_factor(meta.get("unit"))
        res = _resolution(page)
        if factor and res:
            sampling = (res[0] * factor, res[1] * factor)
    if sampling is None:
        res = _resolution(page)
        unit = page.tags.get("ResolutionUnit")
        unit_value = int(unit.value) if unit is not None else 1
        factor = {2: 2.54e8, 3: 1e8}.get(unit_value)
        sampling = (res[0] * factor, res[1] * factor) if (res and factor) else (1.0, 1.0)
    data = np.asarray(tif.asarray())
    if data.ndim < 2:
        raise AbtemFileError(path, f"TIFF holds a {data.ndim}D array, not an image")
    if data.ndim > 2 and data.shape[-1] in (3, 4) and page.photometric == 2:
        raise AbtemFileError(path, "RGB TIFFs are not supported (TEM images are single-channel)")
    array = data.reshape((-1,) + data.shape[-2:]) if data.ndim > 3 else data
    array = np.ascontiguousarray(array.swapaxes(-1, -2))  # columns are x
    return Images(array, sampling=sampling)


def _ome_sampling(xml: str) -> tuple[float, float] | None:
    def attr(name: str) -> str | None:
        match = re.search(rf'{name}="([^"]+)"', xml)
        return match.group(1) if match else None

    sx, sy = attr("PhysicalSizeX"), attr("PhysicalSizeY")
    if not sx or not sy:
        return None
    fx = _unit_factor(attr("PhysicalSizeXUnit") or "µm")
    fy = _unit_factor(attr("PhysicalSizeYUnit") or "µm")
    if not fx or not fy:
        return None
    return float(sx) * fx, float(sy) * fy
