"""The types the image operations return survive the zarr round trip, ours and abTEM's files."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import DiffractionPatterns, Images, RealSpaceLineProfiles, from_zarr

from .helpers import make_images
from .parity.live import to_abtem_axis

pytest.importorskip("napari_temimages._core.zarr_format", reason="the zarr reader/writer (issue 4) is not in the tree yet")
abtem = pytest.importorskip("abtem", reason="abtem==1.0.11 (test extra) writes the reference files")

RESULTS = {
    "crop": lambda im: im.crop((0.5, 0.8)),
    "diffractograms": lambda im: im.diffractograms(),
    "interpolate_line": lambda im: im.interpolate_line(end=(0.7, 1.1), gpts=9, width=0.3),
    "poisson_noise": lambda im: im.poisson_noise(total_dose=[10.0, 20.0], samples=2, seed=1),
    "scan_noise": lambda im: im.scan_noise(1e-5, 1e-4, [1.0, 2.0], num_components=10, seed=1),
    "integrate_gradient": lambda im: make_images((2, 9, 8), complex_=True).integrate_gradient(),
}


def _same(a, b) -> None:
    assert type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(np.asarray(a.array), np.asarray(b.array))
    assert np.allclose(np.atleast_1d(a.sampling), np.atleast_1d(b.sampling), rtol=1e-15)
    assert a.ensemble_axes_metadata == b.ensemble_axes_metadata
    assert a.metadata == b.metadata


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_our_files_round_trip(name, tmp_path) -> None:
    result = RESULTS[name](make_images((2, 3, 9, 8)))
    for suffix in (".zarr", ".zip"):
        path = str(tmp_path / f"{name}{suffix}")
        result.to_zarr(path)
        _same(from_zarr(path).compute(), result)


def _abtem_object(obj):
    axes = [to_abtem_axis(a) for a in obj.ensemble_axes_metadata]
    array, metadata = np.asarray(obj.array), dict(obj.metadata)
    if isinstance(obj, DiffractionPatterns):
        return abtem.measurements.DiffractionPatterns(array, sampling=obj.sampling, fftshift=obj.fftshift,
                                                      ensemble_axes_metadata=axes, metadata=metadata)
    if isinstance(obj, RealSpaceLineProfiles):
        return abtem.measurements.RealSpaceLineProfiles(array, sampling=obj.sampling, ensemble_axes_metadata=axes,
                                                        metadata=metadata)
    assert isinstance(obj, Images)
    return abtem.Images(array, sampling=obj.sampling, ensemble_axes_metadata=axes, metadata=metadata)


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_files_abtem_writes_read_back_as_our_types(name, tmp_path) -> None:
    result = RESULTS[name](make_images((2, 3, 9, 8)))
    path = str(tmp_path / f"{name}.zarr")
    _abtem_object(result).to_zarr(path)
    _same(from_zarr(path).compute(), result)
    ours = str(tmp_path / f"ours_{name}.zarr")
    result.to_zarr(ours)
    theirs = abtem.from_zarr(ours).compute()
    assert type(theirs).__name__ == type(result).__name__
    np.testing.assert_array_equal(np.asarray(theirs.array), np.asarray(result.array))
