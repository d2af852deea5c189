"""Reading abTEM zarr stores: every layout abTEM has written, lazily, equal to abTEM's own reading."""

from __future__ import annotations

import json
import zipfile

import dask.array as da
import numpy as np
import pytest
import zarr

from napari_temimages import (
    DiffractionPatterns,
    Images,
    MeasurementsEnsemble,
    RealSpaceLineProfiles,
    ReciprocalSpaceLineProfiles,
    from_zarr,
)
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.zarr_format import MEASUREMENT_TYPES, decode, encode, is_abtem_store, read_zarr

from .helpers import TaskCounter, make_images
from .test_files_support import (
    FIXTURES,
    LEGACY_DIRS,
    STORES,
    assert_same,
    axis_dicts,
    copy_fixture,
    edit_json,
    golden_array,
)

abtem = pytest.importorskip("abtem", reason="abtem==1.0.11 (test extra) is the reference reader")


# ------------------------------------------------------------------------------ the fixtures
@pytest.mark.parametrize("name", STORES)
def test_fixture_reads_lazily_and_equals_abtems_reading(name) -> None:
    with TaskCounter() as counter:
        ours = from_zarr(FIXTURES / name)
    assert counter.count == 0, "reading must not compute"
    assert ours.is_lazy and isinstance(ours, Images)
    assert ours.array.chunks[-2:] == tuple((n,) for n in ours.base_shape)  # base axes whole
    theirs = abtem.from_zarr(str(FIXTURES / name)).compute()
    assert_same(ours.compute(), theirs)
    np.testing.assert_array_equal(ours.compute().array, golden_array(name))


def test_zip_with_two_root_documents_uses_the_last() -> None:
    with zipfile.ZipFile(FIXTURES / "hrtem_sto_defocus.zip") as zf:
        roots = [i for i in zf.infolist() if i.filename == "zarr.json"]
        assert len(roots) == 2
        assert json.loads(zf.open(roots[0]).read()).get("attributes", {}) == {}
    obj = from_zarr(FIXTURES / "hrtem_sto_defocus.zip")
    assert obj.shape == (4, 118, 118) and obj.ensemble_axes_metadata[0].label == "C10"


@pytest.mark.parametrize("name", LEGACY_DIRS)
def test_legacy_zarr_v2_fixtures(name) -> None:
    assert (FIXTURES / name / ".zattrs").is_file()  # zarr format 2, type0/kwargs0
    obj = from_zarr(FIXTURES / name)
    assert axis_dicts(obj)[-1]["type"] == "RealSpaceAxis"
    assert obj.metadata["energy"] == 200000.0 and "type" not in obj.metadata


def test_chunks_auto_none_and_explicit() -> None:
    path = FIXTURES / "hrtem_sto_defocus.zarr"
    assert from_zarr(path).array.chunks == ((4,), (118,), (118,))  # auto: small, one chunk
    assert read_zarr(path, chunks=None).array.chunks == ((4,), (118,), (118,))  # as stored
    assert from_zarr(path, chunks=(1, -1, -1)).array.chunks[0] == (1, 1, 1, 1)
    assert from_zarr(path, chunks=(2, 59, 118)).array.chunks[1] == (59, 59)
    with pytest.raises(ValueError) as info:  # a bad argument is the caller's error, not the file's
        from_zarr(path, chunks=(1, 2))
    assert not isinstance(info.value, AbtemFileError)


def test_chunks_auto_splits_large_ensembles_only(tmp_path) -> None:
    big = Images(da.zeros((64, 1024, 1024), dtype=np.float32, chunks=(4, 1024, 1024)), 0.1)
    big.to_zarr(tmp_path / "big.zarr", compression_level=9)
    auto = from_zarr(tmp_path / "big.zarr").array.chunks
    assert len(auto[0]) > 1 and auto[1:] == ((1024,), (1024,))
    assert read_zarr(tmp_path / "big.zarr", chunks=None).array.chunks[0] == (4,) * 16  # as written


