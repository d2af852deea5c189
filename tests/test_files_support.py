"""Shared helpers of the file tests (zarr, TIFF, exports): fixture paths, copies, comparisons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np

from napari_temimages._core.axes import axis_to_dict

DATA = Path(__file__).parent / "data" / "abtem"
FIXTURES = DATA / "fixtures"
GOLDENS = DATA / "goldens"
STORES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".zarr", ".zip"))
CANONICAL_DIRS = sorted(n for n in STORES if n.endswith(".zarr") and not n.startswith("legacy_"))
LEGACY_DIRS = sorted(n for n in STORES if n.startswith("legacy_"))
TIFF_GOLDENS = sorted(p.name.split("__")[0] for p in GOLDENS.glob("*__to_tiff.tif"))


def stem(name: str) -> str:
    """Fixture name without the store suffix."""
    return name.rsplit(".", 1)[0]


def copy_fixture(tmp_path: Path, name: str) -> Path:
    """A writable copy of a fixture store (directory or zip) under ``tmp_path``."""
    target = tmp_path / name
    if (FIXTURES / name).is_dir():
        shutil.copytree(FIXTURES / name, target)
    else:
        shutil.copy(FIXTURES / name, target)
    return target


def edit_json(path: Path, edit: Callable[[dict], Any]) -> None:
    """Load a JSON file, let ``edit`` change the dict in place, write it back."""
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def root_document(store: Path) -> Path:
    """The root metadata file of a directory store (zarr v3 ``zarr.json`` or v2 ``.zattrs``)."""
    return store / "zarr.json" if (store / "zarr.json").is_file() else store / ".zattrs"


def golden_array(name: str) -> np.ndarray:
    return np.load(GOLDENS / f"{stem(name)}__from_zarr__dir.npz")["array"]


def assert_same(ours: Any, expected: Any) -> None:
    """Same class name, shape, dtype, array (bitwise), sampling, axes (as dicts) and metadata."""
    assert type(ours).__name__ == type(expected).__name__
    assert ours.shape == expected.shape and ours.dtype == expected.dtype
    a, b = np.asarray(_eager(ours.array)), np.asarray(_eager(expected.array))
    assert a.tobytes() == b.tobytes(), "arrays differ"
    sampling = getattr(expected, "sampling", None)
    assert np.array_equal(np.atleast_1d(getattr(ours, "sampling", None)), np.atleast_1d(sampling))
    assert axis_dicts(ours) == axis_dicts(expected)
    assert ours.metadata == expected.metadata


def axis_dicts(obj: Any) -> list[dict]:
    """Axis dicts of all axes of an object, ours or abTEM's (``weights: None`` dropped)."""
    out = []
    for axis in obj.axes_metadata:
        try:
            d = axis_to_dict(axis)
        except Exception:  # an abTEM axis
            d = axis.to_dict()
            d["type"] = type(axis).__name__
            if d.get("weights", 0) is None:
                d.pop("weights")
        out.append(d)
    return out


def _eager(array: Any) -> Any:
    return array.compute() if hasattr(array, "compute") else array
