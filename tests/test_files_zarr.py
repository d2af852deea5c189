"""abTEM zarr I/O: every layout reads, our writes are abTEM-readable, streaming, atomic, safe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

from napari_temimages import DiffractionPatterns, FrozenPhononsAxis, Images, ParameterAxis, from_zarr
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.zarr_format import decode, encode, is_abtem_store

from .helpers import make_images

FIXTURES = Path(__file__).parent / "data" / "abtem" / "fixtures"
ALL_STORES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".zarr", ".zip"))


@pytest.mark.parametrize("name", ALL_STORES)
def test_every_fixture_reads_lazily_and_equals_the_golden(name) -> None:
    obj = from_zarr(FIXTURES / name)
    assert obj.is_lazy and obj.array.chunks[-2:] == tuple((n,) for n in obj.base_shape)
    stem = name.rsplit(".", 1)[0]
    golden = np.load(FIXTURES.parent / "goldens" / f"{stem}__from_zarr__dir.npz")["array"]
    np.testing.assert_array_equal(obj.compute().array, golden)
    assert is_abtem_store(FIXTURES / name)


def test_chunks_argument() -> None:
    path = FIXTURES / "hrtem_sto_defocus.zarr"
    assert from_zarr(path, chunks=None).array.chunks[0] == (4,)
    assert from_zarr(path, chunks=(1, -1, -1)).array.chunks[0] == (1, 1, 1, 1)


def test_tagged_tuples_round_trip() -> None:
    value = {"a": (1, (2, 3)), "b": [np.float32(1.5), np.arange(2)], "c": "Å"}
    assert decode(json.loads(json.dumps(encode(value)))) == {"a": (1, (2, 3)), "b": [1.5, [0, 1]], "c": "Å"}


@pytest.mark.parametrize("suffix", [".zarr", ".zip"])
def test_round_trip_ours(tmp_path, suffix) -> None:
    im = make_images()
    im.metadata["start"] = (1.0, 2.0)
    path = tmp_path / f"out{suffix}"
    assert im.to_zarr(path) == str(path)
    back = from_zarr(path)
    assert back.is_lazy
    back = back.compute()
    np.testing.assert_array_equal(back.array, im.array)
    assert back.axes_metadata == im.axes_metadata and back.metadata == im.metadata
    assert isinstance(back.metadata["start"], tuple)


def test_zip_has_a_single_root_document_and_blosc(tmp_path) -> None:
    path = tmp_path / "x.zip"
    make_images().to_zarr(path)
    names = zipfile.ZipFile(path).namelist()
    assert names.count("zarr.json") == 1
    codecs = json.loads(zipfile.ZipFile(path).read("array0/zarr.json"))["codecs"]
    assert codecs[1]["name"] == "blosc" and codecs[1]["configuration"]["clevel"] == 4


def test_compression_level_validated(tmp_path) -> None:
    with pytest.raises(ValueError, match="between 0 and 9"):
        make_images().to_zarr(tmp_path / "x.zip", compression_level=12)
    make_images().to_zarr(tmp_path / "y.zip", compression_level=None)
    assert from_zarr(tmp_path / "y.zip").shape == make_images().shape


def test_several_objects_and_other_types(tmp_path) -> None:
    from napari_temimages._core.zarr_format import write_zarr

    im = make_images((2, 5, 6))
    dp = DiffractionPatterns(np.ones((2, 5, 6), np.float32), 0.5, fftshift=True, metadata={"energy": 1.0})
    write_zarr([im, dp], tmp_path / "two.zarr")
    a, b = from_zarr(tmp_path / "two.zarr")
    assert isinstance(a, Images) and isinstance(b, DiffractionPatterns) and b.fftshift and b.sampling == (0.5, 0.5)


def test_abtem_reads_ours_and_we_read_abtem(tmp_path) -> None:
    abtem = pytest.importorskip("abtem", reason="abtem==1.0.11 (test extra) needed for cross-reading")
    im = make_images()
    for suffix in (".zarr", ".zip"):
        path = tmp_path / f"ours{suffix}"
        im.to_zarr(path)
        theirs = abtem.from_zarr(str(path)).compute()
        np.testing.assert_array_equal(theirs.array, im.array)
        assert theirs.sampling == im.sampling and theirs.metadata == im.metadata
        assert [a.label for a in theirs.ensemble_axes_metadata] == ["Frozen phonons", "C10"]
        assert theirs.ensemble_axes_metadata[1].values == im.ensemble_axes_metadata[1].values
        # abTEM -> ours -> abTEM
        back = tmp_path / f"theirs{suffix}"
        theirs.to_zarr(str(back))
        ours = from_zarr(back).compute()
        again = tmp_path / f"again{suffix}"
        ours.to_zarr(again)
        final = abtem.from_zarr(str(again)).compute()
        np.testing.assert_array_equal(final.array, theirs.array)
        assert final.metadata == theirs.metadata


def test_overwrite_refused_and_allowed(tmp_path) -> None:
    path = tmp_path / "x.zarr"
    make_images().to_zarr(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_images(seed=5).to_zarr(path)
    make_images(seed=5).to_zarr(path, overwrite=True)
    np.testing.assert_array_equal(from_zarr(path).compute().array, make_images(seed=5).array)


@pytest.mark.parametrize("suffix", [".zarr", ".zip"])
def test_failed_write_leaves_previous_file_intact(tmp_path, suffix) -> None:
    path = tmp_path / f"x{suffix}"
    original = make_images()
    original.to_zarr(path)

    def explode(block):
        raise RuntimeError("disk on fire")

    lazy = make_images(seed=3).lazy(chunks=(1, -1, -1, -1))
    broken = Images(lazy.array.map_blocks(explode, dtype=np.float32), lazy.sampling, lazy.ensemble_axes_metadata)
    with pytest.raises(RuntimeError, match="disk on fire"):
        broken.to_zarr(path, overwrite=True)
    np.testing.assert_array_equal(from_zarr(path).compute().array, original.array)
    assert sorted(os.listdir(tmp_path)) == [f"x{suffix}"]


def test_compute_false_returns_delayed(tmp_path) -> None:
    delayed = make_images().lazy().to_zarr(tmp_path / "d.zarr", compute=False)
    assert not (tmp_path / "d.zarr").exists()
    delayed.compute()
    assert from_zarr(tmp_path / "d.zarr").shape == make_images().shape


def test_streaming_write_memory(tmp_path) -> None:
    """A lazy 1 GiB Images is written with peak memory far below its size."""
    code = f"""