def test_read_is_lazy_and_reads_chunks_on_compute(tmp_path) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    obj = from_zarr(path, chunks=(1, -1, -1))
    chunk = next((path / "array0" / "c").rglob("*"))
    while chunk.is_dir():
        chunk = next(chunk.iterdir())
    chunk.write_bytes(b"garbage")  # the read above did not need the data ...
    with pytest.raises(AbtemFileError, match="cannot decode 'array0'") as info:  # ... computing does
        obj.compute()
    assert str(path) in str(info.value)


# ------------------------------------------------------------------------------ other layouts
def test_legacy_layout_in_zarr_v3(tmp_path) -> None:
    """abTEM 1.0.9 with zarr 3 (spec §5.5 example): tuples come back as lists, as in abTEM."""
    path = tmp_path / "legacy3.zarr"
    attrs = {"type0": "Images", "kwargs0": {
        "sampling": [0.1, 0.2], "metadata": {"energy": 2e5, "label": "intensity", "start": [1.0, 2.0]},
        "ensemble_axes_metadata": [{"label": "defocus", "units": "Å", "tex_label": None, "values": [0.0, 10.0, 20.0],
                                    "type": "ParameterAxis"}]}}
    group = zarr.create_group(str(path), zarr_format=3, attributes=attrs)
    group.create_array("array0", shape=(3, 4, 5), dtype="f4", chunks=(1, 4, 5))[...] = np.arange(60).reshape(3, 4, 5)
    ours = from_zarr(path).compute()
    assert_same(ours, abtem.from_zarr(str(path)).compute())
    assert ours.sampling == (0.1, 0.2) and ours.metadata["start"] == [1.0, 2.0]
    assert ours.ensemble_axes_metadata[0].values == (0.0, 10.0, 20.0)


def test_legacy_zip_in_zarr_v2(tmp_path) -> None:
    path = tmp_path / "legacy2.zip"
    store = zarr.storage.ZipStore(str(path), mode="w")
    group = zarr.create_group(store, zarr_format=2, attributes={
        "type0": "Images", "kwargs0": {"sampling": [0.5, 0.25], "ensemble_axes_metadata": [], "metadata": {}}})
    group.create_array("array0", shape=(6, 5), dtype="<c16", compressors=None)[...] = np.ones((6, 5)) * (1 + 2j)
    store.close()
    assert is_abtem_store(path)
    obj = from_zarr(path).compute()
    assert obj.dtype == np.complex128 and obj.sampling == (0.5, 0.25) and obj.array[0, 0] == 1 + 2j


def test_beta_layout_metadata_as_a_json_string(tmp_path) -> None:
    """abTEM 1.0.0 betas: ``metadata0`` is a JSON string without ``kwargs`` (abTEM 1.0.11 crashes)."""
    path = copy_fixture(tmp_path, "stem_adf_sto_fp_defocus.zarr")

    def to_beta(doc):
        meta = doc["attributes"]["metadata0"]
        meta.pop("kwargs")
        doc["attributes"]["metadata0"] = json.dumps(meta)

    edit_json(path / "zarr.json", to_beta)
    assert is_abtem_store(path)
    assert_same(from_zarr(path).compute(), from_zarr(FIXTURES / "stem_adf_sto_fp_defocus.zarr").compute())


def test_canonical_falls_back_to_kwargs_when_axes_do_not_fit(tmp_path) -> None:
    """As abTEM: if ``axes`` cannot build the object, the stored constructor kwargs are used."""
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    edit_json(path / "zarr.json", lambda d: d["attributes"]["metadata0"].update(axes={"axis_0": {"type": "Nope"}}))
    assert_same(from_zarr(path).compute(), from_zarr(FIXTURES / "hrtem_sto_defocus.zarr").compute())


def test_lenient_axes_unknown_types_and_keys(tmp_path) -> None:
    """Unknown axis types become generic axes, unknown keys are ignored (abTEM raises)."""
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")

    def edit(doc):
        axis = doc["attributes"]["metadata0"]["axes"]["axis_0"]
        axis.update(type="FutureAxis", colour="blue")

    edit_json(path / "zarr.json", edit)
    obj = from_zarr(path)
    axis = obj.ensemble_axes_metadata[0]
    assert type(axis).__name__ == "OrdinalAxis" and axis.label == "C10" and len(axis.values) == 4


