"""Writing abTEM zarr stores: canonical 1.0.11 layout, abTEM reads it back identically; streaming,
overwrite protection, atomic replacement, selectable compression."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import dask.array as da
import numpy as np
import pytest

from napari_temimages import Images, from_zarr
from napari_temimages._core import zarr_format
from napari_temimages._core.zarr_format import write_zarr

from .helpers import make_images
from .test_files_support import FIXTURES, STORES, assert_same

abtem = pytest.importorskip("abtem", reason="abtem==1.0.11 (test extra) is the reference reader")

SUFFIXES = [".zarr", ".zip"]


def _root_attributes(path) -> dict:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("zarr.json"))["attributes"]
    return json.loads((path / "zarr.json").read_text())["attributes"]


def _array_document(path) -> dict:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("array0/zarr.json"))
    return json.loads((path / "array0" / "zarr.json").read_text())


# ------------------------------------------------------------------------------ layout and parity
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip_keeps_everything(tmp_path, suffix) -> None:
    im = make_images()
    im.metadata.update(start=(1.0, 2.0), numbers=np.arange(3), scalar=np.float32(0.5))
    path = tmp_path / f"out{suffix}"
    assert im.to_zarr(path) == str(path)
    back = from_zarr(path)
    assert back.is_lazy
    expected = im.copy()
    expected.metadata.update(numbers=[0, 1, 2], scalar=0.5)  # numpy values are stored as plain JSON
    assert_same(back.compute(), expected)
    assert isinstance(back.metadata["start"], tuple)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_same_attributes_as_abtem_writes(tmp_path, suffix) -> None:
    """Key for key (and in abTEM's key order) the root document abTEM 1.0.11 writes, except
    ``data_origin``; the zip codecs are abTEM's too."""
    source = abtem.from_zarr(str(FIXTURES / "stem_adf_sto_fp_defocus.zarr")).compute()
    source.metadata["start"] = (1.0, 2.0)
    source.to_zarr(str(tmp_path / f"theirs{suffix}"))
    ours = from_zarr(tmp_path / f"theirs{suffix}")
    ours.to_zarr(tmp_path / f"ours{suffix}")
    theirs_attrs, our_attrs = _root_attributes(tmp_path / f"theirs{suffix}"), _root_attributes(tmp_path / f"ours{suffix}")
    assert our_attrs["metadata0"].pop("data_origin").startswith("napari-temimages_v")
    assert theirs_attrs["metadata0"].pop("data_origin") == "abTEM_v1.0.11"
    assert json.dumps(our_attrs) == json.dumps(theirs_attrs)
    theirs_array, our_array = _array_document(tmp_path / f"theirs{suffix}"), _array_document(tmp_path / f"ours{suffix}")
    for key in ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value"):
        assert our_array[key] == theirs_array[key], key
    if suffix == ".zip":
        assert our_array["codecs"] == theirs_array["codecs"]


@pytest.mark.parametrize("name", STORES)
def test_abtem_reads_our_files_identically(tmp_path, name) -> None:
    """ours -> abTEM: abTEM's reading of our copy equals its reading of the original fixture."""
    reference = abtem.from_zarr(str(FIXTURES / name)).compute()
    for suffix in SUFFIXES:
        path = tmp_path / f"ours{suffix}"
        from_zarr(FIXTURES / name).to_zarr(path)
        theirs = abtem.from_zarr(str(path))
        assert theirs.is_lazy
        assert_same(theirs.compute(), reference)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trips_between_abtem_and_us_are_exact(tmp_path, suffix) -> None:
    im = make_images((2, 3, 9, 8), complex_=True)
    im.metadata["end"] = (3.0, 4.0)
    # ours -> abTEM -> ours
    im.to_zarr(tmp_path / f"a{suffix}")
    abtem.from_zarr(str(tmp_path / f"a{suffix}")).to_zarr(str(tmp_path / f"b{suffix}"))
    assert_same(from_zarr(tmp_path / f"b{suffix}").compute(), im)
    # abTEM -> ours -> abTEM
    theirs = abtem.from_zarr(str(tmp_path / f"b{suffix}")).compute()
    from_zarr(tmp_path / f"b{suffix}").to_zarr(tmp_path / f"c{suffix}")
    assert_same(abtem.from_zarr(str(tmp_path / f"c{suffix}")).compute(), theirs)


def test_several_objects_into_one_store_abtem_reads_a_list(tmp_path) -> None:
    im = make_images((2, 9, 8))
    objects = [im, im.diffractograms(), im.interpolate_line(end=(0.5, 1.0), gpts=5)]
    for suffix in SUFFIXES:
        write_zarr(objects, tmp_path / f"three{suffix}")
        theirs = abtem.from_zarr(str(tmp_path / f"three{suffix}"))
        assert [type(o).__name__ for o in theirs] == ["Images", "DiffractionPatterns", "RealSpaceLineProfiles"]
        for mine, other in zip(objects, theirs):
            np.testing.assert_array_equal(np.asarray(other.compute().array), mine.array)


def test_zip_members(tmp_path) -> None:
    """One root ``zarr.json`` (abTEM writes two), members stored uncompressed, no staging left."""
    make_images().to_zarr(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        names = zf.namelist()
        assert names.count("zarr.json") == 1 and "array0/zarr.json" in names
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    assert sorted(os.listdir(tmp_path)) == ["x.zip"]


# ------------------------------------------------------------------------------ compression
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_compression_is_selectable(tmp_path, suffix) -> None:
    im = make_images((4, 3, 64, 64))
    sizes = {}
    for level in (None, 0, 9):
        path = tmp_path / f"{level}{suffix}"
        im.to_zarr(path, compression_level=level)
        codecs = _array_document(path)["codecs"]
        if level is None:
            assert [c["name"] for c in codecs] == ["bytes"]
        else:
            assert codecs[1]["name"] == "blosc" and codecs[1]["configuration"]["clevel"] == level
        assert_same(from_zarr(path).compute(), im)
        sizes[level] = sum(f.stat().st_size for f in [path] if f.is_file()) or sum(
            p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert sizes[9] < sizes[None]
    im.to_zarr(tmp_path / f"lz4{suffix}", compression="lz4")
    assert _array_document(tmp_path / f"lz4{suffix}")["codecs"][1]["configuration"]["cname"] == "lz4"


def test_bad_compression_arguments(tmp_path) -> None:
    for level in (10, -1, 2.5, True, "4"):
        with pytest.raises(ValueError, match="between 0 and 9"):
            make_images().to_zarr(tmp_path / "x.zip", compression_level=level)
    with pytest.raises(ValueError, match="compression must be one of"):
        make_images().to_zarr(tmp_path / "x.zarr", compression="pickle")
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------------------------ safety of writes
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_overwrite_false_refuses_an_existing_path(tmp_path, suffix) -> None:
    path = tmp_path / f"x{suffix}"
    make_images().to_zarr(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_images(seed=5).to_zarr(path)
    with pytest.raises(FileExistsError):
        make_images(seed=5).lazy().to_zarr(path, compute=False)
    make_images(seed=5).to_zarr(path, overwrite=True)
    assert_same(from_zarr(path).compute(), make_images(seed=5))
    assert sorted(os.listdir(tmp_path)) == [f"x{suffix}"]


def test_overwrite_replaces_a_store_of_the_other_kind(tmp_path) -> None:
    path = tmp_path / "x.zip"
    path.mkdir()  # a directory named like a zip
    (path / "junk").write_text("old")
    make_images().to_zarr(path, overwrite=True)
    assert path.is_file() and zipfile.is_zipfile(path)


def _exploding(seed: int = 3) -> Images:
    def explode(block):
        raise RuntimeError("disk on fire")

    lazy = make_images(seed=seed).lazy(chunks=(1, -1, -1, -1))
    return Images(lazy.array.map_blocks(explode, dtype=np.float32), lazy.sampling, lazy.ensemble_axes_metadata)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_write_leaves_the_previous_file_intact(tmp_path, suffix) -> None:
    path = tmp_path / f"x{suffix}"
    original = make_images()
    original.to_zarr(path)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _exploding().to_zarr(path, overwrite=True)
    assert_same(from_zarr(path).compute(), original)
    assert sorted(os.listdir(tmp_path)) == [f"x{suffix}"]  # nothing left behind
    with pytest.raises(RuntimeError, match="disk on fire"):
        _exploding().to_zarr(tmp_path / f"new{suffix}")
    assert sorted(os.listdir(tmp_path)) == [f"x{suffix}"]


_SLOW_WRITER = """
import sys, time
import numpy as np
from napari_temimages import Images
from tests.helpers import make_images

def slow(block):
    print("writing", flush=True)
    time.sleep(0.2)
    return block

lazy = make_images((40, 2, 32, 32), seed=7).lazy(chunks=(1, -1, -1, -1))
Images(lazy.array.map_blocks(slow, dtype=np.float32), lazy.sampling, lazy.ensemble_axes_metadata).to_zarr(
    sys.argv[1], overwrite=True, scheduler="synchronous")
"""


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_killed_write_leaves_the_previous_file_intact(tmp_path, suffix) -> None:
    """A writer killed midway (SIGKILL: no cleanup runs) does not damage the existing store."""
    path = tmp_path / f"x{suffix}"
    original = make_images()
    original.to_zarr(path)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        for _ in range(3):  # wait until chunks are being written
            assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert_same(from_zarr(path).compute(), original)
    leftovers = [n for n in os.listdir(tmp_path) if n != path.name]
    assert leftovers and all(n.startswith(f".{path.name}.tmp-") for n in leftovers)  # hidden partial write


def test_lazy_1gib_write_streams_chunk_by_chunk(tmp_path) -> None:
    """A lazy 1 GiB Images is written with peak memory far below its size (separate process)."""
    code = textwrap.dedent(f"""
        import resource, numpy as np, dask.array as da
        from napari_temimages import Images
        array = da.random.default_rng(0).random((256, 1024, 1024), dtype=np.float32, chunks=(8, 1024, 1024))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        Images(array, 0.1).to_zarr({str(tmp_path / 'big.zarr')!r}, compression_level=None)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    growth_mib = float(out.stdout.strip().splitlines()[-1])
    assert growth_mib < 300, f"writing 1 GiB grew the peak memory by {growth_mib:.0f} MiB"
    back = from_zarr(tmp_path / "big.zarr", chunks=None)
    assert back.shape == (256, 1024, 1024) and back.array.chunks[0] == (8,) * 32
    expected = da.random.default_rng(0).random((256, 1024, 1024), dtype=np.float32, chunks=(8, 1024, 1024))
    np.testing.assert_array_equal(back.array[-1].compute(), expected[-1].compute())


# ------------------------------------------------------------------------------ API details
def test_compute_false_returns_a_delayed_write(tmp_path) -> None:
    delayed = make_images().lazy().to_zarr(tmp_path / "d.zarr", compute=False)
    assert not (tmp_path / "d.zarr").exists()
    assert delayed.compute() == str(tmp_path / "d.zarr")
    assert_same(from_zarr(tmp_path / "d.zarr").compute(), make_images())


def test_progress_bar_and_scheduler_kwargs(tmp_path, capsys) -> None:
    make_images().lazy().to_zarr(tmp_path / "p.zarr", progress_bar=True, scheduler="synchronous")
    assert "100%" in capsys.readouterr().out
    assert_same(from_zarr(tmp_path / "p.zarr").compute(), make_images())


def test_only_measurements_are_written(tmp_path) -> None:
    with pytest.raises(TypeError, match="to_zarr writes"):
        write_zarr(np.zeros((3, 3)), tmp_path / "x.zarr")
    with pytest.raises(ValueError, match="nothing to write"):
        write_zarr([], tmp_path / "x.zarr")
    assert not os.listdir(tmp_path)


def test_chunk_rule_never_splits_images_and_caps_chunks(monkeypatch) -> None:
    """Lazy: the dask ensemble chunks, base axes whole; everything: abTEM's 512 MiB halving rule."""
    lazy = Images(da.zeros((6, 5, 64, 64), dtype=np.float32, chunks=(2, 5, 16, 16)), 0.1,
                  ensemble_axes_metadata=None)
    assert zarr_format._chunk_shape(lazy) == (2, 5, 64, 64)
    huge = Images(da.zeros((4, 16384, 16384), dtype=np.float32, chunks=(4, 4096, 4096)), 0.1)
    assert zarr_format._chunk_shape(huge) == (1, 8192, 16384)  # ensemble first, then the largest axis
    from abtem.array import _safe_zarr_chunks

    limit = 4 * 8 * 8 * 4
    monkeypatch.setattr(zarr_format, "_WRITE_CHUNK_BYTES", limit)
    for shape in [(16, 3, 8, 8), (5, 7, 8, 8), (64, 64), (3, 32, 16)]:
        eager = Images(np.zeros(shape, np.float32), 0.1, ensemble_axes_metadata=None)
        assert zarr_format._chunk_shape(eager) == _safe_zarr_chunks(shape, 4, limit, n_fixed_trailing_axes=2), shape


def test_write_time_is_reasonable(tmp_path) -> None:
    """Many small objects in one store stay quick (guards against per-object overheads)."""
    start = time.perf_counter()
    write_zarr([make_images((2, 9, 8), seed=i) for i in range(20)], tmp_path / "many.zip")
    assert len(from_zarr(tmp_path / "many.zip")) == 20
    assert time.perf_counter() - start < 10
