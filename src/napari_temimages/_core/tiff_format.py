"""TIFF with the physical pixel size: write ImageJ hyperstacks, read ImageJ / OME / plain / abTEM TIFFs.

Writing (:func:`write_tiff`), for :class:`Images` of shape ``(*ensemble, n_x, n_y)``:

* Pages are images with rows = y and columns = x, so Fiji shows x to the right (as abTEM's
  ``show()``); never RGB (``photometric="minisblack"``, whatever the stack length).
* ImageJ hyperstack: one ensemble axis -> slices (Z); two -> frames (T) x slices (Z); more ->
  the leading ones flattened into T. Calibration in Å: ``unit=\\u00C5`` in the ImageJ
  description, X/YResolution = 1/d_x, 1/d_y pixels per Å; ``spacing`` = the step of the Z axis
  when it is an evenly spaced axis in Å (thickness series), else 1. Each page is labelled with
  its ensemble values (``C10 = 60 Å``), visible in Fiji's slice label.
* dtypes: float32, uint8 and uint16 are native ImageJ types. Complex data are written as two
  ImageJ channels (C = real, imaginary) of the matching real dtype. float64 (and complex128's
  parts) and other integer types are stored unchanged (exact) with the same ImageJ description;
  ImageJ/Fiji opens 64-bit floats and 32-bit integers converted to 32-bit float. bool is stored
  as uint8 (0/1).
* The whole object (class, shape, dtype, every axis, metadata) rides along as JSON in the private
  tag :data:`JSON_TAG`, so :func:`read_tiff` rebuilds it exactly (array bitwise, axes, metadata).
* Lazy data are written page by page (computed one block of pages at a time, never the whole
  array); device (GPU) data are copied to the host at this boundary.

Reading (:func:`read_tiff`), in this order: our own files (the JSON tag); abTEM's ``to_tiff``
output (JSON with ``axes`` in the ImageDescription, rows = x, 3-/4-member stacks as planar RGB);
ImageJ calibration (``unit`` + X/YResolution, ``spacing``/``finterval`` for Z/T); OME-XML
``PhysicalSizeX/Y/Z`` with units; plain TIFF resolution tags in cm or inch. Lengths are converted
to Å (:data:`UNIT_TO_ANGSTROM`). Uncalibrated files - no unit, or a resolution in cm/inch giving
pixels larger than 10 µm (a print resolution such as 72 dpi, not a physical one) - get 1 Å per
pixel. Every failure raises :class:`~.errors.AbtemFileError` naming the file.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator

import numpy as np

from . import backend as _backend
from .array_object import ArrayObject
from .axes import AxisMetadata, LinearAxis, axis_from_dict, axis_to_dict
from .errors import AbtemFileError
from .images import Images
from .jsontree import plain_tree

__all__ = ["write_tiff", "read_tiff", "is_abtem_tiff", "JSON_TAG", "UNIT_TO_ANGSTROM", "RECORD_FORMAT"]

#: Private TIFF tag holding our JSON record (in the private range 65000-65535).
JSON_TAG = 65432
RECORD_FORMAT = "napari-temimages/1"

#: Length unit (lower case) -> Å.
UNIT_TO_ANGSTROM = {
    "å": 1.0, "a": 1.0, "angstrom": 1.0, "angstroms": 1.0, "ångström": 1.0, "\\u00c5": 1.0, "\u212b": 1.0,
    "pm": 1e-2, "picometer": 1e-2, "nm": 10.0, "nanometer": 10.0, "nanometers": 10.0,
    "µm": 1e4, "μm": 1e4, "um": 1e4, "\\u00b5m": 1e4, "micron": 1e4, "microns": 1e4, "micrometer": 1e4,
    "mm": 1e7, "millimeter": 1e7, "cm": 1e8, "centimeter": 1e8, "m": 1e10, "meter": 1e10,
    "inch": 2.54e8, "in": 2.54e8,
}
_ANGSTROM_TEXT = "\\u00C5"  # how ImageJ writes Å in its (ASCII) description
_IMAGEJ_NATIVE = ("uint8", "uint16", "float32")
_MAX_TIFF_BYTES = 2**34  # 16 GiB: TIFFs are read into memory
_MAX_PRINT_PIXEL = 1e5  # Å (10 µm): a larger pixel from cm/inch tags is a print resolution
_PAGES_PER_BLOCK_BYTES = 256 * 2**20
_RESERVED = ("axes", "data_origin", "type", "kwargs")


# ------------------------------------------------------------------------------ writing
def write_tiff(obj: ArrayObject, filename: Any, **kwargs: Any) -> None:
    """Write ``obj`` (:class:`Images`) as an ImageJ-calibrated TIFF (see the module docstring).

    ``kwargs`` go to ``tifffile.imwrite`` (e.g. ``compression="zlib"``).
    """
    import tifffile

    if not isinstance(obj, Images):
        raise TypeError(f"to_tiff writes Images, not {type(obj).__name__}")
    plan = _WritePlan(obj)
    metadata = {"axes": plan.axes, "unit": _ANGSTROM_TEXT, "spacing": _z_spacing(obj), "Labels": _labels(obj, plan)}
    common = dict(
        shape=plan.shape, dtype=plan.dtype, photometric="minisblack", resolution=(1.0 / obj.sampling[0], 1.0 / obj.sampling[1]),
        extratags=[(JSON_TAG, "s", 0, json.dumps(plan.record), True)],
    )
    if str(plan.dtype) in _IMAGEJ_NATIVE:
        tifffile.imwrite(filename, plan.pages(), imagej=True, metadata=metadata, **common, **kwargs)
        return
    labels = metadata.pop("Labels")
    description = tifffile.imagej_description(plan.shape, **metadata)
    common["extratags"] += list(tifffile.imagej_metadata_tag({"Labels": labels}, "<"))
    tifffile.imwrite(filename, plan.pages(), description=description, metadata=None, resolutionunit="NONE",
                     **common, **kwargs)


class _WritePlan:
    """How an Images maps onto ImageJ pages: hyperstack shape/axes, page dtype, the JSON record."""

    def __init__(self, obj: Images):
        self.obj = obj
        self.complex = bool(np.dtype(obj.dtype).kind == "c")
        dtype = np.dtype(obj.dtype)
        self.dtype = np.dtype(dtype.char.lower()) if self.complex else (np.dtype(np.uint8) if dtype == bool else dtype)
        ens = obj.ensemble_shape
        lead = [int(np.prod(ens[:-1]))] if len(ens) >= 2 else []
        dims = lead + list(ens[-1:])
        letters = {0: "", 1: "Z", 2: "TZ"}[len(dims)]
        channel = ([2], "C") if self.complex else ([], "")
        ny, nx = obj.base_shape[1], obj.base_shape[0]
        self.shape = tuple(dims + channel[0] + [ny, nx])
        self.axes = letters + channel[1] + "YX"
        self.record = {
            "format": RECORD_FORMAT,
            "type": type(obj).__name__,
            "shape": [int(n) for n in obj.shape],
            "dtype": str(dtype),
            "rows": "y",
            "complex": "channels" if self.complex else None,
            "axes": [axis_to_dict(a) for a in obj.axes_metadata],
            "metadata": plain_tree(obj.metadata),
        }

    def pages(self) -> Iterator[np.ndarray]:
        """Pages (rows = y) in ImageJ order, one host block of ensemble members at a time."""
        for block in _host_blocks(self.obj.array, self.obj.ensemble_dims):
            members = block.reshape((-1,) + block.shape[-2:])
            for member in members:
                if self.complex:
                    yield np.ascontiguousarray(member.real.T, dtype=self.dtype)
                    yield np.ascontiguousarray(member.imag.T, dtype=self.dtype)
                else:
                    yield np.ascontiguousarray(member.T, dtype=self.dtype)


def _host_blocks(array: Any, ensemble_dims: int) -> Iterator[np.ndarray]:
    """Consecutive (C-order) blocks of ensemble members as numpy arrays, ~256 MiB each at most."""
    array = _backend.to_host(array)
    if not _backend.is_lazy(array):
        yield np.asarray(array)
        return
    if ensemble_dims == 0:
        yield np.asarray(array.compute())
        return
    member_bytes = int(np.prod(array.shape[1:])) * array.dtype.itemsize
    step = max(1, min(array.shape[0], _PAGES_PER_BLOCK_BYTES // max(member_bytes, 1)))
    for start in range(0, array.shape[0], step):
        yield np.asarray(array[start:start + step].compute())


def _z_spacing(obj: Images) -> float:
    """The Z step in Å when the last ensemble axis is evenly spaced in Å, else 1."""
    if not obj.ensemble_dims:
        return 1.0
    axis, n = obj.ensemble_axes_metadata[-1], obj.ensemble_shape[-1]
    if axis.units not in ("Å", "\u00c5") or n < 2:
        return 1.0
    try:
        values = np.asarray(axis.coordinates(n), dtype=float)
    except (TypeError, ValueError):
        return 1.0
    steps = np.diff(values)
    if values.ndim == 1 and np.allclose(steps, steps[0]) and steps[0] != 0:
        return float(abs(steps[0]))
    return 1.0


def _labels(obj: Images, plan: _WritePlan) -> list[str]:
    """One slice label per page, e.g. ``"Frozen phonons = 1, C10 = 60 Å"`` (+ ``real``/``imag``)."""
    axes, shape = obj.ensemble_axes_metadata, obj.ensemble_shape
    out = []
    for index in np.ndindex(*shape):
        text = ", ".join(a.format_value(i, n) for a, i, n in zip(axes, index, shape))
        out.extend([f"{text} real".strip(), f"{text} imag".strip()] if plan.complex else [text])
    return out


# ------------------------------------------------------------------------------ reading
def read_tiff(path: Any) -> Images:
    """Read a TIFF as :class:`Images` with the sampling in Å (see the module docstring).

    Array layout of the result: ``(*ensemble, n_x, n_y)`` where x runs along the TIFF columns
    (our and ImageJ files) or along the rows (abTEM's own ``to_tiff`` files, as abTEM wrote them).
    """
    import tifffile

    text = str(path)
    try:
        with tifffile.TiffFile(text) as tif:
            return _read(tif, text)
    except AbtemFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a file is a file error
        raise AbtemFileError(text, f"cannot read as TIFF ({type(exc).__name__}: {exc})") from exc


def _read(tif: Any, path: str) -> Images:
    page = tif.pages.first
    series = tif.series[0]
    if int(np.prod(series.shape)) * series.dtype.itemsize > _MAX_TIFF_BYTES:
        raise AbtemFileError(path, f"the image data ({series.shape}, {series.dtype}) are too large to read")
    record = _json_dict(_tag_text(page, JSON_TAG))
    if record is not None and record.get("format") == RECORD_FORMAT:
        return _read_ours(tif, record, path)
    for description in _descriptions(page):
        meta = _json_dict(description)
        if meta is not None and meta.get("type") == "Images" and isinstance(meta.get("axes"), dict):
            return _read_abtem(tif, meta, path)
    return _read_calibrated(tif, path)


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


def _descriptions(page: Any) -> list[str]:
    return [str(t.value) for t in page.tags.values() if t.name == "ImageDescription"]


def _json_dict(text: str | None) -> dict | None:
    if not text or not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _read_ours(tif: Any, record: dict, path: str) -> Images:
    try:
        shape = tuple(int(n) for n in record["shape"])
        dtype = np.dtype(record["dtype"])
        axes = [axis_from_dict(a) for a in record["axes"]]
        metadata = record.get("metadata") or {}
    except (KeyError, TypeError, ValueError) as exc:
        raise AbtemFileError(path, f"our JSON record is damaged ({exc})") from exc
    if len(shape) < 2 or dtype.kind not in "biufc":
        raise AbtemFileError(path, f"our JSON record declares shape {shape} / dtype {dtype}")
    pages = np.asarray(tif.series[0].asarray())
    ny, nx = shape[-1], shape[-2]
    if record.get("complex") == "channels":
        pairs = pages.reshape((-1, 2, ny, nx))
        members = np.empty(pairs[:, 0].shape, dtype=dtype)
        members.real, members.imag = pairs[:, 0], pairs[:, 1]
    else:
        members = pages.reshape((-1, ny, nx))
    if members.shape[0] * ny * nx != int(np.prod(shape)):
        raise AbtemFileError(path, f"{pages.shape} pages do not hold an array of shape {shape}")
    array = np.ascontiguousarray(members.reshape(shape[:-2] + (ny, nx)).swapaxes(-1, -2)).astype(dtype, copy=False)
    return _build(path, lambda: Images.from_array_and_metadata(array, axes, metadata))


def _build(path: str, make: Any) -> Images:
    try:
        return make()
    except (ValueError, TypeError, RuntimeError, IndexError) as exc:
        raise AbtemFileError(path, f"the metadata do not fit the image data ({exc})") from exc


def _read_abtem(tif: Any, meta: dict, path: str) -> Images:
    """abTEM's ``to_tiff``: rows = x, metadata + ``axes`` (all axes) as JSON in the description."""
    axes_dict = meta["axes"]
    try:
        ordered = [axes_dict[k] for k in sorted(axes_dict, key=lambda k: int(str(k).rsplit("_", 1)[-1]))]
        axes = [axis_from_dict(a) for a in ordered]
    except (TypeError, ValueError) as exc:
        raise AbtemFileError(path, f"abTEM's axes metadata are damaged ({exc})") from exc
    array = np.asarray(tif.asarray())
    if array.ndim != len(axes):
        raise AbtemFileError(path, f"the image data have shape {array.shape} but {len(axes)} axes are described")
    metadata = {k: v for k, v in meta.items() if k not in _RESERVED}
    return _build(path, lambda: Images.from_array_and_metadata(array, axes, metadata))


# --- calibrated TIFFs (ImageJ, OME, plain)
_AXIS_NAMES = {"T": "t", "Z": "z", "C": "channel", "Q": "page", "I": "page", "S": "sample", "R": "tile"}


def _read_calibrated(tif: Any, path: str) -> Images:
    series = tif.series[0]
    page = tif.pages.first
    if page.photometric == 2:  # RGB
        raise AbtemFileError(path, "RGB TIFFs are not supported (electron micrographs are single-channel)")
    data = np.asarray(series.asarray())
    letters = series.axes
    if "Y" not in letters or "X" not in letters or data.ndim != len(letters):
        raise AbtemFileError(path, f"no image plane in the TIFF (axes {letters!r}, shape {data.shape})")
    order = [i for i, c in enumerate(letters) if c not in "YX"] + [letters.index("X"), letters.index("Y")]
    array = np.ascontiguousarray(np.transpose(data, order))  # (..., x = columns, y = rows)
    sampling, extra = _sampling(tif, page)
    ensemble = [_ensemble_axis(c, extra) for c in letters if c not in "YX"]
    return _build(path, lambda: Images(array, sampling=sampling, ensemble_axes_metadata=ensemble))


def _ensemble_axis(letter: str, extra: dict) -> AxisMetadata:
    label = _AXIS_NAMES.get(letter, letter.lower())
    if letter == "Z" and extra.get("z"):
        return LinearAxis(label="z", sampling=extra["z"], units="Å")
    if letter == "T" and extra.get("t"):
        return LinearAxis(label="t", sampling=extra["t"], units="s")
    return AxisMetadata(label=label)


def _sampling(tif: Any, page: Any) -> tuple[tuple[float, float], dict]:
    """(d_x, d_y) in Å along (columns, rows), plus Z/T steps: OME, then ImageJ, then plain tags."""
    if tif.is_ome and tif.ome_metadata:
        found = _ome_sampling(tif.ome_metadata)
        if found is not None:
            return found
    resolution = _resolution(page)
    if tif.is_imagej:
        meta = tif.imagej_metadata or {}
        factor = _unit_factor(meta.get("unit"))
        if factor and resolution:
            extra = {"t": _positive(meta.get("finterval"))}
            spacing = _positive(meta.get("spacing"))
            extra["z"] = spacing * factor if spacing else None
            return (resolution[0] * factor, resolution[1] * factor), extra
    unit = page.tags.get("ResolutionUnit")
    factor = {2: UNIT_TO_ANGSTROM["inch"], 3: UNIT_TO_ANGSTROM["cm"]}.get(int(unit.value) if unit is not None else 2)
    if factor and resolution:
        sampling = (resolution[0] * factor, resolution[1] * factor)
        if max(sampling) <= _MAX_PRINT_PIXEL:
            return sampling, {}
    return (1.0, 1.0), {}


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _unit_factor(unit: Any) -> float | None:
    if not isinstance(unit, str) or not unit.strip():
        return None
    key = unit.strip().lower()
    return UNIT_TO_ANGSTROM.get(key) or UNIT_TO_ANGSTROM.get(key.encode("ascii", "backslashreplace").decode())


def _resolution(page: Any) -> tuple[float, float] | None:
    """Length per pixel along the columns (x) and rows (y), in the file's unit."""
    try:
        xr = page.tags["XResolution"].value
        yr = page.tags["YResolution"].value
        x = xr[0] / xr[1]
        y = yr[0] / yr[1]
    except (KeyError, ZeroDivisionError, TypeError, IndexError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)) or x <= 0 or y <= 0:
        return None
    return 1.0 / x, 1.0 / y


