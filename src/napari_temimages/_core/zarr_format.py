"""abTEM zarr stores: read every layout abTEM wrote, write the canonical 1.0.11 layout.

Layouts (spec §5): *canonical* (abTEM 1.0.10+: root attribute ``metadata{i}`` = metadata + ``axes``
+ ``data_origin`` + ``type`` + ``kwargs``, tuples tagged ``{"_type": "tuple", "_value": [...]}``),
*legacy* (1.0.0–1.0.9: ``type{i}`` + ``kwargs{i}``, zarr format 2 or 3) and the pre-1.0 *beta*
layout (``metadata{i}`` as a JSON string). Arrays are ``array{i}``. Directory stores and ``.zip``
files (whose duplicated root ``zarr.json`` is resolved to the last member, as zipfile does).

Safety: classes come from the explicit registry :data:`MEASUREMENT_TYPES`; nothing in a file can
name code to run. Every problem with a file raises :class:`~.errors.AbtemFileError`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import backend as _backend
from .array_object import ArrayObject
from .axes import axis_from_dict, axis_to_dict
from .diffraction import DiffractionPatterns
from .ensemble_measurements import MeasurementsEnsemble
from .errors import AbtemFileError
from .images import Images
from .line_profiles import RealSpaceLineProfiles, ReciprocalSpaceLineProfiles

__all__ = ["MEASUREMENT_TYPES", "read_zarr", "write_zarr", "is_abtem_store", "encode", "decode"]

#: The only classes a file can produce.
MEASUREMENT_TYPES: dict[str, type[ArrayObject]] = {
    cls.__name__: cls
    for cls in (Images, DiffractionPatterns, RealSpaceLineProfiles, ReciprocalSpaceLineProfiles, MeasurementsEnsemble)
}

_RESERVED = ("axes", "data_origin", "type", "kwargs")
_MAX_CHUNK_BYTES = 512 * 2**20
_MAX_ARRAY_BYTES = 2.0**50  # 1 PiB: anything larger is a corrupt or hostile header
_DATA_ORIGIN = "napari-temimages_v0.1.0"


# ------------------------------------------------------------------------------ encoding
def encode(value: Any) -> Any:
    """Python value -> JSON value with abTEM's tagged tuples (numpy scalars/arrays made plain)."""
    if isinstance(value, tuple):
        return {"_type": "tuple", "_value": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode(value: Any) -> Any:
    """Inverse of :func:`encode` (tagged tuples become tuples)."""
    if isinstance(value, dict):
        if value.get("_type") == "tuple" and "_value" in value:
            inner = value["_value"]
            return tuple(decode(v) for v in inner) if isinstance(inner, list) else (decode(inner),)
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


# ------------------------------------------------------------------------------ opening
def _is_zip(url: Any) -> bool:
    return str(url).lower().endswith(".zip")


def _open_group(url: Any) -> Any:
    import zarr

    path = str(url)
    if _is_zip(path):
        if not os.path.isfile(path):
            raise AbtemFileError(path, "no such file")
        if not zipfile.is_zipfile(path):
            raise AbtemFileError(path, "not a valid zip file (truncated or corrupt)")
        store = zarr.storage.ZipStore(path, mode="r")
        return zarr.open_group(store, mode="r")
    if "://" not in path and not os.path.exists(path):
        raise AbtemFileError(path, "no such file or directory")
    return zarr.open_group(path, mode="r")


def _root_attributes(group: Any, path: str) -> dict:
    try:
        attrs = dict(group.attrs.asdict())
    except Exception as exc:  # noqa: BLE001 - any reader failure is a file problem
        raise AbtemFileError(path, f"cannot read the root attributes ({exc})") from exc
    return attrs


# ------------------------------------------------------------------------------ reading
def read_zarr(url: Any, chunks: Any = "auto") -> ArrayObject | list[ArrayObject]:
    """Read an abTEM zarr store; one object, or a list when it holds several. Always lazy.

    Parameters
    ----------
    url
        Directory store, ``.zip`` file or fsspec URL.
    chunks
        ``"auto"``: dask's automatic chunks on ensemble axes, base axes whole; ``None``: the
        chunks on disk; anything else is passed to ``dask.array.from_zarr``.
    """
    path = str(url)
    try:
        group = _open_group(url)
    except AbtemFileError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise AbtemFileError(path, f"not a readable zarr store ({type(exc).__name__}: {exc})") from exc
    attrs = _root_attributes(group, path)
    if "metadata0" in attrs:
        reader, prefix = _read_canonical, "metadata"
    elif "kwargs0" in attrs or "type0" in attrs:
        reader, prefix = _read_legacy, "type"
    elif not attrs:
        raise AbtemFileError(path, "the store has no attributes: not an abTEM file (or a broken legacy zip)")
    else:
        raise AbtemFileError(path, "zarr store does not contain recognizable abTEM metadata")
    objects = []
    for i in _indices(attrs, prefix):
        try:
            objects.append(reader(group, attrs, i, path, chunks))
        except AbtemFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever a bad file triggers, report it as such
            raise AbtemFileError(path, f"object {i} is malformed ({type(exc).__name__}: {exc})") from exc
    return objects[0] if len(objects) == 1 else objects


def _indices(attrs: dict, prefix: str) -> list[int]:
    i = 0
    out = []
    while f"{prefix}{i}" in attrs:
        out.append(i)
        i += 1
    if not out:
        raise AbtemFileError("store", f"no {prefix}0 attribute")
    return out


def _lazy_array(group: Any, i: int, path: str, ndim_base: int, chunks: Any) -> Any:
    import dask.array as da

    name = f"array{i}"
    try:
        array = group[name]
    except Exception as exc:  # noqa: BLE001
        raise AbtemFileError(path, f"array {name!r} is missing") from exc
    if not hasattr(array, "shape") or not hasattr(array, "dtype"):
        raise AbtemFileError(path, f"{name!r} is not an array")
    nbytes = float(np.prod([float(n) for n in array.shape])) * np.dtype(array.dtype).itemsize
    if nbytes > _MAX_ARRAY_BYTES:
        raise AbtemFileError(path, f"{name!r} declares an absurd size ({nbytes:.3g} bytes, shape {array.shape})")
    if isinstance(chunks, str) and chunks == "auto":
        n_ens = max(len(array.shape) - ndim_base, 0)
        chunks = ("auto",) * n_ens + (-1,) * min(ndim_base, len(array.shape))
    try:
        return da.from_zarr(array, chunks=chunks) if chunks is not None else da.from_zarr(array)
    except Exception as exc:  # noqa: BLE001
        raise AbtemFileError(path, f"cannot read {name!r} ({exc})") from exc


def _class_for(name: Any, path: str) -> type[ArrayObject]:
    cls = MEASUREMENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise AbtemFileError(path, f"unsupported measurement type {name!r}")
    return cls


def _axes(items: Any, path: str) -> list:
    try:
        return [axis_from_dict(d) for d in items]
    except (ValueError, TypeError) as exc:
        raise AbtemFileError(path, f"invalid axis metadata ({exc})") from exc


def _read_canonical(group: Any, attrs: dict, i: int, path: str, chunks: Any) -> ArrayObject:
    raw = attrs[f"metadata{i}"]
    if isinstance(raw, str):  # pre-1.0 beta layout: a JSON string
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AbtemFileError(path, f"metadata{i} is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise AbtemFileError(path, f"metadata{i} must be a JSON object")
    meta = decode(raw)
    if not isinstance(meta, dict):
        raise AbtemFileError(path, f"metadata{i} must be a JSON object")
    cls = _class_for(meta.get("type"), path)
    axes_dict = meta.get("axes")
    if not isinstance(axes_dict, dict):
        raise AbtemFileError(path, f"metadata{i} has no 'axes' mapping")
    try:
        ordered = sorted(axes_dict.items(), key=lambda kv: int(str(kv[0]).split("_")[-1]))
    except ValueError as exc:
        raise AbtemFileError(path, f"bad axis key in metadata{i}") from exc
    axes = _axes([v for _, v in ordered], path)
    metadata = {k: v for k, v in meta.items() if k not in _RESERVED}
    array = _lazy_array(group, i, path, cls._base_dims, chunks)
    if array.ndim != len(axes):
        raise AbtemFileError(path, f"array{i} has {array.ndim} dimensions but {len(axes)} axes are described")
    try:
        return cls.from_array_and_metadata(array, axes, metadata)
    except (ValueError, TypeError) as exc:
        raise AbtemFileError(path, f"metadata{i} does not fit array{i} ({exc})") from exc


def _read_legacy(group: Any, attrs: dict, i: int, path: str, chunks: Any) -> ArrayObject:
    cls = _class_for(attrs.get(f"type{i}"), path)
    kwargs = attrs.get(f"kwargs{i}")
    if not isinstance(kwargs, dict):
        raise AbtemFileError(path, f"kwargs{i} must be a JSON object")
    kwargs = dict(kwargs)
    kwargs.pop("type", None)
    kwargs["ensemble_axes_metadata"] = _axes(kwargs.get("ensemble_axes_metadata") or [], path)
    if isinstance(kwargs.get("sampling"), list):
        kwargs["sampling"] = tuple(kwargs["sampling"])
    allowed = {"sampling", "ensemble_axes_metadata", "metadata", "fftshift"}
    kwargs = {k: v for k, v in kwargs.items() if k in allowed}
    array = _lazy_array(group, i, path, cls._base_dims, chunks)
    try:
        return cls(array, **kwargs)
    except (ValueError, TypeError) as exc:
        raise AbtemFileError(path, f"kwargs{i} do not fit array{i} ({exc})") from exc


def is_abtem_store(path: Any) -> bool:
    """Cheap check (metadata only, never raises): does ``path`` look like an abTEM zarr store?"""
    try:
        attrs = _peek_attributes(str(path))
    except Exception:  # noqa: BLE001 - a check, never an error
        return False
    return isinstance(attrs, dict) and any(k in attrs for k in ("metadata0", "kwargs0", "type0"))


def _peek_attributes(path: str) -> dict | None:
    if _is_zip(path):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            for candidate in ("zarr.json", ".zattrs"):
                if candidate in names:
                    data = json.loads(zf.read(candidate))  # zipfile returns the last duplicate
                    return data.get("attributes", data) if candidate == "zarr.json" else data
        return None
    root = Path(path)
    if (root / "zarr.json").is_file():
        return json.loads((root / "zarr.json").read_text()).get("attributes", {})
    if (root / ".zattrs").is_file():
        return json.loads((root / ".zattrs").read_text())
    return None


# ------------------------------------------------------------------------------ writing
def _object_attributes(obj: ArrayObject) -> dict:
    metadata = {k: v for k, v in obj.metadata.items() if k not in _RESERVED}
    kwargs = {k: v for k, v in obj._init_kwargs().items()}
    kwargs["ensemble_axes_metadata"] = [axis_to_dict(a) for a in obj.ensemble_axes_metadata]
    kwargs["metadata"] = metadata
    return encode(
        {
            **metadata,
            "axes": {f"axis_{j}": axis_to_dict(a) for j, a in enumerate(obj.axes_metadata)},
            "data_origin": _DATA_ORIGIN,
            "type": type(obj).__name__,
            "kwargs": kwargs,
        }
    )


def _chunk_shape(obj: ArrayObject) -> tuple[int, ...]:
    """Lazy: the (regularised) ensemble chunks with whole images; eager: abTEM's ≤ 512 MiB rule."""
    shape = list(obj.shape)
    if obj.is_lazy:
        return tuple(max(c) if i < obj.ensemble_dims else shape[i] for i, c in enumerate(obj.array.chunks))
    chunk = list(shape)
    itemsize = obj.dtype.itemsize
    while int(np.prod(chunk)) * itemsize > _MAX_CHUNK_BYTES:
        ens = [i for i in range(obj.ensemble_dims) if chunk[i] > 1]
        axis = max(ens, key=lambda i: chunk[i]) if ens else int(np.argmax(chunk))
        chunk[axis] = max(chunk[axis] // 2, 1)
    return tuple(chunk)


def _compressors(zip_file: bool, level: Any, dtype: np.dtype) -> Any:
    if level is not None and (not isinstance(level, int) or not 0 <= level <= 9):
        raise ValueError(f"compression_level must be an integer between 0 and 9 or None, got {level!r}")
    if not zip_file:
        return "auto" if level is None else [{"name": "zstd", "configuration": {"level": level, "checksum": False}}]
    if level is None:
        return None
    from zarr.codecs import BloscCodec

    return [BloscCodec(cname="zstd", clevel=level, shuffle="bitshuffle", typesize=dtype.itemsize)]


def _write_directory(objects: Sequence[ArrayObject], target: str, codecs_for: Any, compute_kwargs: dict) -> None:
    """Write a zarr v3 directory store; lazy arrays are streamed chunk by chunk."""
    import dask.array as da
    import zarr

    attrs = {f"metadata{i}": _object_attributes(obj) for i, obj in enumerate(objects)}
    group = zarr.create_group(zarr.storage.LocalStore(target), attributes=attrs, zarr_format=3)
    for i, obj in enumerate(objects):
        array = _backend.to_host(obj.array)
        chunks = _chunk_shape(obj)
        zarray = group.create_array(
            f"array{i}", shape=obj.shape, dtype=obj.dtype, chunks=chunks,
            compressors=codecs_for(obj.dtype), fill_value=0,
        )
        if _backend.is_lazy(array):
            da.store(array.rechunk(chunks), zarray, lock=False, **compute_kwargs)
        else:
            zarray[...] = np.asarray(array)


def _zip_directory(directory: str, target: str) -> None:
    """Pack a directory store into a zip (members stored uncompressed, as zarr's ZipStore does)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for root, _, files in os.walk(directory):
            for name in sorted(files):
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, directory).replace(os.sep, "/"))


def _write_store(objects: Sequence[ArrayObject], target: str, zip_file: bool, level: Any, compute_kwargs: dict) -> None:
    """Write ``objects`` to ``target`` (a directory, or a zip built from a temporary directory:
    zarr's ZipStore cannot be shared with dask's workers)."""
    codecs_for = lambda dtype: _compressors(zip_file, level, dtype)  # noqa: E731
    if not zip_file:
        _write_directory(objects, target, codecs_for, compute_kwargs)
        return
    staging = f"{target}.d"
    try:
        _write_directory(objects, staging, codecs_for, compute_kwargs)
        _zip_directory(staging, target)
    finally:
        _remove(staging)


def write_zarr(
    obj: ArrayObject | Sequence[ArrayObject],
    url: Any,
    compute: bool = True,
    overwrite: bool = False,
    progress_bar: Any = None,
    compression_level: int | None = 4,
    **kwargs: Any,
) -> Any:
    """Write one object (or a list) in abTEM 1.0.11's canonical layout; returns ``url``.

    A directory store, or a single zip file when ``url`` ends in ``.zip``. Lazy arrays are
    streamed chunk by chunk (never held whole in memory). The store is written beside the target
    and renamed into place, so a failure leaves an existing file intact. ``overwrite=False``
    refuses an existing path. ``compute=False`` returns a ``dask.delayed`` object doing the write.
    """
    objects = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    path = str(url)
    if not objects or not all(isinstance(o, ArrayObject) for o in objects):
        raise TypeError("to_zarr writes measurement objects (Images, DiffractionPatterns, ...)")
    if compression_level is not None and (not isinstance(compression_level, int) or not 0 <= compression_level <= 9):
        raise ValueError(f"compression_level must be between 0 and 9 (or None), got {compression_level!r}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if not compute:
        import dask

        return dask.delayed(write_zarr)(objects, url, True, overwrite, progress_bar, compression_level, **kwargs)

    zip_file = _is_zip(path)
    level = compression_level if zip_file else None
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    temp = os.path.join(parent, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        _write_store(objects, temp, zip_file, level, kwargs)
        _replace(temp, path)
    except BaseException:
        _remove(temp)
        raise
    return path


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _replace(temp: str, path: str) -> None:
    """Move ``temp`` to ``path``; an existing ``path`` is removed only after the move succeeded."""
    if not os.path.lexists(path):
        os.replace(temp, path)
        return
    backup = f"{path}.old-{uuid.uuid4().hex[:8]}"
    os.replace(path, backup)
    try:
        os.replace(temp, path)
    except BaseException:
        os.replace(backup, path)
        raise
    _remove(backup)
