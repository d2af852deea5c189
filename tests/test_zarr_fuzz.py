"""Bad and hostile stores: every outcome is a correct object or an AbtemFileError naming the file.

The fuzz mutates the fixtures' metadata thousands of ways (root attributes of canonical, legacy and
beta stores; array metadata; raw bytes of the JSON documents; zip containers). A "correct object"
is a registered measurement class, lazy, with one axis description per dimension and a finite
sampling, whose data compute (or fail with AbtemFileError) - and, when only the root attributes
were touched, equal the stored array bitwise.
"""

from __future__ import annotations

import copy
import json
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from napari_temimages import from_zarr
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.zarr_format import MEASUREMENT_TYPES, is_abtem_store

from .test_files_support import CANONICAL_DIRS, FIXTURES, LEGACY_DIRS, copy_fixture, edit_json, golden_array

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # zarr warns about odd documents

JUNK: list[Any] = [
    None, 0, -1, 1.5, 1e308, -1e308, 2**64, True, "", "x", "Images", "RealSpaceAxis", "os.system", "__import__",
    [], {}, [1, "a"], [None], {"a": 1}, {"_type": "tuple", "_value": 3}, {"_type": "tuple", "_value": [[], {}]},
    {"type": "ParameterAxis", "values": [1, 2]}, {"_type": "tuple"}, [[[[[[[[1]]]]]]]], list(range(1000)),
    "\u00c5\u212b", {"axis_0": None}, {"type": "Images", "axes": {}},
]


class Outcomes(dict):
    def add(self, key: str) -> None:
        self[key] = self.get(key, 0) + 1


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _mutate(doc: Any, rng: np.random.Generator) -> Any:
    """One random structural mutation of a JSON tree (returns the new tree)."""
    doc = copy.deepcopy(doc)
    paths = _paths(doc)
    if not paths:
        return JUNK[rng.integers(len(JUNK))]
    target = paths[rng.integers(len(paths))]
    parent = doc
    for key in target[:-1]:
        parent = parent[key]
    key = target[-1]
    action = rng.integers(6)
    if action == 0:  # replace with junk
        parent[key] = copy.deepcopy(JUNK[rng.integers(len(JUNK))])
    elif action == 1:  # delete
        del parent[key]
    elif action == 2 and isinstance(parent[key], dict):  # add a stray key
        parent[key][str(rng.choice(["type", "_type", "values", "sampling", "junk", "axes", "kwargs"]))] = \
            copy.deepcopy(JUNK[rng.integers(len(JUNK))])
    elif action == 3 and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):  # numbers
        parent[key] = [0, -parent[key], parent[key] * 1e6, float("nan"), str(parent[key])][rng.integers(5)]
    elif action == 4 and isinstance(parent[key], list) and parent[key]:  # shorten / lengthen lists
        parent[key] = parent[key][:-1] if rng.integers(2) else parent[key] + parent[key][-1:]
    elif action == 5 and isinstance(parent[key], str):  # change strings
        parent[key] = [parent[key] + "x", parent[key].upper(), "", "Images"][rng.integers(4)]
    else:
        parent[key] = copy.deepcopy(JUNK[rng.integers(len(JUNK))])
    return doc


def _check(path: Path, expected: np.ndarray | None, outcomes: Outcomes) -> None:
    """Read ``path``; accept AbtemFileError (naming the file) or a correct object."""
    try:
        result = from_zarr(path)
    except AbtemFileError as exc:
        assert str(path) in str(exc) and exc.problem
        outcomes.add("error")
        return
    objects = result if isinstance(result, list) else [result]
    for obj in objects:
        assert type(obj) in MEASUREMENT_TYPES.values()
        assert obj.is_lazy and len(obj.axes_metadata) == obj.ndim
        assert np.all(np.isfinite(np.atleast_1d(getattr(obj, "sampling", 1.0))))
        if obj.array.nbytes > 2**24:
            outcomes.add("object (not computed)")
            continue
        try:
            eager = obj.compute()
        except AbtemFileError as exc:
            assert str(path) in str(exc)
            outcomes.add("error at compute")
            continue
        assert eager.shape == obj.shape and eager.dtype == obj.dtype
        if expected is not None:
            assert eager.array.tobytes() == expected.tobytes()
    outcomes.add("object")


def _root_fuzz(tmp_path: Path, name: str, count: int, seed: int) -> Outcomes:
    path = copy_fixture(tmp_path, name)
    document = path / ("zarr.json" if (path / "zarr.json").is_file() else ".zattrs")
    base = json.loads(document.read_text())
    attributes_key = "attributes" if document.name == "zarr.json" else None
    expected = golden_array(name)
    rng = np.random.default_rng(seed)
    outcomes = Outcomes()
    for _ in range(count):
        doc = copy.deepcopy(base)
        for _ in range(rng.integers(1, 4)):
            if attributes_key:
                doc[attributes_key] = _mutate(doc[attributes_key], rng)
            else:
                doc = _mutate(doc, rng)
        document.write_text(json.dumps(doc))
        _check(path, expected, outcomes)
    return outcomes