def test_upper_case_zip_suffix(tmp_path) -> None:
    path = copy_fixture(tmp_path, "com_sto.zip").rename(tmp_path / "COM.ZIP")
    assert is_abtem_store(path)
    assert from_zarr(path).shape == (24, 20)


# ------------------------------------------------------------------------------ types and lists
def _every_type() -> list:
    im = make_images((2, 6, 5))
    return [
        im,
        DiffractionPatterns(np.ones((2, 6, 5), np.float32), (0.5, 0.25), fftshift=True, metadata={"energy": 1e5}),
        RealSpaceLineProfiles(np.ones((2, 7), np.float64), sampling=0.1, metadata={"start": (0.0, 1.0)}),
        ReciprocalSpaceLineProfiles(np.ones(7, np.complex64), sampling=0.2),
        im.to_measurement_ensemble(),
    ]


def test_every_registered_type_round_trips_as_a_list(tmp_path) -> None:
    objects = _every_type()
    assert sorted(type(o).__name__ for o in objects) == sorted(MEASUREMENT_TYPES)
    path = tmp_path / "all.zarr"
    from napari_temimages._core.zarr_format import write_zarr

    write_zarr(objects, path)
    back = from_zarr(path)
    assert isinstance(back, list) and len(back) == len(objects)
    for ours, expected in zip(back, objects):
        assert_same(ours.compute(), expected)
    assert isinstance(back[1], DiffractionPatterns) and back[1].fftshift
    assert isinstance(back[4], MeasurementsEnsemble)


def test_several_objects_written_by_abtem_come_back_as_a_list(tmp_path) -> None:
    from abtem.array import ComputableList

    a = abtem.from_zarr(str(FIXTURES / "com_sto.zarr")).compute()
    b = abtem.from_zarr(str(FIXTURES / "hrtem_sto_defocus.zarr")).compute()
    diffraction = b.diffractograms()
    ComputableList([a, b, diffraction]).to_zarr(str(tmp_path / "three.zip"))
    ours = from_zarr(tmp_path / "three.zip")
    assert [type(o).__name__ for o in ours] == ["Images", "Images", "DiffractionPatterns"]
    for mine, theirs in zip(ours, (a, b, diffraction)):
        assert_same(mine.compute(), theirs)


# ------------------------------------------------------------------------------ the cheap check
def test_is_abtem_store_reads_metadata_only(tmp_path) -> None:
    path = copy_fixture(tmp_path, "hrtem_sto_defocus.zarr")
    import shutil

    shutil.rmtree(path / "array0")
    assert is_abtem_store(path) and is_abtem_store(f"{path}/")
    for name in STORES:
        assert is_abtem_store(FIXTURES / name), name


def test_is_abtem_store_declines_everything_else(tmp_path) -> None:
    zarr.create_array(str(tmp_path / "array.zarr"), shape=(3, 3), dtype="f4")
    zarr.create_group(str(tmp_path / "ome.zarr"), attributes={"multiscales": []})
    zarr.create_group(str(tmp_path / "other.zarr"), attributes={"metadata0": {"type": "Waves"}})
    zarr.create_group(str(tmp_path / "bare.zarr")).create_array("array0", shape=(2, 2), dtype="f4")
    (tmp_path / "text.zip").write_bytes(b"hello")
    with zipfile.ZipFile(tmp_path / "docs.zip", "w") as zf:
        zf.writestr("readme.txt", "hi")
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{ not json")
    for name in ("array.zarr", "ome.zarr", "other.zarr", "bare.zarr", "text.zip", "docs.zip", "bad.zarr", "missing"):
        assert not is_abtem_store(tmp_path / name), name
    for weird in (None, 42, "", "\x00", b"\xff", [], object()):
        assert not is_abtem_store(weird)


def test_tagged_tuples_round_trip() -> None:
    value = {"a": (1, (2, 3)), "b": [np.float32(1.5), np.arange(2)], "c": "Å", "d": {"_type": "tuple", "_value": 4}}
    assert decode(json.loads(json.dumps(encode(value)))) == {"a": (1, (2, 3)), "b": [1.5, [0, 1]], "c": "Å", "d": (4,)}
