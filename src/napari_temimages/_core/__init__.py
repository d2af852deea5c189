"""Qt-free, napari-free model of abTEM's ``Images`` and the measurements it returns.

Nothing here imports napari, Qt or (until a GPU is requested) cupy.
"""

from .axes import (
    AxisAlignedTiltAxis,
    AxisMetadata,
    FrozenPhononsAxis,
    LinearAxis,
    NonLinearAxis,
    OrdinalAxis,
    ParameterAxis,
    PlasmonAxis,
    PositionsAxis,
    PrismPlaneWavesAxis,
    RealSpaceAxis,
    ReciprocalSpaceAxis,
    SampleAxis,
    ScanAxis,
    ThicknessAxis,
    TiltAxis,
    UnknownAxis,
    WaveVectorAxis,
)
from .diffraction import DiffractionPatterns
from .ensemble_measurements import MeasurementsEnsemble
from .errors import AbtemFileError, DeviceUnavailableError, InvalidArgumentError, InvalidTypeError
from .images import Images
from .line_profiles import RealSpaceLineProfiles, ReciprocalSpaceLineProfiles


def from_zarr(url, chunks="auto"):
    """Read an abTEM zarr store (directory or ``.zip``, any layout abTEM wrote).

    Returns the object the file holds (Images, DiffractionPatterns, line profiles, ...), or a
    list when the store holds several. Always lazy (dask over zarr).
    """
    from .zarr_format import read_zarr

    return read_zarr(url, chunks=chunks)


__all__ = [
    "AbtemFileError",
    "AxisAlignedTiltAxis",
    "AxisMetadata",
    "DeviceUnavailableError",
    "DiffractionPatterns",
    "FrozenPhononsAxis",
    "Images",
    "InvalidArgumentError",
    "InvalidTypeError",
    "LinearAxis",
    "MeasurementsEnsemble",
    "NonLinearAxis",
    "OrdinalAxis",
    "ParameterAxis",
    "PlasmonAxis",
    "PositionsAxis",
    "PrismPlaneWavesAxis",
    "RealSpaceAxis",
    "RealSpaceLineProfiles",
    "ReciprocalSpaceAxis",
    "ReciprocalSpaceLineProfiles",
    "SampleAxis",
    "ScanAxis",
    "ThicknessAxis",
    "TiltAxis",
    "UnknownAxis",
    "WaveVectorAxis",
    "from_zarr",
]
