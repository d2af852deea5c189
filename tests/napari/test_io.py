"""Reader, writers and sample data through the plugin's own functions (no viewer, no Qt)."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest
import tifffile
import zarr

from napari_temimages import DiffractionPatterns, Images, from_zarr
from napari_temimages._reader import get_reader, is_ours
from napari_temimages._writer import write_tiff_layer, write_zarr_layer
from napari_temimages.layer_data import META_KEY, from_layer, to_layer_data

ZARR_FIXTURES = [
    "hrtem_sto_defocus.zarr",
    "hrtem_sto_defocus.zip",
    "stem_adf_sto_fp.zarr",
    "stem_adf_sto_fp_defocus.zarr",
    "stem_adf_sto_fp_defocus.zip",
    "plain_aniso_mos2.zarr",
    "com_sto.zarr",
    "com_sto.zip",
    "legacy_hrtem_sto_defocus.zarr",
    "legacy_com_sto.zarr",
]




def _bytes(array) -> bytes:
    return np.ascontiguousarray(np.asarray(array)).tobytes()


def _same(a, b) -> None:
    assert type(a) is type(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert _bytes(a.array) == _bytes(b.array)  # bitwise
    assert a.sampling == b.sampling
    assert [x.to_dict() for x in a.ensemble_axes_metadata] == [x.to_dict() for x in b.ensemble_axes_metadata]
    assert a.metadata == b.metadata


# ------------------------------------------------------------------------------ get_reader
@pytest.mark.parametrize("name", ZARR_FIXTURES)
def test_get_reader_claims_abtem_stores(fixture_path, name):
    path = fixture_path(name)
    assert get_reader(str(path)) is not None
    assert get_reader(str(path) + "/") is not None if path.is_dir() else True
    assert get_reader([str(path)]) is not None


def test_get_reader_declines_foreign_files_and_never_raises(tmp_path, fixture_path):
    ome = zarr.open_group(str(tmp_path / "ome.zarr"), mode="w")
    ome.attrs["multiscales"] = [{"version": "0.4", "datasets": [{"path": "0"}]}]
    ome.create_array("0", shape=(4, 4), dtype="f4")
    plain = zarr.open_group(str(tmp_path / "plain.zarr"), mode="w")
    plain.create_array("array0", shape=(4, 4), dtype="f4")
    (tmp_path / "empty.zarr").mkdir()
    (tmp_path / "notes.zip").write_bytes(b"not a zip at all")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{ this is not json")
    tifffile.imwrite(tmp_path / "micrograph.tif", np.zeros((8, 8), np.uint16))
    (tmp_path / "fake.tif").write_bytes(b"II*\x00garbage")
    foreign = ["ome.zarr", "plain.zarr", "empty.zarr", "notes.zip", "other.zip", "bad.zarr", "micrograph.tif",
               "fake.tif", "missing.zarr", "missing.tif"]
    for name in foreign:
        assert get_reader(str(tmp_path / name)) is None, name
    ours = str(fixture_path("hrtem_sto_defocus.zarr"))
    assert get_reader([ours, str(tmp_path / "ome.zarr")]) is None  # all or nothing
    for weird in (None, 42, [], [None], b"\xff\xfe", "", "\x00"):
        assert get_reader(weird) is None


def test_get_reader_reads_metadata_only(copy_fixture, notifications):
    """The check must not touch array data: a store whose chunks are gone is still claimed."""
    path = copy_fixture("hrtem_sto_defocus.zarr")
    shutil.rmtree(path / "array0" / "c")
    reader = get_reader(str(path))
    assert reader is not None
    # ... and reading it then fails with a notification and no layer (not a traceback)
    # (zarr gives missing chunks as fill values; a missing array makes the file bad)
    shutil.rmtree(path / "array0")
    assert reader(str(path)) == [(None,)]
    assert any(sev == "error" and "napari-temimages could not open hrtem_sto_defocus.zarr" in msg
               for sev, msg in notifications), notifications


def test_broken_zips_are_declined_or_notify(tmp_path, fixture_path, notifications):
    data = fixture_path("hrtem_sto_defocus.zip").read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])  # no central directory: not a readable zip
    assert get_reader(str(truncated)) is None
    # a readable zip whose array metadata is garbage: claimed or not, never a layer or a traceback
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(fixture_path("hrtem_sto_defocus.zip")) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in dict.fromkeys(src.namelist()):  # abTEM's zip repeats zarr.json; read() gives the last
            dst.writestr(name, b"{ garbage" if name == "array0/zarr.json" else src.read(name))
    reader = get_reader(str(broken))
    if reader is not None:
        assert reader(str(broken)) == [(None,)]
        assert any(sev == "error" and "could not open broken.zip" in msg for sev, msg in notifications)


# ------------------------------------------------------------------------------ reader
def test_reader_layer_data_for_a_defocus_series(fixture_path):
    path = str(fixture_path("hrtem_sto_defocus.zarr"))
    (layer,) = get_reader(path)(path)
    data, meta, kind = layer
    record = json.loads(fixture_path("hrtem_sto_defocus.fixture.json").read_text())["description"]
    assert kind == "image" and meta["name"] == "hrtem_sto_defocus"
    assert data.shape == (4, 118, 118)
    assert meta["axis_labels"] == ("C10", "y", "x")
    assert meta["units"] == ("Å", "Å", "Å")
    d = record["sampling"][0]
    assert meta["scale"] == (-40.0, d, d) and meta["translate"] == (60.0, 0.0, 0.0)
    lo, hi = meta["contrast_limits"]
    assert record["stats"]["min"] <= lo < hi <= record["stats"]["max"]
    assert (lo, hi) != (0.0, 1.0)
    assert meta["metadata"][META_KEY]["metadata"] == record["metadata"]


def test_reader_complex_store_gives_amplitude_and_phase(fixture_path):
    path = str(fixture_path("com_sto.zip"))
    layers = get_reader(path)(path)
    assert [m["name"] for _, m, _ in layers] == ["com_sto (amplitude)", "com_sto (phase)"]
    assert layers[1][1]["colormap"] == "twilight"


def test_reader_reads_several_paths(fixture_path):
    paths = [str(fixture_path("hrtem_sto_defocus.zip")), str(fixture_path("stem_adf_sto_fp.zarr"))]
    layers = get_reader(paths)(paths)
    assert [m["name"] for _, m, _ in layers] == ["hrtem_sto_defocus", "stem_adf_sto_fp"]


# ------------------------------------------------------------------------------ writers
@pytest.mark.parametrize("name", ZARR_FIXTURES)
@pytest.mark.parametrize("suffix", [".zarr", ".zip"])
def test_open_save_reproduces_the_file(tmp_path, fixture_path, name, suffix):
    """open (reader) -> save (writer) -> the same arrays bitwise and the same metadata."""
    path = str(fixture_path(name))
    original = from_zarr(path)
    layers = get_reader(path)(path)
    data, meta, _ = layers[0]  # for complex stores: the amplitude layer saves the complex source
    out = tmp_path / ("saved" + suffix)
    assert write_zarr_layer(str(out), data, meta) == [str(out)]
    _same(from_zarr(str(out)), original)


def test_writer_accepts_napari_attributes_and_overwrites(tmp_path):
    im = Images(np.arange(24, dtype=np.float32).reshape(2, 3, 4), sampling=(0.5, 0.25), metadata={"energy": 3e5})
    data, meta, _ = to_layer_data(im)[0]
    # napari hands writers pint units and its own extra attributes
    attrs = {**meta, "units": tuple(None for _ in meta["units"]), "opacity": 1.0, "blending": "translucent"}
    out = tmp_path / "x.zarr"
    write_zarr_layer(str(out), data, attrs)
    write_zarr_layer(str(out), data, attrs)  # napari's dialog has asked before replacing
    _same(from_zarr(str(out)), im)


def test_tiff_writer_keeps_the_pixel_size(tmp_path):
    from napari_temimages._core.tiff_format import read_tiff

    im = Images(np.random.default_rng(0).random((2, 6, 5)).astype(np.float32), sampling=(0.2, 0.1),
                metadata={"energy": 2e5})
    data, meta, _ = to_layer_data(im)[0]
    out = tmp_path / "x.tif"
    assert write_tiff_layer(str(out), data, meta) == [str(out)]
    assert is_ours(out)
    back = read_tiff(str(out))
    back = back[0] if isinstance(back, list) else back
    assert back.sampling == pytest.approx(im.sampling, rel=1e-6)
    np.testing.assert_array_equal(np.asarray(back.array), im.array)
    (layer,) = get_reader(str(out))(str(out))
    assert layer[1]["scale"][-2:] == pytest.approx((0.1, 0.2), rel=1e-6)


def test_diffraction_patterns_round_trip_through_the_writer(tmp_path):
    dp = DiffractionPatterns(np.random.default_rng(2).random((3, 8, 8)).astype(np.float32), sampling=0.05,
                             fftshift=False, metadata={"energy": 1e5})
    data, meta, _ = to_layer_data(dp)[0]
    out = tmp_path / "dp.zip"
    write_zarr_layer(str(out), data, meta)
    back = from_zarr(str(out))
    _same(back, dp)
    assert from_layer(get_reader(str(out))(str(out))[0]).fftshift is False


# ------------------------------------------------------------------------------ sample data
def test_sample_data_commands():
    from napari_temimages._sample_data import hrtem_defocus_series, stem_frozen_phonons

    (hrtem,) = hrtem_defocus_series()
    assert hrtem[1]["name"] == "hrtem_sto_defocus" and hrtem[0].shape == (4, 118, 118)
    (stem,) = stem_frozen_phonons()
    assert stem[1]["axis_labels"] == ("Frozen phonons", "C10", "y", "x")
    assert stem[0].shape == (3, 3, 16, 20)


def test_stores_with_several_objects_give_one_layer_per_image(monkeypatch, notifications):
    from napari_temimages import RealSpaceLineProfiles
    from napari_temimages import _reader

    objects = [
        Images(np.ones((4, 4), np.float32), 0.1),
        RealSpaceLineProfiles(np.ones((2, 5), np.float32), sampling=0.1),
        DiffractionPatterns(np.ones((4, 4), np.float32), 0.2, fftshift=True),
    ]
    monkeypatch.setattr(_reader, "_read_objects", lambda path: objects)
    layers = _reader.read_paths("/data/several.zarr")
    assert [m["name"] for _, m, _ in layers] == ["several [0]", "several [1]"]
    assert any(sev == "warning" and "skipped RealSpaceLineProfiles" in msg for sev, msg in notifications)
    monkeypatch.setattr(_reader, "_read_objects", lambda path: objects[1:2])
    assert _reader.read_paths("/data/profiles.zarr") == [(None,)]
    assert any(sev == "error" and "holds no Images" in msg for sev, msg in notifications)


def test_failed_tiff_write_keeps_the_previous_file(tmp_path, monkeypatch):
    out = tmp_path / "x.tif"
    out.write_bytes(b"previous")
    im = Images(np.ones((4, 4), np.float32), 0.1)
    data, meta, _ = to_layer_data(im)[0]

    def fail(self, filename, **kwargs):
        with open(filename, "wb") as f:
            f.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Images, "to_tiff", fail)
    with pytest.raises(OSError, match="disk full"):
        write_tiff_layer(str(out), data, meta)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.tif"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16])
def test_tiffs_we_write_are_claimed_and_read(tmp_path, dtype):
    im = Images((np.arange(2 * 6 * 5) % 7).reshape(2, 6, 5).astype(dtype), sampling=(0.2, 0.1))
    data, meta, _ = to_layer_data(im)[0]
    out = tmp_path / "x.tiff"
    write_tiff_layer(str(out), data, meta)
    reader = get_reader(str(out))
    assert reader is not None
    (layer,) = reader(str(out))
    assert _bytes(from_layer(layer).array) == _bytes(im.array)


def test_abtem_and_calibrated_tiffs_are_claimed(tmp_path):
    desc = json.dumps({"energy": 2e5, "axes": {"axis_0": {"label": "x", "type": "RealSpaceAxis", "sampling": 0.1},
                                               "axis_1": {"label": "y", "type": "RealSpaceAxis", "sampling": 0.1}},
                       "type": "Images"})
    tifffile.imwrite(tmp_path / "abtem.tif", np.zeros((6, 5), np.float32), description=desc)
    tifffile.imwrite(tmp_path / "fiji.tif", np.zeros((6, 5), np.float32), imagej=True, resolution=(10, 10),
                     metadata={"unit": "\\u00C5"})
    assert is_ours(tmp_path / "abtem.tif") and is_ours(tmp_path / "fiji.tif")


def test_reader_preference_from_the_command_line_and_cleared(capsys):
    from napari.settings import get_settings

    from napari_temimages.__main__ import main
    from napari_temimages._settings import clear_reader_preference, reader_preference, set_reader_preference

    try:
        assert main(["--set-reader-preference"]) == 0
        assert "'*.zarr/': 'napari-temimages'" in capsys.readouterr().out
        assert reader_preference() == {"*.zarr/": "napari-temimages"}
        set_reader_preference(zip=True, notify=False)
        assert get_settings().plugins.extension2reader["*.zip"] == "napari-temimages"
        get_settings().plugins.extension2reader = {**get_settings().plugins.extension2reader, "*.tif": "other"}
        assert clear_reader_preference() == {"*.tif": "other"}
    finally:
        get_settings().plugins.extension2reader = {}
