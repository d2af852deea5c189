"""napari reader: abTEM zarr stores (directories and ``.zip``) and napari-temimages TIFFs.

``get_reader(path)`` is cheap (metadata only, no array read), returns ``None`` for anything that
is not ours (so other plugins keep their files) and never raises. The reader function it returns
opens the file lazily and converts every object through :func:`napari_temimages.layer_data.to_layer_data`.
A file that turns out to be broken gives a napari notification with the reader's message and
adds no layer (the reader returns napari's "claimed, nothing to add" sentinel ``[(None,)]``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["get_reader", "read_paths", "is_ours", "TIFF_SUFFIXES"]

logger = logging.getLogger(__name__)

TIFF_SUFFIXES = (".tif", ".tiff")

PathOrPaths = str | os.PathLike | Sequence[str | os.PathLike]


def _as_paths(path: PathOrPaths) -> list[str]:
    if isinstance(path, (str, os.PathLike)):
        return [os.fspath(path)]
    return [os.fspath(p) for p in path]


def _clean(path: str) -> str:
    return path.rstrip("/\\") or path


def _is_tiff(path: str) -> bool:
    return _clean(path).lower().endswith(TIFF_SUFFIXES)


def is_ours(path: str | os.PathLike) -> bool:
    """Metadata-only check: is ``path`` an abTEM zarr store or one of our TIFFs? Never raises."""
    try:
        path = _clean(os.fspath(path))
        if _is_tiff(path):
            return _is_our_tiff(path)
        from ._core.zarr_format import is_abtem_store

        return bool(is_abtem_store(path))
    except Exception:
        return False


_ANGSTROM = {"Å", "\u00c5", "\\u00c5", "angstrom", "Angstrom", "ångström"}


def _is_our_tiff(path: str) -> bool:
    """A TIFF written by napari-temimages or abTEM, or calibrated in Å (header and first IFD only).

    Ours: ``tiff_format``'s private JSON tag; an ``ImageDescription`` holding abTEM's JSON
    (``"type"`` Images/DiffractionPatterns and ``"axes"``) or ``{"unit": "Å", ...}``; or ImageJ
    metadata with the unit Å. ``tiff_format.is_abtem_tiff`` is used instead when it exists.
    """
    from ._core import tiff_format

    check = getattr(tiff_format, "is_abtem_tiff", None)
    if check is not None:
        return bool(check(path))
    import json

    import tifffile

    if not os.path.isfile(path):
        return False
    angstrom = {u.lower() for u in _ANGSTROM}
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        json_tag = getattr(tiff_format, "JSON_TAG", None)
        if json_tag is not None and page.tags.get(json_tag) is not None:
            return True
        descriptions = [t.value for t in page.tags.values() if t.name == "ImageDescription"]
        for text in descriptions:
            if not isinstance(text, str) or not text.lstrip().startswith("{"):
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if data.get("type") in ("Images", "DiffractionPatterns") and "axes" in data:
                return True
            if str(data.get("unit", "")).strip().lower() in angstrom:
                return True
        imagej = tif.imagej_metadata or {}
        return str(imagej.get("unit", "")).strip().lower() in angstrom


def get_reader(path: PathOrPaths) -> Callable[[PathOrPaths], list] | None:
    """The reader function for ``path`` (a path or a list of paths) if all are ours, else None."""
    try:
        paths = _as_paths(path)
        if not paths or not all(is_ours(p) for p in paths):
            return None
        return read_paths
    except Exception:
        return None


def _read_objects(path: str) -> list:
    if _is_tiff(path):
        from ._core.tiff_format import read_tiff

        result = read_tiff(path)
    else:
        from ._core.zarr_format import read_zarr

        result = read_zarr(path, chunks=None)  # the chunks on disk: a slider step reads one chunk
    return list(result) if isinstance(result, (list, tuple)) else [result]


def layer_data_for_path(path: str) -> list:
    """Layer data for every displayable object in one file (raises on a bad file)."""
    from .layer_data import to_layer_data
    from ._core.diffraction import DiffractionPatterns
    from ._core.images import Images

    stem = Path(_clean(path)).name
    for suffix in (".zarr", ".zip", ".tiff", ".tif"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    objects = _read_objects(path)
    shown = [o for o in objects if isinstance(o, (Images, DiffractionPatterns))]
    skipped = [type(o).__name__ for o in objects if not isinstance(o, (Images, DiffractionPatterns))]
    if skipped:
        _notify("warning", f"{Path(path).name}: skipped {', '.join(skipped)} (only 2D images are shown)")
    if not shown:
        raise ValueError(f"{path}: holds no Images or DiffractionPatterns ({', '.join(skipped) or 'nothing'})")
    out = []
    for i, obj in enumerate(shown):
        name = stem if len(shown) == 1 else f"{stem} [{i}]"
        out.extend(to_layer_data(obj, name=name))
    return out


def read_paths(path: PathOrPaths) -> list:
    """Reader function: layer data for each path; a broken file notifies and adds nothing."""
    from ._viewer import prepare_current_viewer

    layers: list = []
    for p in _as_paths(path):
        try:
            layers.extend(layer_data_for_path(p))
        except Exception as exc:  # the reader's message goes to the user, not a traceback
            message = f"napari-temimages could not open {Path(_clean(p)).name}: {exc}"
            logger.warning(message)
            _notify("error", message)
    if not layers:
        return [(None,)]
    prepare_current_viewer()
    return layers


def _notify(level: str, message: str) -> None:
    try:
        from napari.utils import notifications

        getattr(notifications, f"show_{level}")(message)
    except Exception:  # no napari: the log line is all we can do
        logger.warning(message)
