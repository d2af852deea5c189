"""Line profiles: ``RealSpaceLineProfiles`` (what ``Images.interpolate_line`` returns) and
``ReciprocalSpaceLineProfiles``. One base axis (the last): position along the line,
``r_k = k * sampling`` in Å (1/Å) from ``metadata['start']``.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .array_object import ArrayObject
from .axes import AxisMetadata, LinearAxis, RealSpaceAxis, ReciprocalSpaceAxis
from .errors import InvalidArgumentError, InvalidTypeError

__all__ = ["RealSpaceLineProfiles", "ReciprocalSpaceLineProfiles"]


class _LineProfiles(ArrayObject):
    _base_dims = 1

    def __init__(
        self,
        array: Any,
        sampling: float | None = None,
        ensemble_axes_metadata: Sequence[AxisMetadata] | None = None,
        metadata: dict | None = None,
    ):
        if sampling is None:
            sampling = 1.0
        if isinstance(sampling, bool) or not isinstance(sampling, (numbers.Real, np.number)):
            raise InvalidTypeError(f"line profile sampling must be a number, not {sampling!r}")
        if not np.isfinite(sampling) or sampling <= 0:
            raise InvalidArgumentError(f"line profile sampling must be positive, got {sampling}")
        self._sampling = float(sampling)
        super().__init__(array, ensemble_axes_metadata=ensemble_axes_metadata, metadata=metadata)

    def _init_kwargs(self) -> dict:
        return {"sampling": self._sampling, **super()._init_kwargs()}

    @property
    def sampling(self) -> float:
        return self._sampling

    @property
    def extent(self) -> float:
        return self._sampling * self.shape[-1]

    @classmethod
    def from_array_and_metadata(cls, array: Any, axes_metadata: Sequence[AxisMetadata], metadata: dict | None = None):
        axes = list(axes_metadata)
        if len(axes) != array.ndim or not axes or not isinstance(axes[-1], LinearAxis):
            raise InvalidTypeError(f"{cls.__name__} needs a linear last axis")
        return cls(array, sampling=axes[-1].sampling, ensemble_axes_metadata=axes[:-1], metadata=metadata)

    def interpolate(
        self, sampling: float | None = None, gpts: int | None = None, order: int = 3, endpoint: bool = False
    ) -> "_LineProfiles":
        """Periodic spline resampling to ``gpts`` points or a step of ``sampling`` (Å / 1/Å).

        ``endpoint=True`` also samples the end of the period (step ``extent / (gpts - 1)``).
        """
        from .ops.lines import profile_interpolate

        return profile_interpolate(self, sampling=sampling, gpts=gpts, order=order, endpoint=endpoint)

    def tile(self, repetitions: int) -> "_LineProfiles":
        """Repeat every profile ``repetitions`` times (periodic continuation)."""
        from .ops.lines import tile_profiles

        return tile_profiles(self, repetitions)

    def width(self, height: float = 0.5) -> Any:
        """Full width at ``height`` x maximum (0.5: FWHM) per profile, in the base-axis units.

        Crossings are interpolated linearly; NaN where a profile does not cross the level twice.
        Returns an array of the ensemble shape (dask for lazy profiles).
        """
        from .ops.lines import profile_widths

        return profile_widths(self, height=height)

    def show(self, *args: Any, **kwargs: Any) -> Any:
        """Line plot(s) with matplotlib (see :func:`.visualize.show`)."""
        from .visualize import show

        return show(self, *args, **kwargs)


class RealSpaceLineProfiles(_LineProfiles):
    """Profiles along a real-space line; base axis ``r`` in Å."""

    @property
    def base_axes_metadata(self) -> list[AxisMetadata]:
        return [RealSpaceAxis(label="r", sampling=self._sampling, units="Å", tex_label="$r$")]


class ReciprocalSpaceLineProfiles(_LineProfiles):
    """Profiles along a reciprocal-space line; base axis ``k`` in 1/Å."""

    @property
    def base_axes_metadata(self) -> list[AxisMetadata]:
        return [ReciprocalSpaceAxis(label="k", sampling=self._sampling, units="1/Å", tex_label="$k$")]

    @property
    def angular_extent(self) -> float:
        """``extent * wavelength * 1000`` in mrad (needs ``metadata['energy']`` in eV)."""
        from .diffraction import energy_to_wavelength

        if "energy" not in self.metadata:
            raise InvalidArgumentError("energy not in measurement metadata (needed for angles)")
        return self.extent * energy_to_wavelength(float(self.metadata["energy"])) * 1e3
