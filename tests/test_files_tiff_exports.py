"""TIFF with physical pixel size (write ImageJ, read ImageJ/OME/plain/abTEM) and exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_temimages import FrozenPhononsAxis, Images, ParameterAxis, from_zarr
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.exports import hyperspy_axes
from napari_temimages._core.tiff_format import read_tiff

from .helpers import make_images

DATA = Path(__file__).parent / "data" / "abtem"
TIFF_FIXTURES = ["hrtem_sto_defocus", "stem_adf_sto_fp", "stem_adf_sto_fp_defocus", "com_sto", "plain_aniso_mos2"]


@pytest.mark.parametrize("name", TIFF_FIXTURES)
def test_abtem_tiffs_read_back_to_the_same_images(name) -> None:
    expected = from_zarr(DATA / "fixtures" / f"{name}.zarr").compute()
    ours = read_tiff(DATA / "goldens" / f"{name}__to_tiff.tif")
    np.testing.assert_array_equal(ours.array, expected.array)
    assert ours.sampling == expected.sampling
    assert ours.axes_metadata == expected.axes_metadata and ours.metadata == expected.metadata


@pytest.mark.parametrize("name", TIFF_FIXTURES)
def test_our_tiff_round_trip(tmp_path, name) -> None:
    im = from_zarr(DATA / "fixtures" / f"{name}.zarr")  # lazy: computed at the boundary
    path = tmp_path / "x.tif"
    im.to_tiff(path)
    back = read_tiff(path)
    eager = im.compute()
    np.testing.assert_array_equal(back.array, eager.array)
    assert back.dtype == eager.dtype and back.sampling == eager.sampling
    assert back.axes_metadata == eager.axes_metadata and back.metadata == eager.metadata


def test_imagej_calibration_in_angstrom_and_never_rgb(tmp_path) -> None:
    im = make_images((3, 9, 8))  # a 3-member stack: abTEM writes RGB here
    path = tmp_path / "x.tif"
    im.to_tiff(path)
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej
        meta = tif.imagej_metadata
        assert meta["unit"] == "\\u00C5" and meta["images"] == 3
        page = tif.pages[0]
        assert page.photometric == tifffile.PHOTOMETRIC.MINISBLACK and page.samplesperpixel == 1
        assert page.shape == (8, 9)  # rows = y, columns = x
        xres = page.tags["XResolution"].value
        assert xres[0] / xres[1] == pytest.approx(1 / 0.1)
        yres = page.tags["YResolution"].value
        assert yres[0] / yres[1] == pytest.approx(1 / 0.2)


def test_float64_and_complex_are_plain_tiffs(tmp_path) -> None:
    for im in (make_images((2, 5, 4), dtype=np.float64), make_images((2, 5, 4), complex_=True)):
        path = tmp_path / "x.tif"
        im.to_tiff(path)
        with tifffile.TiffFile(path) as tif:
            assert not tif.is_imagej
        back = read_tiff(path)
        assert back.dtype == im.dtype
        np.testing.assert_array_equal(back.array, im.array)


@pytest.mark.parametrize("unit, factor", [("nm", 10.0), ("micron", 1e4), ("\\u00C5", 1.0), ("pm", 0.01)])
def test_imagej_units_converted_to_angstrom(tmp_path, unit, factor) -> None:
    path = tmp_path / "fiji.tif"
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    tifffile.imwrite(path, data, imagej=True, resolution=(1 / 0.5, 1 / 0.25), metadata={"unit": unit})
    im = read_tiff(path)
    assert im.sampling == pytest.approx((0.5 * factor, 0.25 * factor))
    np.testing.assert_array_equal(im.array, data.T)  # columns are x


def test_ome_and_plain_tiff(tmp_path) -> None:
    path = tmp_path / "x.ome.tif"
    data = np.ones((2, 3, 4), np.float32)
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={"axes": "ZYX", "PhysicalSizeX": 0.02, "PhysicalSizeXUnit": "nm",
                                           "PhysicalSizeY": 0.03, "PhysicalSizeYUnit": "nm"})
    im = read_tiff(path)
    assert im.sampling == pytest.approx((0.2, 0.3)) and im.shape == (2, 4, 3)
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, data[0])
    assert read_tiff(plain).sampling == (1.0, 1.0)
    cm = tmp_path / "cm.tif"
    tifffile.imwrite(cm, data[0], resolution=(1e7, 1e7), resolutionunit="CENTIMETER")
    assert read_tiff(cm).sampling == pytest.approx((10.0, 10.0))


def test_bad_tiff(tmp_path) -> None:
    path = tmp_path / "bad.tif"
    path.write_bytes(b"II*\x00garbage")
    with pytest.raises(AbtemFileError, match="bad.tif"):
        read_tiff(path)


def test_tiff_from_lazy_and_rejects_other_types(tmp_path) -> None:
    make_images().lazy().to_tiff(tmp_path / "lazy.tif")
    assert read_tiff(tmp_path / "lazy.tif").shape == make_images().shape
    with pytest.raises(TypeError):
        make_images().diffractograms().to_tiff(tmp_path / "d.tif")


def test_to_data_array_lazy_and_coordinates() -> None:
    im = make_images().lazy()
    da_ = im.to_data_array()
    assert da_.dims == ("Frozen phonons", "C10", "x", "y")
    assert da_.coords["C10"].attrs["units"] == "Å"
    np.testing.assert_allclose(da_.coords["x"].values, np.arange(9) * 0.1)
    assert da_.attrs["long_name"] == "intensity"
    import dask.array as dask_array

    assert isinstance(da_.data, dask_array.Array)


def test_hyperspy_axes_follow_the_data_order() -> None:
    """abTEM reverses ensemble axes (wrong with two or more) and rejects frozen phonons."""
    im = Images(np.zeros((3, 2, 5, 4)), (0.1, 0.2), [ParameterAxis(label="df", units="Å", values=(1.0, 2.0, 3.0)),
                                                      FrozenPhononsAxis()])
    axes = hyperspy_axes(im)
    assert [a["name"] for a in axes] == ["df", "Frozen phonons", "y", "x"]
    assert [a["size"] for a in axes] == [3, 2, 4, 5]
    assert axes[-1]["scale"] == 0.1 and axes[-2]["scale"] == 0.2 and list(axes[0]["axis"]) == [1.0, 2.0, 3.0]


def test_to_hyperspy_signal() -> None:
    hs = pytest.importorskip("hyperspy.api", reason="hyperspy is an optional extra (not installed)")
    im = make_images((2, 3, 5, 4))
    signal = im.to_hyperspy()
    assert signal.data.shape == (2, 3, 4, 5)
    assert signal.axes_manager.signal_axes[0].scale == pytest.approx(0.1)