@pytest.mark.parametrize("name", CANONICAL_DIRS + LEGACY_DIRS)
def test_fuzz_root_attributes(tmp_path, name) -> None:
    outcomes = _root_fuzz(tmp_path, name, 300, seed=len(name))
    assert outcomes.get("object", 0) > 15 and outcomes.get("error", 0) > 15, outcomes


def test_fuzz_beta_layout_string(tmp_path) -> None:
    """Mutations of a beta store's JSON-string metadata, as structure and as text."""
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    base = json.loads((path / "zarr.json").read_text())
    meta = base["attributes"]["metadata0"]
    meta.pop("kwargs")
    rng = np.random.default_rng(1)
    outcomes = Outcomes()
    for i in range(300):
        doc = copy.deepcopy(base)
        text = json.dumps(_mutate(meta, rng))
        if i % 2:
            cut = rng.integers(len(text))
            text = text[:cut] + ["", "}", "\\", "\"", "{"][rng.integers(5)] + text[cut + 1:]
        doc["attributes"]["metadata0"] = text
        (path / "zarr.json").write_text(json.dumps(doc))
        _check(path, golden_array("hrtem_sto_defocus"), outcomes)
    assert outcomes.get("object", 0) > 20 and outcomes.get("error", 0) > 20, outcomes


@pytest.mark.parametrize("name", ["stem_adf_sto_fp_defocus.zarr", "legacy_com_sto.zarr"])
def test_fuzz_array_metadata(tmp_path, name) -> None:
    """Shape, chunks, dtype, codecs, fill value ... of ``array0``: errors come at read or compute."""
    path = copy_fixture(tmp_path, name)
    document = path / "array0" / ("zarr.json" if (path / "array0" / "zarr.json").is_file() else ".zarray")
    base = json.loads(document.read_text())
    rng = np.random.default_rng(2)
    outcomes = Outcomes()
    for _ in range(400):
        document.write_text(json.dumps(_mutate(base, rng)))
        _check(path, None, outcomes)
    assert outcomes.get("error", 0) + outcomes.get("error at compute", 0) > 100, outcomes


@pytest.mark.parametrize("document", ["zarr.json", "array0/zarr.json"])
def test_fuzz_raw_bytes_of_json_documents(tmp_path, document) -> None:
    path = copy_fixture(tmp_path, "com_sto.zarr")
    original = (path / document).read_bytes()
    rng = np.random.default_rng(3)
    outcomes = Outcomes()
    for _ in range(200):
        data = bytearray(original)
        if rng.integers(2):
            data = data[: rng.integers(len(data))]
        else:
            for _ in range(rng.integers(1, 4)):
                data[rng.integers(len(data))] = int(rng.integers(256))
        (path / document).write_bytes(bytes(data))
        _check(path, None, outcomes)
    assert outcomes.get("error", 0) > 50, outcomes


def test_fuzz_zip_containers(tmp_path) -> None:
    """Truncated zips and zips with flipped bytes (members are stored uncompressed, CRC-checked)."""
    original = (FIXTURES / "stem_adf_sto_fp_defocus.zip").read_bytes()
    rng = np.random.default_rng(4)
    outcomes = Outcomes()
    path = tmp_path / "fuzz.zip"
    for i in range(300):
        data = bytearray(original)
        if i % 3 == 0:
            data = data[: rng.integers(len(data))]
        else:
            for _ in range(rng.integers(1, 3)):
                data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(data))
        is_abtem_store(path)  # never raises
        _check(path, None, outcomes)
    assert outcomes.get("error", 0) > 150, outcomes


# ------------------------------------------------------------------------------ named bad files
@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda a: a.clear(), "no attributes"),
        (lambda a: a.update(metadata0={"type": "os.system", "axes": {}}), "unsupported measurement type 'os.system'"),
        (lambda a: a["metadata0"].update(type="Waves"), "unsupported measurement type 'Waves'"),
        (lambda a: a.update(metadata0=[1, 2]), "must be a JSON object"),
        (lambda a: a.update(metadata0="{not json"), "not valid JSON"),
        (lambda a: a.update(other=1) or a.pop("metadata0"), "recognizable abTEM metadata"),
        (lambda a: a["metadata0"].pop("kwargs") and a["metadata0"]["axes"]["axis_1"].update(sampling="big"),
         "invalid axis metadata"),
        (lambda a: a["metadata0"].pop("kwargs") and a["metadata0"]["axes"].pop("axis_2"), "describes 2"),
        (lambda a: a["metadata0"].pop("kwargs") and a["metadata0"]["axes"]["axis_0"]["values"].update(_value=[1.0]),
         "does not fit"),
        (lambda a: a["metadata0"]["axes"]["axis_2"].update(sampling=-0.5)
         or a["metadata0"]["kwargs"].update(sampling=None), "does not fit"),
    ],
)
def test_bad_root_metadata_is_named(tmp_path, edit, problem) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    edit_json(path / "zarr.json", lambda doc: edit(doc["attributes"]))
    with pytest.raises(AbtemFileError, match=problem) as info:
        from_zarr(path)
    assert isinstance(info.value, ValueError) and info.value.path == str(path)


