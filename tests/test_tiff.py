"""TIFF: ImageJ hyperstacks with the pixel size in Å (Fiji), exact read-back of our files and of
abTEM's ``to_tiff`` output, and pixel sizes of ImageJ / OME / plain TIFFs converted to Å."""

from __future__ import annotations

import json

import dask
import numpy as np
import pytest
import tifffile
from dask.callbacks import Callback

from napari_temimages import Images, LinearAxis, ParameterAxis, ThicknessAxis, from_zarr
from napari_temimages._core import tiff_format
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.tiff_format import JSON_TAG, is_abtem_tiff, read_tiff

from .helpers import make_images
from .test_files_support import FIXTURES, GOLDENS, TIFF_GOLDENS, assert_same


def _fixture(name: str) -> Images:
    return from_zarr(FIXTURES / f"{name}.zarr")


# ------------------------------------------------------------------------------ abTEM's files
@pytest.mark.parametrize("name", TIFF_GOLDENS)
def test_abtems_to_tiff_output_reads_back_to_the_same_images(name) -> None:
    """The to_tiff goldens (abTEM 1.0.11): array, sampling, axes and metadata as in the fixture."""
    path = GOLDENS / f"{name}__to_tiff.tif"
    assert is_abtem_tiff(path)
    assert_same(read_tiff(path), _fixture(name).compute())


@pytest.mark.parametrize("name", TIFF_GOLDENS)
def test_our_writer_differs_from_abtems_on_purpose(tmp_path, name) -> None:
    """abTEM: no pixel size, rows = x, RGB for 3-/4-member stacks. Ours: ImageJ hyperstack in Å,
    rows = y, never RGB (documented in docs/compat/files.md)."""
    sidecar = json.loads((GOLDENS / f"{name}__to_tiff.json").read_text())["tiff"]
    assert sidecar["page0_tags"]["XResolution"] == [[1, 1]]
    im = _fixture(name).compute()
    im.to_tiff(tmp_path / "ours.tif")
    with tifffile.TiffFile(tmp_path / "ours.tif") as tif:
        assert tif.is_imagej and tif.imagej_metadata["unit"] == "\\u00C5"
        page = tif.pages.first
        assert page.photometric == tifffile.PHOTOMETRIC.MINISBLACK and page.samplesperpixel == 1
        assert page.shape == im.base_shape[::-1]
        res = page.tags["XResolution"].value
        assert res[0] / res[1] == pytest.approx(1 / im.sampling[0], rel=1e-6)
    if sidecar["page0_tags"]["PhotometricInterpretation"] == ["RGB"]:
        assert sidecar["series_shape"][-3] in (3, 4) or sidecar["series_shape"][0] in (3, 4)


# ------------------------------------------------------------------------------ our files
@pytest.mark.parametrize("name", TIFF_GOLDENS)
def test_our_tiff_round_trip_is_exact(tmp_path, name) -> None:
    lazy = _fixture(name)
    lazy.to_tiff(tmp_path / "x.tif")
    back = read_tiff(tmp_path / "x.tif")
    assert_same(back, lazy.compute())
    assert is_abtem_tiff(tmp_path / "x.tif")


def test_imagej_hyperstack_layout_calibration_and_labels(tmp_path) -> None:
    im = _fixture("stem_adf_sto_fp_defocus").compute()  # (3 frozen phonons, 3 defoci, 20, 16)
    im.to_tiff(tmp_path / "x.tif")
    with tifffile.TiffFile(tmp_path / "x.tif") as tif:
        series = tif.series[0]
        assert series.axes == "TZYX" and series.shape == (3, 3, 16, 20)
        meta = tif.imagej_metadata
        assert meta["frames"] == 3 and meta["slices"] == 3 and meta["spacing"] == pytest.approx(30.0)
        assert meta["Labels"][4] == "Frozen phonons 2 of 3, C10 = -30 Å"
        page = tif.pages.first
        yres = page.tags["YResolution"].value
        assert yres[0] / yres[1] == pytest.approx(1 / im.sampling[1], rel=1e-6)
        np.testing.assert_array_equal(series.asarray()[1, 2], im.array[1, 2].T)  # rows = y


@pytest.mark.parametrize("n", [3, 4])
def test_three_and_four_member_stacks_are_never_rgb(tmp_path, n) -> None:
    im = make_images((n, 9, 8))
    im.to_tiff(tmp_path / "x.tif")
    with tifffile.TiffFile(tmp_path / "x.tif") as tif:
        assert len(tif.pages) == n and tif.pages.first.photometric == tifffile.PHOTOMETRIC.MINISBLACK
        assert tif.series[0].axes == "ZYX"
    assert_same(read_tiff(tmp_path / "x.tif"), im)


def test_thickness_series_spacing_and_plain_images(tmp_path) -> None:
    im = Images(np.ones((3, 5, 4), np.float32), 0.5, [ThicknessAxis(values=(10.0, 20.0, 30.0))])
    im.to_tiff(tmp_path / "t.tif")
    with tifffile.TiffFile(tmp_path / "t.tif") as tif:
        assert tif.imagej_metadata["spacing"] == pytest.approx(10.0)
    plain = make_images((9, 8))
    plain.to_tiff(tmp_path / "p.tif")
    with tifffile.TiffFile(tmp_path / "p.tif") as tif:
        assert tif.series[0].axes == "YX" and tif.is_imagej
    assert_same(read_tiff(tmp_path / "p.tif"), plain)