import resource, dask.array as da, numpy as np
from napari_temimages import Images
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
arr = da.ones((256, 1024, 1024), dtype=np.float32, chunks=(4, 1024, 1024))
Images(arr, 0.1).to_zarr({str(tmp_path / 'big.zarr')!r})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((peak - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    growth_mb = float(out.stdout.strip().splitlines()[-1])
    assert growth_mb < 300, f"writing 1 GiB grew memory by {growth_mb:.0f} MB"
    assert from_zarr(tmp_path / "big.zarr").shape == (256, 1024, 1024)


# ------------------------------------------------------------------------------ bad files
def _copy_fixture(tmp_path, name="hrtem_sto_defocus.zarr") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _edit_root(path: Path, fn) -> None:
    doc = json.loads((path / "zarr.json").read_text())
    fn(doc["attributes"])
    (path / "zarr.json").write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda a: a.clear(), "no attributes"),
        (lambda a: a.update({"metadata0": {"type": "os.system", "axes": {}}}), "unsupported measurement type"),
        (lambda a: a["metadata0"].update(type="Images", axes={"axis_0": {"type": "RealSpaceAxis"}}), "dimensions"),
        (lambda a: a["metadata0"]["axes"]["axis_1"].update(sampling="big"), "invalid axis metadata"),
        (lambda a: a["metadata0"]["axes"]["axis_0"]["values"].update(_value=[1.0]), "does not fit"),
        (lambda a: a.update(metadata0=[1, 2]), "JSON object"),
        (lambda a: a.update(foo=1, metadata0=None) or a.pop("metadata0"), "recognizable abTEM"),
    ],
)
def test_hostile_or_corrupt_metadata(tmp_path, mutate, match) -> None:
    path = _copy_fixture(tmp_path)
    _edit_root(path, mutate)
    with pytest.raises(AbtemFileError, match=match) as info:
        from_zarr(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_array_and_absurd_size(tmp_path) -> None:
    path = _copy_fixture(tmp_path)
    shutil.rmtree(path / "array0")
    with pytest.raises(AbtemFileError, match="missing"):
        from_zarr(path)
    path = _copy_fixture(tmp_path / "b")
    meta = json.loads((path / "array0" / "zarr.json").read_text())
    meta["shape"] = [4, 10**9, 10**9]
    (path / "array0" / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(AbtemFileError, match="absurd"):
        from_zarr(path)


def test_truncated_zip_and_not_a_store(tmp_path) -> None:
    data = (FIXTURES / "hrtem_sto_defocus.zip").read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(AbtemFileError, match="zip"):
        from_zarr(broken)
    assert not is_abtem_store(broken)
    with pytest.raises(AbtemFileError, match="no such"):
        from_zarr(tmp_path / "nothing.zarr")
    plain = tmp_path / "plain.zarr"
    import zarr

    zarr.create_array(str(plain), shape=(3, 3), dtype="f4")
    assert not is_abtem_store(plain)
    with pytest.raises(AbtemFileError):
        from_zarr(plain)


def test_broken_legacy_zip_without_attributes(tmp_path) -> None:
    import zarr

    path = tmp_path / "legacy.zip"
    store = zarr.storage.ZipStore(str(path), mode="w")
    group = zarr.create_group(store)
    group.create_array("array0", shape=(3, 3), dtype="f4")
    store.close()
    with pytest.raises(AbtemFileError, match="no attributes"):
        from_zarr(path)


def test_beta_layout_json_string(tmp_path) -> None:
    path = _copy_fixture(tmp_path)

    def to_beta(attrs):
        meta = attrs["metadata0"]
        meta.pop("kwargs")
        attrs["metadata0"] = json.dumps(meta)

    _edit_root(path, to_beta)
    obj = from_zarr(path)
    assert obj.shape == (4, 118, 118) and obj.ensemble_axes_metadata[0].label == "C10"


def test_legacy_zarr_v3_layout(tmp_path) -> None:
    """abTEM 1.0.8/1.0.9 with zarr 3: type0/kwargs0 in a v3 group, tuples as lists."""
    import zarr

    path = tmp_path / "legacy3.zarr"
    group = zarr.create_group(str(path), zarr_format=3, attributes={
        "type0": "Images",
        "kwargs0": {"sampling": [0.1, 0.2], "metadata": {"energy": 2e5, "start": [1.0, 2.0]},
                    "ensemble_axes_metadata": [{"label": "defocus", "units": "Å", "values": [0.0, 10.0, 20.0], "type": "ParameterAxis"}]},
    })
    group.create_array("array0", shape=(3, 4, 5), dtype="f4")[...] = 1
    obj = from_zarr(path)
    assert obj.sampling == (0.1, 0.2) and obj.metadata["start"] == [1.0, 2.0]
    assert obj.ensemble_axes_metadata[0].values == (0.0, 10.0, 20.0)


def test_fuzz_metadata(tmp_path) -> None:
    """Thousands of random metadata mutations: a correct object or AbtemFileError, nothing else."""
    rng = np.random.default_rng(0)
    base = json.loads((FIXTURES / "stem_adf_sto_fp_defocus.zarr" / "zarr.json").read_text())
    path = _copy_fixture(tmp_path, "stem_adf_sto_fp_defocus.zarr")
    junk = [None, 0, -1, 1e308, "x", "", [], {}, [1, "a"], {"_type": "tuple", "_value": 3}, True, "Images", "RealSpaceAxis"]

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))

    all_paths = [p for p in paths(base["attributes"]) if p]
    outcomes = {"object": 0, "error": 0}
    for _ in range(2000):
        doc = json.loads(json.dumps(base))
        target = all_paths[rng.integers(len(all_paths))]
        node = doc["attributes"]
        for key in target[:-1]:
            node = node[key]
        action = rng.integers(3)
        if action == 0:
            node[target[-1]] = junk[rng.integers(len(junk))]
        elif action == 1 and isinstance(node, dict):
            node.pop(target[-1])
        else:
            node[target[-1]] = json.loads(json.dumps(junk[rng.integers(len(junk))]))
        (path / "zarr.json").write_text(json.dumps(doc))
        try:
            obj = from_zarr(path)
        except AbtemFileError:
            outcomes["error"] += 1
            continue
        assert obj.shape[-2:] == (20, 16)
        outcomes["object"] += 1
    assert outcomes["object"] > 100 and outcomes["error"] > 100
