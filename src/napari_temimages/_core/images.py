"""``Images``: a stack of 2D real-space images (abTEM's ``Images``, name-compatible).

Array layout ``(*ensemble, n_x, n_y)`` — axis -2 is x, axis -1 is y; sampling in Å. Pixel
``(i, j)`` sits at ``(i d_x, j d_y)``. The ensemble axes (defocus series, frozen phonons, ...) are
described by :mod:`.axes` objects. Every operation returns a new object, lazily for dask data.

The image operations themselves live in :mod:`.ops` (one module per concern); the methods here
are the user API.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .axes import AxisMetadata, LinearAxis, RealSpaceAxis
from .errors import InvalidTypeError
from .measurement2d import BaseMeasurement2D

__all__ = ["Images"]


class Images(BaseMeasurement2D):
    """2D images with ensemble axes.

    Parameters
    ----------
    array
        numpy, cupy or dask array ``(*ensemble, n_x, n_y)``; axis -2 is x, -1 is y.
    sampling
        Pixel size in Å, a number or ``(d_x, d_y)``.
    ensemble_axes_metadata
        One axis description per ensemble axis (default: :class:`~.axes.UnknownAxis` each).
    metadata
        Free-form dict: ``energy`` [eV], ``label``, ``units``, ...
    """

    # ------------------------------------------------------------------ axes
    @property
    def base_axes_metadata(self) -> list[AxisMetadata]:
        """``x`` and ``y`` :class:`RealSpaceAxis` in Å (new objects on each access)."""
        dx, dy = self.sampling
        return [
            RealSpaceAxis(label="x", sampling=dx, units="Å", tex_label="$x$", offset=0.0, endpoint=True),
            RealSpaceAxis(label="y", sampling=dy, units="Å", tex_label="$y$", offset=0.0, endpoint=True),
        ]

    @property
    def offset(self) -> tuple[float, float]:
        """Physical position of pixel (0, 0): always ``(0.0, 0.0)`` as in abTEM."""
        return (0.0, 0.0)

    @property
    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x_i = i d_x, y_j = j d_y)`` in Å, float64."""
        nx, ny = self.base_shape
        return np.arange(nx) * self.sampling[0], np.arange(ny) * self.sampling[1]

    @classmethod
    def from_array_and_metadata(
        cls, array: Any, axes_metadata: Sequence[AxisMetadata], metadata: dict | None = None
    ) -> "Images":
        """Build from metadata for all axes; the last two must be linear (their sampling is used)."""
        axes = list(axes_metadata)
        if len(axes) != array.ndim:
            raise InvalidTypeError(f"{len(axes)} axes metadata given for an array with {array.ndim} dimensions")
        if len(axes) < 2 or not all(isinstance(a, LinearAxis) for a in axes[-2:]):
            raise InvalidTypeError(
                "Images.from_array_and_metadata: the last two axes must be linear (e.g. RealSpaceAxis), "
                f"got {[type(a).__name__ for a in axes[-2:]]}"
            )
        return cls(
            array,
            sampling=(axes[-2].sampling, axes[-1].sampling),
            ensemble_axes_metadata=axes[:-2],
            metadata=metadata,
        )

    # ------------------------------------------------------------------ geometry
    def crop(self, extent: Sequence[float], offset: Sequence[float] = (0.0, 0.0), centered: bool = False) -> "Images":
        """Crop to ``extent`` [Å] starting at ``offset`` [Å] (or centred)."""
        from .ops.geometry import crop

        return crop(self, extent, offset=offset, centered=centered)

    def tile(self, repetitions: Sequence[int]) -> "Images":
        """Periodic tiling ``(r_x, r_y)`` times."""
        from .ops.geometry import tile

        return tile(self, repetitions)

    def integrate_disc(self, position: Sequence[float], radius: float) -> Any:
        """Sum of pixel values inside a disc (centre ``position`` [Å], ``radius`` [Å]) per member."""
        from .ops.geometry import integrate_disc

        return integrate_disc(self, position, radius)

    # ------------------------------------------------------------------ resampling and filters
    def interpolate(
        self,
        sampling: float | Sequence[float] | None = None,
        gpts: int | Sequence[int] | None = None,
        method: str = "fft",
        boundary: str = "periodic",
        order: int = 3,
        normalization: str = "values",
        cval: float = 0.0,
    ) -> "Images":
        """Resample to a new ``sampling`` [Å] or ``gpts`` by Fourier or spline interpolation."""
        from .ops.resample import interpolate

        return interpolate(
            self,
            sampling=sampling,
            gpts=gpts,
            method=method,
            boundary=boundary,
            order=order,
            normalization=normalization,
            cval=cval,
        )

    def gaussian_filter(
        self, sigma: float | Sequence[float], boundary: str = "periodic", cval: float = 0.0
    ) -> "Images":
        """Gaussian blur with standard deviation ``sigma`` in Å."""
        from .ops.filters import gaussian_filter

        return gaussian_filter(self, sigma, boundary=boundary, cval=cval)

    # ------------------------------------------------------------------ Fourier space
    def diffractograms(self) -> Any:
        """``fftshift(|FFT2(image)|)`` as :class:`DiffractionPatterns` (sampling 1/extent, 1/Å)."""
        from .ops.fourier import diffractograms

        return diffractograms(self)

    def integrate_gradient(self) -> "Images":
        """Integrate a complex gradient image (real = d/dx, imag = d/dy) by Fourier integration."""
        from .ops.fourier import integrate_gradient

        return integrate_gradient(self)

    # ------------------------------------------------------------------ line profiles
    def interpolate_line(
        self,
        start: Any = None,
        end: Any = None,
        sampling: float | None = None,
        gpts: int | None = None,
        width: float = 0.0,
        margin: float | Sequence[float] = 0.0,
        order: int = 3,
        endpoint: bool = False,
        fractional: bool = False,
    ) -> Any:
        """Line profile from ``start`` to ``end`` (``(x, y)`` in Å) -> ``RealSpaceLineProfiles``."""
        from .ops.lines import interpolate_line

        return interpolate_line(
            self,
            start=start,
            end=end,
            sampling=sampling,
            gpts=gpts,
            width=width,
            margin=margin,
            order=order,
            endpoint=endpoint,
            fractional=fractional,
        )

    def interpolate_line_at_position(
        self,
        center: Any,
        angle: float,
        extent: float,
        gpts: int | None = None,
        sampling: float | None = None,
        width: float = 0.0,
        order: int = 3,
        endpoint: bool = True,
    ) -> Any:
        """Line profile of length ``extent`` [Å] through ``center`` at ``angle`` degrees from +x."""
        from .ops.lines import interpolate_line_at_position

        return interpolate_line_at_position(
            self,
            center=center,
            angle=angle,
            extent=extent,
            gpts=gpts,
            sampling=sampling,
            width=width,
            order=order,
            endpoint=endpoint,
        )

    # ------------------------------------------------------------------ noise
    def poisson_noise(
        self,
        dose_per_area: float | Sequence[float] | None = None,
        total_dose: float | Sequence[float] | None = None,
        samples: int = 1,
        seed: int | None = None,
    ) -> "Images":
        """Poisson counts for a dose in electrons/Å² (or per pixel at unit value), abTEM's seeding."""
        from .ops.noise import poisson_noise

        return poisson_noise(self, dose_per_area=dose_per_area, total_dose=total_dose, samples=samples, seed=seed)

    def scan_noise(
        self,
        dwell_time: float,
        flyback_time: float,
        rms_power: float | Sequence[float],
        max_frequency: float = 500.0,
        num_components: int = 200,
        seed: int | None = None,
    ) -> "Images":
        """STEM scan distortion (dwell/flyback in s, rms_power in % FWHM, max_frequency in Hz)."""
        from .ops.noise import scan_noise

        return scan_noise(
            self,
            dwell_time=dwell_time,
            flyback_time=flyback_time,
            rms_power=rms_power,
            max_frequency=max_frequency,
            num_components=num_components,
            seed=seed,
        )

    # ------------------------------------------------------------------ display
    def show(self, *args: Any, **kwargs: Any) -> Any:
        """Matplotlib figure as abTEM draws it: x to the right, y up, axes in Å."""
        from .visualize import show

        return show(self, *args, **kwargs)
