"""Sample data: a small HRTEM defocus series and a STEM frozen-phonon × defocus series.

Both are abTEM outputs shipped in ``napari_temimages/data`` (see its README). The sample-data
commands return layer data made by :func:`napari_temimages.layer_data.to_layer_data`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLES", "sample_path", "load_sample", "hrtem_defocus_series", "stem_frozen_phonons"]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: key -> (file name, display name)
SAMPLES = {
    "hrtem_defocus": ("hrtem_sto_defocus.zip", "HRTEM defocus series (SrTiO3)"),
    "stem_frozen_phonons": ("stem_adf_sto_fp_defocus.zip", "STEM ADF frozen phonons × defocus (SrTiO3)"),
}


def sample_path(key: str) -> Path:
    """Path of the file behind sample ``key`` (``"hrtem_defocus"`` or ``"stem_frozen_phonons"``)."""
    try:
        return DATA_DIR / SAMPLES[key][0]
    except KeyError:
        raise KeyError(f"unknown sample {key!r}; choose from {', '.join(SAMPLES)}") from None


def load_sample(key: str):
    """The sample as a (lazy) measurement object."""
    from ._core.zarr_format import read_zarr

    return read_zarr(str(sample_path(key)), chunks=None)


def _layers(key: str) -> list:
    from ._viewer import prepare_current_viewer
    from .layer_data import to_layer_data

    name = SAMPLES[key][0].rsplit(".", 1)[0]
    layers = to_layer_data(load_sample(key), name=name)
    prepare_current_viewer()
    return layers


def hrtem_defocus_series() -> list:
    """Sample-data command: HRTEM defocus series, 4 × 118 × 118."""
    return _layers("hrtem_defocus")


def stem_frozen_phonons() -> list:
    """Sample-data command: STEM ADF, 3 frozen phonons × 3 defocus × 20 × 16."""
    return _layers("stem_frozen_phonons")