def _edit_array(path: Path, **changes: Any) -> None:
    edit_json(path / "array0" / "zarr.json", lambda doc: doc.update(changes))


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"shape": [4, 10**9, 10**9]}, "absurd size"),
        ({"shape": [2**40, 118, 118]}, "absurd size"),
        ({"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 10**6, 10**6]}}}, "absurd chunks"),
        ({"shape": [4, 118], "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 118]}}},
         "describes 3"),
        ({"shape": [4, 118]}, "cannot be opened"),
        ({"data_type": {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}},
          "fill_value": 0}, "not numbers"),
        ({"data_type": "string", "codecs": [{"name": "vlen-utf8"}]}, "'vlen-utf8'"),
        ({"codecs": [{"name": "bytes"}, {"name": "numcodecs.pickle", "configuration": {}}]}, "array0"),
    ],
)
def test_bad_array_metadata_is_named(tmp_path, changes, problem) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    edit_json(path / "zarr.json", lambda doc: doc["attributes"]["metadata0"].pop("kwargs"))
    _edit_array(path, **changes)
    with pytest.raises(AbtemFileError, match=problem):
        from_zarr(path)


def test_shape_contradicting_both_axes_and_kwargs(tmp_path) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    _edit_array(path, shape=[3, 118, 118])  # the C10 axis has 4 values
    with pytest.raises(AbtemFileError, match="4 values but the array axis has length 3"):
        from_zarr(path)


def test_missing_array_and_missing_store(tmp_path) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    shutil.rmtree(path / "array0")
    with pytest.raises(AbtemFileError, match="'array0' is missing"):
        from_zarr(path)
    with pytest.raises(AbtemFileError, match="no such file"):
        from_zarr(tmp_path / "nothing.zarr")
    (tmp_path / "file.zarr").write_text("x")
    with pytest.raises(AbtemFileError, match="not a zarr store"):
        from_zarr(tmp_path / "file.zarr")
    with pytest.raises(AbtemFileError, match="not a path"):
        from_zarr(None)


def test_truncated_and_corrupt_zips(tmp_path) -> None:
    data = (FIXTURES / "hrtem_sto_defocus.zip").read_bytes()
    (tmp_path / "truncated.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(AbtemFileError, match="not a valid zip"):
        from_zarr(tmp_path / "truncated.zip")
    corrupt = bytearray(data)
    with zipfile.ZipFile(FIXTURES / "hrtem_sto_defocus.zip") as zf:
        chunk = next(i for i in zf.infolist() if i.filename.startswith("array0/c/"))
    corrupt[chunk.header_offset + 30 + len(chunk.filename) + 10] ^= 0xFF  # inside the chunk's data
    (tmp_path / "corrupt.zip").write_bytes(bytes(corrupt))
    lazy = from_zarr(tmp_path / "corrupt.zip")  # opening reads the metadata only ...
    with pytest.raises(AbtemFileError, match="CRC"):  # ... the damaged chunk is found when read
        lazy.compute()


def test_foreign_zarr_stores(tmp_path) -> None:
    zarr.create_array(str(tmp_path / "array.zarr"), shape=(3, 3), dtype="f4")
    zarr.create_group(str(tmp_path / "ome.zarr"), attributes={"multiscales": []})
    for name in ("array.zarr", "ome.zarr"):
        with pytest.raises(AbtemFileError):
            from_zarr(tmp_path / name)
    bare = zarr.create_group(str(tmp_path / "bare.zarr"))
    bare.create_array("array0", shape=(2, 2), dtype="f4")
    with pytest.raises(AbtemFileError, match="'array0' has no abTEM metadata"):
        from_zarr(tmp_path / "bare.zarr")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_broken_legacy_zip_without_attributes(tmp_path, zarr_format) -> None:
    """abTEM <= 1.0.9 zips lost their attributes (dask re-opened the zip for the array)."""
    path = tmp_path / "legacy.zip"
    store = zarr.storage.ZipStore(str(path), mode="w")
    group = zarr.create_group(store, zarr_format=zarr_format)
    group.create_array("array0", shape=(3, 4, 4), dtype="f4")[...] = 1
    store.close()
    assert is_abtem_store(path)  # claimed, so that opening it explains the problem
    with pytest.raises(AbtemFileError, match="abTEM <= 1.0.9.*lost the metadata.*array0") as info:
        from_zarr(path)
    assert str(path) in str(info.value)


def test_pickle_codec_never_runs(tmp_path) -> None:
    """A zarr v2 store whose compressor is pickle (code execution on decode) is refused."""
    path = copy_fixture(tmp_path, "legacy_com_sto.zarr")
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    edit_json(path / "array0" / ".zarray", lambda d: d.update(compressor={"id": "pickle"}, dtype="|O"))
    for chunk in (path / "array0").glob("0*"):
        chunk.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(AbtemFileError, match="array0"):
        from_zarr(path).compute()
    edit_json(path / "array0" / ".zarray", lambda d: d.update(compressor={"id": "pickle"}, dtype="<c16"))
    with pytest.raises(AbtemFileError, match="array0"):
        from_zarr(path).compute()
    assert not marker.exists()
