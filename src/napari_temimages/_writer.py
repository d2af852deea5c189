"""napari writers: one image layer -> abTEM zarr (directory or ``.zip``) or TIFF.

napari calls the single-layer form ``writer(path, data, attributes) -> [path]``. The layer is
converted back with :func:`napari_temimages.layer_data.from_layer`, so saving a layer that was
opened from a file reproduces that file (arrays bitwise equal, metadata equal); layers showing
amplitude, phase or a log display save their complex/linear source object.

napari's Save dialog asks before replacing an existing file, so the writers overwrite (a failed
write leaves the previous file in place).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["write_zarr_layer", "write_tiff_layer"]


def _object(data: Any, attributes: dict) -> Any:
    from .layer_data import from_layer

    return from_layer((data, attributes, "image"))


def write_zarr_layer(path: str, data: Any, attributes: dict) -> list[str]:
    """Write one image layer as an abTEM zarr store (``.zarr`` directory or ``.zip`` file)."""
    path = os.fspath(path)
    _object(data, attributes).to_zarr(path, overwrite=True)
    return [path]


def write_tiff_layer(path: str, data: Any, attributes: dict) -> list[str]:
    """Write one image layer as a TIFF with the pixel size in Å (see ``tiff_format``)."""
    path = os.fspath(path)
    obj = _object(data, attributes)
    # write next to the target, then replace it: an existing file survives a failed write
    root, ext = os.path.splitext(path)
    partial = f"{root}.partial-{os.getpid()}{ext}"
    try:
        obj.to_tiff(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return [path]
