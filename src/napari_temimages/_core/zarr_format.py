"""abTEM zarr stores: read every layout abTEM wrote, write the canonical 1.0.11 layout.

Layouts (spec §5). Objects ``i = 0, 1, ...`` of one store are independent:

* *canonical* (abTEM 1.0.10+, zarr format 3): root attribute ``metadata{i}`` = the metadata dict
  plus ``axes`` (``{"axis_0": <axis dict>, ...}``, one per array dimension), ``data_origin``,
  ``type`` (class name) and ``kwargs`` (constructor arguments); tuples are tagged
  ``{"_type": "tuple", "_value": [...]}``;
* *legacy* (abTEM 1.0.0-1.0.9, zarr format 2 or 3): ``type{i}`` + ``kwargs{i}``, tuples as lists;
* *beta* (abTEM 1.0.0 betas): ``metadata{i}`` is a JSON *string* with the canonical keys.

Arrays are children ``array{i}`` of the root group, stored as ``(*ensemble, *base)`` (for images
``(*ensemble, n_x, n_y)``, sampling in Å). Stores are directories, ``.zip`` files (a duplicated
root ``zarr.json`` resolves to the last member, as :mod:`zipfile` does) or fsspec URLs
(``s3://...``; remote zips are opened through fsspec's ``zip::`` chaining).

Safety: a file never chooses code to run. Classes come from the explicit registry
:data:`MEASUREMENT_TYPES`, axis classes from :data:`.axes.AXIS_TYPES`, and only the codecs in
:data:`SAFE_CODECS` are decoded (no pickle, no object dtypes). Every problem with a file -
unreadable container, foreign or inconsistent metadata, absurd sizes, undecodable chunks (also
when they are decoded later, at compute time) - raises :class:`~.errors.AbtemFileError`
(a ``ValueError``) naming the file and the problem.

Writing streams lazy arrays chunk by chunk (``dask.array.store``), never splits the base axes,
writes beside the target and renames into place (a failure leaves an existing file intact), and
refuses to replace an existing path unless ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import backend as _backend
from .array_object import ArrayObject
from .axes import AxisMetadata, axis_from_dict, axis_to_dict
from .diffraction import DiffractionPatterns
from .ensemble_measurements import MeasurementsEnsemble
from .errors import AbtemFileError
from .images import Images
from .line_profiles import RealSpaceLineProfiles, ReciprocalSpaceLineProfiles

__all__ = [
    "MEASUREMENT_TYPES",
    "SAFE_CODECS",
    "ChunksArgumentError",
    "BLOSC_COMPRESSORS",
    "read_zarr",
    "write_zarr",
    "is_abtem_store",
    "encode",
    "decode",
]

#: The only classes a file can produce (name in the file -> class).
MEASUREMENT_TYPES: dict[str, type[ArrayObject]] = {
    cls.__name__: cls
    for cls in (Images, DiffractionPatterns, RealSpaceLineProfiles, ReciprocalSpaceLineProfiles, MeasurementsEnsemble)
}

#: Codecs a store may use (zarr v3 names and zarr v2 / numcodecs ids). Anything else - notably
#: ``pickle``, ``msgpack`` and other object codecs - is refused before any chunk is decoded.
SAFE_CODECS = frozenset(
    {
        "bytes", "endian", "transpose", "crc32c", "sharding_indexed",  # zarr v3 core codecs
        "blosc", "zstd", "gzip", "zlib", "lz4", "bz2", "lzma", "shuffle", "delta",  # compressors/filters
        "numcodecs.blosc", "numcodecs.zstd", "numcodecs.gzip", "numcodecs.zlib", "numcodecs.lz4",
        "numcodecs.bz2", "numcodecs.lzma", "numcodecs.shuffle", "numcodecs.delta",
    }
)

#: Blosc compressors accepted by :func:`write_zarr` (``compression=``).
BLOSC_COMPRESSORS = ("zstd", "lz4", "lz4hc", "zlib", "blosclz")

_RESERVED = ("axes", "data_origin", "type", "kwargs")
_WRITE_CHUNK_BYTES = 512 * 2**20  # abTEM 1.0.11's chunk limit (spec §5.4)
_MAX_ARRAY_BYTES = 2**45  # 32 TiB: a larger declared array is a corrupt or hostile header
_MAX_AXIS_LENGTH = 2**31
_MAX_CHUNK_BYTES = 2**33  # 8 GiB: the buffer one chunk decodes into
_MAX_CHUNKS_PER_AXIS = 2**24  # dask keeps one entry per chunk and axis
_MAX_METADATA_BYTES = 64 * 2**20  # is_abtem_store reads at most this much JSON
_DATA_ORIGIN = "napari-temimages_v0.1.0"
_BROKEN_LEGACY_ZIP = (
    "the root group has no attributes but holds 'array0': a .zip written by abTEM <= 1.0.9, whose "
    "writer lost the metadata (sampling, axes) when dask re-opened the zip for the array. The pixel "
    "data are in 'array0' (zarr.open_array(zarr.storage.ZipStore(path, mode='r'), path='array0')), "
    "the calibration must be re-entered"
)


# ------------------------------------------------------------------------------ encoding
def encode(value: Any) -> Any:
    """Python value -> JSON value with abTEM's tagged tuples (numpy/cupy values made plain)."""
    if isinstance(value, tuple):
        return {"_type": "tuple", "_value": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # numpy, cupy, dask arrays
        return np.asarray(_backend.to_numpy(value)).tolist()
    return value


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`: tagged tuples become tuples (recursively)."""
    if isinstance(value, dict):
        if value.get("_type") == "tuple" and "_value" in value:
            inner = value["_value"]
            return tuple(decode(v) for v in inner) if isinstance(inner, list) else (decode(inner),)
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


# ------------------------------------------------------------------------------ paths and opening
def _path_text(url: Any) -> str:
    path = os.fspath(url) if isinstance(url, os.PathLike) else url
    if not isinstance(path, str) or not path or "\x00" in path:
        raise AbtemFileError(repr(url), "not a path or URL")
    return path.rstrip("/\\") or path


def _is_url(path: str) -> bool:
    return "://" in path or "::" in path


def _is_zip(path: str) -> bool:
    return path.lower().endswith(".zip")  # abTEM tests case-sensitively (spec Q42)


def _open_group(path: str, storage_options: dict | None) -> Any:
    """Open the root group read-only (directory, zip, or fsspec URL)."""
    import zarr

    if _is_url(path):
        url = f"zip::{path}" if _is_zip(path) and not path.startswith("zip::") else path
        return zarr.open_group(url, mode="r", storage_options=storage_options)
    if not os.path.exists(path):
        raise AbtemFileError(path, "no such file or directory")
    if _is_zip(path):
        if not os.path.isfile(path):
            raise AbtemFileError(path, "a .zip store must be a file")
        if not zipfile.is_zipfile(path):
            raise AbtemFileError(path, "not a valid zip file (truncated or corrupt)")
        return zarr.open_group(zarr.storage.ZipStore(path, mode="r"), mode="r")
    if not os.path.isdir(path):
        raise AbtemFileError(path, "not a zarr store (a directory, or a file ending in .zip)")
    return zarr.open_group(path, mode="r")


def _root_attributes(group: Any, path: str) -> dict:
    try:
        attrs = group.attrs.asdict()
    except Exception as exc:  # noqa: BLE001 - any reader failure is a file problem
        raise AbtemFileError(path, f"cannot read the root attributes ({exc})") from exc
    if not isinstance(attrs, dict):
        raise AbtemFileError(path, "the root attributes are not a JSON object")
    return dict(attrs)


def _has_member(group: Any, name: str) -> bool:
    try:
        return name in group
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------------------ reading
def read_zarr(url: Any, chunks: Any = "auto", storage_options: dict | None = None) -> ArrayObject | list[ArrayObject]:
    """Read an abTEM zarr store: one object, or a list when the store holds several. Lazy.

    Parameters
    ----------
    url
        Directory store, ``.zip`` file (any letter case) or fsspec URL (``s3://bucket/x.zarr``,
        ``s3://bucket/x.zip``).
    chunks
        ``"auto"``: dask's automatic chunks on the ensemble axes, base axes whole; ``None``: the
        chunks on disk; anything else is passed to dask (e.g. ``(1, -1, -1)``).
    storage_options
        Passed to fsspec for URLs (for a remote zip: ``{"s3": {...}}``-style per-protocol options).

    Returns
    -------
    Images, DiffractionPatterns, RealSpaceLineProfiles, ReciprocalSpaceLineProfiles or
    MeasurementsEnsemble backed by a dask array over the stored array; a list for several.

    Raises
    ------
    AbtemFileError
        The store cannot be read as abTEM measurements (the message names the file and problem).
    """
    path = _path_text(url)
    group = _guarded(path, "not a readable zarr store", _open_group, path, storage_options)
    attrs = _root_attributes(group, path)
    layout, prefix = _layout(attrs, group, path)
    objects = [
        _guarded(path, f"object {i} is malformed", _read_object, group, attrs, layout, i, path, chunks)
        for i in _indices(attrs, prefix)
    ]
    return objects[0] if len(objects) == 1 else objects


def _guarded(path: str, what: str, func: Callable[..., Any], *args: Any) -> Any:
    """Call ``func``; whatever a bad file makes it raise becomes an :class:`AbtemFileError`."""
    try:
        return func(*args)
    except (AbtemFileError, ChunksArgumentError):
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file can trigger any exception
        raise AbtemFileError(path, f"{what} ({type(exc).__name__}: {exc})") from exc


def _layout(attrs: dict, group: Any, path: str) -> tuple[str, str]:
    if "metadata0" in attrs:
        return "canonical", "metadata"
    if "type0" in attrs or "kwargs0" in attrs:
        return "legacy", "type" if "type0" in attrs else "kwargs"
    if not attrs:
        if _has_member(group, "array0"):
            raise AbtemFileError(path, _BROKEN_LEGACY_ZIP if _is_zip(path) else
                                 "the root group has no attributes: 'array0' has no abTEM metadata")
        raise AbtemFileError(path, "the root group has no attributes: not an abTEM file")
    raise AbtemFileError(path, "zarr store does not contain recognizable abTEM metadata "
                               "(no 'metadata0', 'type0' or 'kwargs0' attribute)")


def _indices(attrs: dict, prefix: str) -> list[int]:
    out = []
    while f"{prefix}{len(out)}" in attrs:
        out.append(len(out))
    return out


def _read_object(group: Any, attrs: dict, layout: str, i: int, path: str, chunks: Any) -> ArrayObject:
    if layout == "canonical":
        meta = _canonical_metadata(attrs[f"metadata{i}"], i, path)
        cls = _class_for(meta.get("type"), path)
        array = _lazy_array(group, i, path, cls._base_dims, chunks)
        obj = _build_canonical(cls, array, meta, i, path)
    else:
        cls = _class_for(attrs.get(f"type{i}"), path)
        array = _lazy_array(group, i, path, cls._base_dims, chunks)
        kwargs = attrs.get(f"kwargs{i}")
        if not isinstance(kwargs, dict):
            raise AbtemFileError(path, f"'kwargs{i}' must be a JSON object, not {type(kwargs).__name__}")
        metadata = kwargs.get("metadata")
        obj = _build_from_kwargs(cls, array, kwargs, metadata if metadata is not None else {}, path, f"kwargs{i}")
    _check_object(obj, path, i)
    return obj


def _canonical_metadata(raw: Any, i: int, path: str) -> dict:
    if isinstance(raw, str):  # pre-1.0 beta layout: a JSON string
        try:
            raw = json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise AbtemFileError(path, f"'metadata{i}' is a string but not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise AbtemFileError(path, f"'metadata{i}' must be a JSON object, not {type(raw).__name__}")
    return decode(raw)


def _class_for(name: Any, path: str) -> type[ArrayObject]:
    cls = MEASUREMENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        known = ", ".join(MEASUREMENT_TYPES)
        raise AbtemFileError(path, f"unsupported measurement type {name!r} (readable: {known})")
    return cls


def _axes(items: Any, path: str, where: str) -> list[AxisMetadata]:
    if not isinstance(items, list):
        raise AbtemFileError(path, f"{where} must be a list of axis descriptions, not {type(items).__name__}")
    try:
        return [axis_from_dict(d) for d in items]
    except (ValueError, TypeError) as exc:
        raise AbtemFileError(path, f"invalid axis metadata in {where} ({exc})") from exc


def _ordered_axes(axes_dict: Any, path: str, i: int) -> list[AxisMetadata]:
    where = f"'metadata{i}.axes'"
    if not isinstance(axes_dict, dict):
        raise AbtemFileError(path, f"{where} must be a mapping 'axis_<n>' -> axis, not {type(axes_dict).__name__}")
    try:
        ordered = sorted(axes_dict.items(), key=lambda kv: int(str(kv[0]).rsplit("_", 1)[-1]))
    except ValueError as exc:
        raise AbtemFileError(path, f"{where} has a key that is not 'axis_<n>' ({exc})") from exc
    return _axes([v for _, v in ordered], path, where)


def _build_canonical(cls: type[ArrayObject], array: Any, meta: dict, i: int, path: str) -> ArrayObject:
    """From ``axes`` (as abTEM); if they do not fit and ``kwargs`` exist, from the kwargs."""
    metadata = {k: v for k, v in meta.items() if k not in _RESERVED}
    problems = []
    if "axes" in meta:
        try:
            axes = _ordered_axes(meta["axes"], path, i)
            if len(axes) != array.ndim:
                raise AbtemFileError(path, f"'array{i}' has {array.ndim} dimensions (shape {array.shape}) "
                                           f"but 'metadata{i}.axes' describes {len(axes)}")
            return _construct(lambda: cls.from_array_and_metadata(array, axes, metadata), path, f"metadata{i}")
        except AbtemFileError as exc:
            problems.append(exc.problem)
    else:
        problems.append(f"'metadata{i}' has no 'axes'")
    if isinstance(meta.get("kwargs"), dict):
        try:
            return _build_from_kwargs(cls, array, meta["kwargs"], metadata, path, f"metadata{i}.kwargs")
        except AbtemFileError as exc:
            problems.append(exc.problem)
    raise AbtemFileError(path, "; ".join(problems))


def _build_from_kwargs(
    cls: type[ArrayObject], array: Any, kwargs: dict, metadata: Any, path: str, where: str
) -> ArrayObject:
    """Call the constructor with the stored keyword arguments it accepts (axis dicts decoded)."""
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "array"}
    args = {k: v for k, v in kwargs.items() if k in accepted}
    args["ensemble_axes_metadata"] = _axes(args.get("ensemble_axes_metadata") or [], path,
                                           f"'{where}.ensemble_axes_metadata'")
    if not isinstance(metadata, dict):
        raise AbtemFileError(path, f"'{where}.metadata' must be a JSON object, not {type(metadata).__name__}")
    args["metadata"] = {k: v for k, v in metadata.items() if k not in _RESERVED}
    if isinstance(args.get("sampling"), list):
        args["sampling"] = tuple(args["sampling"])
    if "fftshift" in args and not isinstance(args["fftshift"], bool):
        raise AbtemFileError(path, f"'{where}.fftshift' must be true or false, not {args['fftshift']!r}")
    return _construct(lambda: cls(array, **args), path, where)


def _construct(build: Callable[[], ArrayObject], path: str, where: str) -> ArrayObject:
    try:
        return build()
    except (ValueError, TypeError, RuntimeError, IndexError, KeyError) as exc:
        raise AbtemFileError(path, f"'{where}' does not fit the stored array ({exc})") from exc


def _check_object(obj: ArrayObject, path: str, i: int) -> None:
    sampling = np.atleast_1d(np.asarray(getattr(obj, "sampling", 1.0), dtype=float))
    if not np.all(np.isfinite(sampling)):
        raise AbtemFileError(path, f"object {i} has a non-finite sampling {tuple(sampling)}")


# ------------------------------------------------------------------------------ arrays
def _lazy_array(group: Any, i: int, path: str, base_dims: int, chunks: Any) -> Any:
    """``array{i}`` as a dask array whose chunk reads raise :class:`AbtemFileError`."""
    import dask.array as da
    from dask.base import tokenize

    name = f"array{i}"
    try:
        array = group[name]
    except KeyError as exc:
        raise AbtemFileError(path, f"the array {name!r} is missing") from exc
    except Exception as exc:  # noqa: BLE001 - zarr's parse errors of a hostile document
        raise AbtemFileError(path, f"the array {name!r} cannot be opened ({type(exc).__name__}: {exc})") from exc
    if not hasattr(array, "shape") or not hasattr(array, "dtype") or not hasattr(array, "metadata"):
        raise AbtemFileError(path, f"{name!r} is a group, not an array")
    _check_array(array, name, path)
    guarded = _GuardedArray(array, path, name)
    dask_chunks = _dask_chunks(array, base_dims, chunks)
    token = tokenize(path, name, json.dumps(array.metadata.to_dict(), default=str, sort_keys=True))
    meta = np.empty((0,) * len(array.shape), dtype=guarded.dtype)
    return da.from_array(guarded, chunks=dask_chunks, name=f"abtem-zarr-{name}-{token}", meta=meta, asarray=False)


class _GuardedArray:
    """Array-like view of a zarr array for dask: read errors become :class:`AbtemFileError`."""

    def __init__(self, array: Any, path: str, name: str):
        self._array = array
        self._path = path
        self._name = name
        self.shape = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        try:
            block = np.asarray(self._array[key])
        except Exception as exc:  # noqa: BLE001 - undecodable chunk data
            raise AbtemFileError(self._path, f"cannot decode {self._name!r} ({type(exc).__name__}: {exc})") from exc
        if block.dtype != self.dtype:
            raise AbtemFileError(self._path, f"{self._name!r} decoded to {block.dtype}, declared {self.dtype}")
        return block


def _check_array(array: Any, name: str, path: str) -> None:
    """Refuse unsafe codecs, non-numeric dtypes and absurd declared sizes (metadata only)."""
    meta = array.metadata.to_dict()
    unsafe = sorted(n for n in _codec_names(meta) if n not in SAFE_CODECS)
    if unsafe:
        raise AbtemFileError(path, f"{name!r} uses codecs that are not allowed: {unsafe}")
    dtype = np.dtype(array.dtype)
    if dtype.kind not in "biufc" or dtype.fields is not None:
        raise AbtemFileError(path, f"{name!r} has dtype {dtype}, not numbers")
    shape = tuple(int(n) for n in array.shape)
    nbytes = float(np.prod([float(n) for n in shape])) * dtype.itemsize
    if nbytes > _MAX_ARRAY_BYTES or any(n < 0 or n > _MAX_AXIS_LENGTH for n in shape):
        raise AbtemFileError(path, f"{name!r} declares an absurd size ({nbytes:.3g} bytes, shape {shape})")
    chunks = _stored_chunks(array)
    chunk_bytes = float(np.prod([float(n) for n in chunks])) * dtype.itemsize
    if chunk_bytes > _MAX_CHUNK_BYTES or len(chunks) != len(shape) or any(c < 1 for c in chunks):
        raise AbtemFileError(path, f"{name!r} declares absurd chunks {chunks} ({chunk_bytes:.3g} bytes each)")
    if any(-(-n // c) > _MAX_CHUNKS_PER_AXIS for n, c in zip(shape, chunks)):
        raise AbtemFileError(path, f"{name!r} is split into absurdly many chunks {chunks} (shape {shape})")


def _codec_names(meta: dict) -> Iterator[str]:
    """Every codec, compressor, filter and storage transformer named in a zarr v2/v3 array's metadata."""
    entries = [*(meta.get("codecs") or []), *(meta.get("filters") or []), *(meta.get("storage_transformers") or [])]
    if meta.get("compressor"):
        entries.append(meta["compressor"])
    for entry in entries:
        yield from _codec_entry(entry)


def _codec_entry(entry: Any) -> Iterator[str]:
    if isinstance(entry, str):
        yield entry
    elif isinstance(entry, dict):
        yield str(entry.get("name", entry.get("id")))
        config = entry.get("configuration")
        for key in ("codecs", "index_codecs"):
            for inner in (config.get(key) or []) if isinstance(config, dict) else []:
                yield from _codec_entry(inner)
    else:
        yield type(entry).__name__


def _stored_chunks(array: Any) -> tuple[int, ...]:
    shards = getattr(array, "shards", None)
    return tuple(int(n) for n in (shards or array.chunks))


class ChunksArgumentError(ValueError):
    """The ``chunks`` argument does not fit the stored array (the caller's error, not the file's)."""


def _dask_chunks(array: Any, base_dims: int, chunks: Any) -> Any:
    """Normalise the ``chunks`` argument (raises :class:`ChunksArgumentError` if it does not fit)."""
    import dask.array as da

    shape = tuple(int(n) for n in array.shape)
    if chunks is None:
        chunks = tuple(min(c, max(n, 1)) for c, n in zip(_stored_chunks(array), shape))
    elif isinstance(chunks, str) and chunks == "auto":
        n_base = min(base_dims, len(shape))
        chunks = ("auto",) * (len(shape) - n_base) + (-1,) * n_base
    try:
        return da.core.normalize_chunks(chunks, shape, dtype=np.dtype(array.dtype))
    except (ValueError, TypeError) as exc:
        raise ChunksArgumentError(f"chunks={chunks!r} do not fit the stored shape {shape}: {exc}") from exc


# ------------------------------------------------------------------------------ the cheap check
def is_abtem_store(path: Any, storage_options: dict | None = None) -> bool:
    """Does ``path`` hold abTEM measurements? Reads the root metadata only; never raises.

    True for canonical, legacy and beta stores naming a readable class, and for ``.zip`` files of
    the broken abTEM <= 1.0.9 kind (so that opening them explains the problem); False for anything
    else (other zarr stores, other zips, missing paths, non-paths).
    """
    try:
        text = _path_text(path)
        attrs, has_array0 = _peek(text, storage_options)
    except Exception:  # noqa: BLE001 - a check, never an error
        return False
    try:
        return _looks_like_abtem(attrs) or (not attrs and has_array0 and _is_zip(text))
    except Exception:  # noqa: BLE001
        return False


def _looks_like_abtem(attrs: Any) -> bool:
    if not isinstance(attrs, dict):
        return False
    meta = attrs.get("metadata0")
    if isinstance(meta, str):
        meta = json.loads(meta)
    if isinstance(meta, dict):
        return meta.get("type") in MEASUREMENT_TYPES
    return attrs.get("type0") in MEASUREMENT_TYPES and isinstance(attrs.get("kwargs0"), dict)


def _peek(path: str, storage_options: dict | None) -> tuple[dict | None, bool]:
    """(root attributes or None, whether an ``array0`` member exists) from the metadata files."""
    if _is_url(path):
        return _peek_url(path, storage_options or {})
    if _is_zip(path):
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())  # read() below returns the LAST member of a duplicated name
            has_array0 = bool({"array0/zarr.json", "array0/.zarray"} & names)
            return _attributes_from(lambda n: _limited(zf.read, zf.getinfo(n).file_size, n), names), has_array0
    root = Path(path)
    names = {n for n in ("zarr.json", ".zattrs") if (root / n).is_file()}
    has_array0 = (root / "array0" / "zarr.json").is_file() or (root / "array0" / ".zarray").is_file()
    return _attributes_from(lambda n: _limited(lambda m: (root / m).read_bytes(), (root / n).stat().st_size, n),
                            names), has_array0


def _peek_url(url: str, storage_options: dict) -> tuple[dict | None, bool]:
    import fsspec

    base = f"zip::{url}" if _is_zip(url) and not url.startswith("zip::") else url
    mapper = fsspec.get_mapper(base, **storage_options)
    names = {n for n in ("zarr.json", ".zattrs") if n in mapper}
    has_array0 = "array0/zarr.json" in mapper or "array0/.zarray" in mapper
    return _attributes_from(lambda n: mapper[n][: _MAX_METADATA_BYTES + 1], names), has_array0


def _limited(read: Callable[[str], bytes], size: int, name: str) -> bytes:
    if size > _MAX_METADATA_BYTES:
        raise ValueError(f"{name} is too large to be metadata")
    return read(name)


def _attributes_from(read: Callable[[str], bytes], names: set[str]) -> dict | None:
    if "zarr.json" in names:
        doc = json.loads(read("zarr.json"))
        return doc.get("attributes", {}) if isinstance(doc, dict) else None
    if ".zattrs" in names:
        return json.loads(read(".zattrs"))
    return None


# ------------------------------------------------------------------------------ writing
def write_zarr(
    obj: ArrayObject | Sequence[ArrayObject],
    url: Any,
    compute: bool = True,
    overwrite: bool = False,
    progress_bar: bool | None = None,
    compression_level: int | None = 4,
    compression: str = "zstd",
    storage_options: dict | None = None,
    **kwargs: Any,
) -> Any:
    """Write one object (or a list of them) in abTEM 1.0.11's canonical layout.

    Parameters
    ----------
    obj
        A measurement (Images, DiffractionPatterns, line profiles, MeasurementsEnsemble) or a
        list of them (stored as ``metadata0``/``array0``, ``metadata1``/``array1``, ...).
    url
        Directory store path, ``.zip`` file path (any letter case), or fsspec URL (uploaded after
        a local write).
    compute
        ``False`` returns a ``dask.delayed`` object that performs the write.
    overwrite
        ``False`` (default) refuses an existing path with ``FileExistsError``.
    progress_bar
        Show dask's progress bar while the chunks are written.
    compression_level
        0-9 (Blosc level, both for directories and zips) or ``None`` for no compression.
    compression
        Blosc compressor: one of :data:`BLOSC_COMPRESSORS` (bit-shuffled, as abTEM's zips).
    storage_options
        fsspec options for URLs.
    **kwargs
        Passed to ``dask.array.store`` / the dask scheduler (e.g. ``scheduler="threads"``).

    Returns
    -------
    The url as a string (or a delayed object with ``compute=False``).
    """
    objects = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    _check_writable(objects)
    codecs = _codecs(compression_level, compression)
    path = _path_text(url)
    if not overwrite and _exists(path, storage_options):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if not compute:
        import dask

        return dask.delayed(write_zarr, pure=False)(
            objects, path, True, overwrite, progress_bar, compression_level, compression, storage_options, **kwargs
        )
    with _progress(progress_bar):
        if _is_url(path):
            _write_remote(objects, path, codecs, kwargs, storage_options or {})
        else:
            _write_local(objects, path, codecs, kwargs)
    return path


def _check_writable(objects: list) -> None:
    for o in objects:
        if MEASUREMENT_TYPES.get(type(o).__name__) is not type(o):
            raise TypeError(f"to_zarr writes {', '.join(MEASUREMENT_TYPES)}; got {type(o).__name__}")
    if not objects:
        raise ValueError("nothing to write: the list of objects is empty")


def _codecs(level: Any, compression: Any) -> Callable[[np.dtype], Any]:
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level <= 9):
        raise ValueError(f"compression_level must be an integer between 0 and 9, or None; got {level!r}")
    if compression not in BLOSC_COMPRESSORS:
        raise ValueError(f"compression must be one of {BLOSC_COMPRESSORS}, got {compression!r}")
    if level is None:
        return lambda dtype: None

    def codecs_for(dtype: np.dtype) -> Any:
        from zarr.codecs import BloscCodec

        return [BloscCodec(cname=compression, clevel=int(level), shuffle="bitshuffle", typesize=dtype.itemsize)]

    return codecs_for


def _exists(path: str, storage_options: dict | None) -> bool:
    if not _is_url(path):
        return os.path.lexists(path)
    import fsspec

    fs, target = fsspec.core.url_to_fs(path, **(storage_options or {}))
    return fs.exists(target)


@contextlib.contextmanager
def _progress(progress_bar: Any) -> Iterator[None]:
    if not progress_bar:
        yield
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        yield


def _object_attributes(obj: ArrayObject) -> dict:
    """The canonical ``metadata{i}`` attribute (spec §5.2 key order), encoded."""
    metadata = {k: v for k, v in obj.metadata.items() if k not in _RESERVED}
    kwargs = dict(obj._init_kwargs())
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
    """Regular chunks: lazy -> the largest dask chunk per ensemble axis, base axes whole; eager ->
    the whole array; then abTEM's rule: halve the largest ensemble chunk (then any) while > 512 MiB."""
    shape = [int(n) for n in obj.shape]
    chunk = list(shape)
    if obj.is_lazy:
        chunk = [max(c) if i < obj.ensemble_dims else shape[i] for i, c in enumerate(obj.array.chunks)]
    chunk = [max(c, 1) for c in chunk]
    itemsize = np.dtype(obj.dtype).itemsize
    while int(np.prod(chunk)) * itemsize > _WRITE_CHUNK_BYTES:
        ensemble = [i for i in range(obj.ensemble_dims) if chunk[i] > 1]
        axis = max(ensemble, key=lambda i: chunk[i]) if ensemble else int(np.argmax(chunk))
        chunk[axis] = max(chunk[axis] // 2, 1)
    return tuple(chunk)


def _write_directory(objects: Sequence[ArrayObject], target: str, codecs_for: Callable, store_kwargs: dict) -> None:
    """A zarr v3 directory store; lazy arrays are streamed chunk by chunk, host-side."""
    import dask.array as da
    import zarr

    attrs = {f"metadata{i}": _object_attributes(obj) for i, obj in enumerate(objects)}
    group = zarr.create_group(zarr.storage.LocalStore(target), attributes=attrs, zarr_format=3)
    for i, obj in enumerate(objects):
        chunks = _chunk_shape(obj)
        zarray = group.create_array(
            f"array{i}", shape=obj.shape, dtype=obj.dtype, chunks=chunks, compressors=codecs_for(obj.dtype),
            fill_value=0,
        )
        array = _backend.to_host(obj.array)  # the host boundary (lazy: per block)
        if _backend.is_lazy(array):
            da.store(array.rechunk(chunks), zarray, lock=False, **store_kwargs)
        else:
            zarray[...] = np.asarray(array)


def _zip_directory(directory: str, target: str) -> None:
    """Pack a directory store into one zip (members uncompressed, as zarr's ZipStore writes)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, directory).replace(os.sep, "/"))


def _write_store(objects: Sequence[ArrayObject], target: str, zip_file: bool, codecs_for: Callable,
                 store_kwargs: dict) -> None:
    """Write ``target`` (a directory; for zips a staged directory then packed, because zarr's
    ZipStore cannot be written from dask's threads)."""
    if not zip_file:
        _write_directory(objects, target, codecs_for, store_kwargs)
        return
    staging = f"{target}.d"
    try:
        _write_directory(objects, staging, codecs_for, store_kwargs)
        _zip_directory(staging, target)
    finally:
        _remove(staging)


def _write_local(objects: Sequence[ArrayObject], path: str, codecs_for: Callable, store_kwargs: dict) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    temp = os.path.join(parent, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        _write_store(objects, temp, _is_zip(path), codecs_for, store_kwargs)
        _replace(temp, path)
    except BaseException:
        _remove(temp)
        raise


def _write_remote(objects: Sequence[ArrayObject], url: str, codecs_for: Callable, store_kwargs: dict,
                  storage_options: dict) -> None:
    """Write locally, then upload (a failure before the upload leaves the remote untouched)."""
    import fsspec

    fs, target = fsspec.core.url_to_fs(url, **storage_options)
    with tempfile.TemporaryDirectory(prefix="napari-temimages-") as tmp:
        local = os.path.join(tmp, "store.zip" if _is_zip(url) else "store.zarr")
        _write_store(objects, local, _is_zip(url), codecs_for, store_kwargs)
        if fs.exists(target):
            fs.rm(target, recursive=True)
        if os.path.isfile(local):
            fs.put_file(local, target)
            return
        for root, _, files in os.walk(local):
            for name in files:
                full = os.path.join(root, name)
                fs.put_file(full, f"{target}/{os.path.relpath(full, local).replace(os.sep, '/')}")


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _replace(temp: str, path: str) -> None:
    """Move ``temp`` to ``path``. A file replaces a file atomically; otherwise the old ``path`` is
    moved aside first and removed only after the new one is in place (restored on failure)."""
    if not os.path.lexists(path) or (os.path.isfile(temp) and os.path.isfile(path)):
        os.replace(temp, path)
        return
    backup = os.path.join(os.path.dirname(temp), f".{os.path.basename(path)}.old-{uuid.uuid4().hex[:8]}")
    os.replace(path, backup)
    try:
        os.replace(temp, path)
    except BaseException:
        os.replace(backup, path)
        raise
    _remove(backup)