def _ome_sampling(xml: str) -> tuple[tuple[float, float], dict] | None:
    pixels = re.search(r"<(?:\w+:)?Pixels\b[^>]*>", xml)
    if pixels is None:
        return None
    tag = pixels.group(0)

    def size(axis: str) -> float | None:
        value = re.search(rf'\bPhysicalSize{axis}="([^"]+)"', tag)
        unit = re.search(rf'\bPhysicalSize{axis}Unit="([^"]+)"', tag)
        factor = _unit_factor(unit.group(1) if unit else "µm")  # OME's default unit is µm
        number = _positive(value.group(1)) if value else None
        return number * factor if (number and factor) else None

    sx, sy = size("X"), size("Y")
    if not sx or not sy:
        return None
    return (sx, sy), {"z": size("Z")}


# ------------------------------------------------------------------------------ the cheap check
def is_abtem_tiff(path: Any) -> bool:
    """A TIFF we should open (first IFD only; never raises): ours (JSON tag), abTEM's ``to_tiff``
    output, or calibrated in Å (a JSON description with ``unit`` Å, or ImageJ's ``unit=Å``)."""
    try:
        import tifffile

        with tifffile.TiffFile(str(path)) as tif:
            page = tif.pages.first
            if page.tags.get(JSON_TAG) is not None:
                return True
            for description in _descriptions(page):
                meta = _json_dict(description)
                if meta is None:
                    continue
                if meta.get("type") in ("Images", "DiffractionPatterns") and "axes" in meta:
                    return True
                if _unit_factor(meta.get("unit")) == 1.0:
                    return True
            return _unit_factor((tif.imagej_metadata or {}).get("unit")) == 1.0
    except Exception:  # noqa: BLE001 - a check, never an error
        return False
