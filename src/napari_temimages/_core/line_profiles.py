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