@pytest.mark.parametrize(
    "dtype, page_dtype, imagej_native",
    [
        (np.float32, np.float32, True),
        (np.uint16, np.uint16, True),
        (np.uint8, np.uint8, True),
        (np.float64, np.float64, False),
        (np.int16, np.int16, False),
        (np.int64, np.int64, False),
        (np.bool_, np.uint8, True),
        (np.complex64, np.float32, True),
        (np.complex128, np.float64, False),
    ],
)
def test_every_dtype_round_trips_with_imagej_calibration(tmp_path, dtype, page_dtype, imagej_native) -> None:
    """Complex -> two channels (real, imaginary); float64 and other integers keep their dtype with
    an ImageJ description (Fiji converts them to 32-bit on opening); bool -> uint8."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, 7, 6)) * 50
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.normal(size=values.shape)
    im = Images(values.astype(dtype), (0.1, 0.3), [ParameterAxis(label="df", units="nm", values=(1.0, 2.0))],
                metadata={"label": "x", "energy": np.float32(3e5)})
    im.to_tiff(tmp_path / "x.tif")
    with tifffile.TiffFile(tmp_path / "x.tif") as tif:
        assert tif.pages.first.dtype == page_dtype
        assert tif.is_imagej and tif.imagej_metadata["unit"] == "\\u00C5"
        assert tif.series[0].axes == ("ZCYX" if np.dtype(dtype).kind == "c" else "ZYX")
        assert (str(np.dtype(page_dtype)) in ("float32", "uint8", "uint16")) == imagej_native
    back = read_tiff(tmp_path / "x.tif")
    assert back.dtype == np.dtype(dtype) and back.metadata == {"label": "x", "energy": 300000.0}
    np.testing.assert_array_equal(back.array, im.array)
    assert back.sampling == (0.1, 0.3)


def test_complex_channels_keep_special_values(tmp_path) -> None:
    array = np.array([[np.inf + 1j, -0.0 - np.inf * 1j], [np.nan, 1 + np.nan * 1j]], np.complex64)
    Images(array, 1.0).to_tiff(tmp_path / "c.tif")
    assert read_tiff(tmp_path / "c.tif").array.tobytes() == array.tobytes()


def test_lazy_data_are_written_block_by_block(tmp_path, monkeypatch) -> None:
    class Computes(Callback):
        count = 0

        def _start(self, dsk):
            Computes.count += 1

    im = make_images((6, 2, 16, 16)).lazy(chunks=(1, -1, -1, -1))
    monkeypatch.setattr(tiff_format, "_PAGES_PER_BLOCK_BYTES", 2 * 16 * 16 * 4 * 2)  # two members a block
    with Computes():
        im.to_tiff(tmp_path / "lazy.tif")
    assert Computes.count == 3  # 6 members, 2 per block: never the whole array at once
    assert_same(read_tiff(tmp_path / "lazy.tif"), im.compute())


def test_only_images_are_written(tmp_path) -> None:
    with pytest.raises(TypeError, match="to_tiff writes Images"):
        make_images().diffractograms().to_tiff(tmp_path / "d.tif")


def test_extra_tifffile_arguments(tmp_path) -> None:
    im = make_images((2, 9, 8))
    im.to_tiff(tmp_path / "z.tif", compression="zlib")
    with tifffile.TiffFile(tmp_path / "z.tif") as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
    assert_same(read_tiff(tmp_path / "z.tif"), im)


# ------------------------------------------------------------------------------ other TIFFs
@pytest.mark.parametrize(
    "unit, factor", [("nm", 10.0), ("micron", 1e4), ("\\u00B5m", 1e4), ("\\u00C5", 1.0), ("pm", 0.01)]
)
def test_imagej_pixel_sizes_in_any_unit(tmp_path, unit, factor) -> None:
    path = tmp_path / "fiji.tif"
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    tifffile.imwrite(path, data, imagej=True, resolution=(1 / 0.5, 1 / 0.25), metadata={"unit": unit})
    im = read_tiff(path)
    assert im.sampling == pytest.approx((0.5 * factor, 0.25 * factor))
    np.testing.assert_array_equal(im.array, data.T)  # columns are x
    assert is_abtem_tiff(path) == (factor == 1.0)


def test_unit_names() -> None:
    for unit, factor in [("µm", 1e4), ("μm", 1e4), ("um", 1e4), (" NM ", 10.0), ("Å", 1.0), ("\u212b", 1.0),
                         ("angstrom", 1.0), ("\\u00c5", 1.0), ("inch", 2.54e8), ("pixel", None), ("", None), (None, None)]:
        assert tiff_format._unit_factor(unit) == factor, unit


def test_imagej_hyperstack_from_fiji(tmp_path) -> None:
    path = tmp_path / "stack.tif"
    data = np.arange(2 * 3 * 2 * 5 * 4, dtype=np.uint16).reshape(2, 3, 2, 5, 4)
    tifffile.imwrite(path, data, imagej=True, resolution=(10, 10),
                     metadata={"axes": "TZCYX", "unit": "nm", "spacing": 2.0, "finterval": 0.5})
    im = read_tiff(path)
    assert im.shape == (2, 3, 2, 4, 5) and im.sampling == pytest.approx((1.0, 1.0))
    t, z, c = im.ensemble_axes_metadata
    assert isinstance(t, LinearAxis) and t.units == "s" and t.sampling == 0.5
    assert isinstance(z, LinearAxis) and z.units == "Å" and z.sampling == pytest.approx(20.0)
    assert c.label == "channel"
    np.testing.assert_array_equal(im.array[1, 2, 0], data[1, 2, 0].T)


def test_ome_tiff_pixel_sizes(tmp_path) -> None:
    path = tmp_path / "x.ome.tif"
    data = np.ones((2, 3, 4), np.float32)
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={
        "axes": "ZYX", "PhysicalSizeX": 0.02, "PhysicalSizeXUnit": "nm", "PhysicalSizeY": 0.03,
        "PhysicalSizeYUnit": "nm", "PhysicalSizeZ": 0.5, "PhysicalSizeZUnit": "nm"})
    im = read_tiff(path)
    assert im.sampling == pytest.approx((0.2, 0.3)) and im.shape == (2, 4, 3)
    assert im.ensemble_axes_metadata[0].sampling == pytest.approx(5.0)
    default_unit = tmp_path / "um.ome.tif"
    tifffile.imwrite(default_unit, data[0], ome=True, metadata={"axes": "YX", "PhysicalSizeX": 0.001,
                                                                 "PhysicalSizeY": 0.002})
    assert read_tiff(default_unit).sampling == pytest.approx((10.0, 20.0))  # OME's default unit: µm


def test_plain_tiff_resolution_units(tmp_path) -> None:
    data = np.ones((3, 4), np.float32)
    tifffile.imwrite(tmp_path / "cm.tif", data, resolution=(1e7, 2e7), resolutionunit="CENTIMETER")
    assert read_tiff(tmp_path / "cm.tif").sampling == pytest.approx((10.0, 5.0))
    tifffile.imwrite(tmp_path / "inch.tif", data, resolution=(2.54e6, 2.54e6), resolutionunit="INCH")
    assert read_tiff(tmp_path / "inch.tif").sampling == pytest.approx((100.0, 100.0))
    tifffile.imwrite(tmp_path / "dpi.tif", data, resolution=(72, 72), resolutionunit="INCH")  # a print resolution
    assert read_tiff(tmp_path / "dpi.tif").sampling == (1.0, 1.0)
    tifffile.imwrite(tmp_path / "none.tif", data)
    plain = read_tiff(tmp_path / "none.tif")
    assert plain.sampling == (1.0, 1.0) and plain.shape == (4, 3)
    assert not is_abtem_tiff(tmp_path / "none.tif")


def test_plain_multipage_tiff(tmp_path) -> None:
    data = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    tifffile.imwrite(tmp_path / "pages.tif", data, photometric="minisblack")
    im = read_tiff(tmp_path / "pages.tif")
    assert im.shape == (3, 5, 4) and im.ensemble_axes_metadata[0].label in ("page", "sample", "z")
    np.testing.assert_array_equal(im.array[2], data[2].T)


def test_bad_tiffs_raise_a_file_error(tmp_path) -> None:
    (tmp_path / "bad.tif").write_bytes(b"II*\x00garbage")
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((4, 5, 3), np.uint8), photometric="rgb")
    good = tmp_path / "good.tif"
    make_images((2, 9, 8)).to_tiff(good)
    (tmp_path / "cut.tif").write_bytes(good.read_bytes()[:300])
    for name, problem in [("bad.tif", "cannot read as TIFF"), ("rgb.tif", "RGB"), ("cut.tif", "cut.tif"),
                          ("missing.tif", "missing.tif")]:
        with pytest.raises(AbtemFileError, match=problem) as info:
            read_tiff(tmp_path / name)
        assert isinstance(info.value, ValueError)
        assert not is_abtem_tiff(tmp_path / name) or name == "cut.tif"


def test_damaged_json_record(tmp_path) -> None:
    path = tmp_path / "x.tif"
    record = {"format": tiff_format.RECORD_FORMAT, "shape": [5, 5], "dtype": "float32", "axes": "nope"}
    tifffile.imwrite(path, np.zeros((4, 4), np.float32), extratags=[(JSON_TAG, "s", 0, json.dumps(record), True)])
    with pytest.raises(AbtemFileError, match="damaged"):
        read_tiff(path)


def test_is_abtem_tiff_never_raises() -> None:
    for weird in (None, 3, "", "\x00", b"\xff", object()):
        assert is_abtem_tiff(weird) is False
    with dask.config.set(scheduler="synchronous"):
        assert is_abtem_tiff(GOLDENS / "com_sto__to_tiff.tif")
