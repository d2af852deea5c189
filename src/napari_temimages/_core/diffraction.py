"""``DiffractionPatterns``: 2D reciprocal-space measurements (what ``Images.diffractograms()`` returns).

Layout ``(*ensemble, n_kx, n_ky)``; sampling ``dk`` in 1/Å. With ``fftshift=True`` the zero
frequency sits at index ``n // 2``; otherwise at index 0 (numpy storage order).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .axes import AxisMetadata, ReciprocalSpaceAxis
from .errors import InvalidArgumentError, InvalidTypeError
from .measurement2d import BaseMeasurement2D

__all__ = ["DiffractionPatterns", "energy_to_wavelength"]


def energy_to_wavelength(energy: float) -> float:
    """Relativistic electron wavelength in Å for a beam energy in eV (CODATA constants as in ASE)."""
    m0c2 = 510998.95000  # electron rest energy, eV
    hc = 12398.419843320026  # h c in eV Å
    return hc / np.sqrt(energy * (2 * m0c2 + energy))


class DiffractionPatterns(BaseMeasurement2D):
    """Diffraction patterns / power spectra with reciprocal sampling ``(dk_x, dk_y)`` in 1/Å."""

    def __init__(
        self,
        array: Any,
        sampling: float | Sequence[float],
        fftshift: bool = False,
        ensemble_axes_metadata: Sequence[AxisMetadata] | None = None,
        metadata: dict | None = None,
    ):
        self._fftshift = bool(fftshift)
        super().__init__(array, sampling, ensemble_axes_metadata=ensemble_axes_metadata, metadata=metadata)

    def _init_kwargs(self) -> dict:
        kwargs = super()._init_kwargs()
        return {"sampling": kwargs.pop("sampling"), "fftshift": self._fftshift, **kwargs}

    @property
    def fftshift(self) -> bool:
        return self._fftshift

    @property
    def limits(self) -> list[tuple[float, float]]:
        """Lowest and highest frequency per base axis, 1/Å."""
        out = []
        for n, dk in zip(self.base_shape, self.sampling):
            if n % 2:
                out.append((-(n - 1) / 2 * dk, (n - 1) / 2 * dk))
            else:
                out.append((-n / 2 * dk, (n / 2 - 1) * dk))
        return out

    @property
    def offset(self) -> tuple[float, float]:
        """Lowest frequency per axis, 1/Å."""
        return tuple(lim[0] for lim in self.limits)  # type: ignore[return-value]

    @property
    def extent(self) -> tuple[float, float]:
        """``n dk`` per axis, 1/Å (abTEM reports a negative, one-pixel-short value)."""
        return super().extent

    @property
    def base_axes_metadata(self) -> list[AxisMetadata]:
        (ox, oy), (dx, dy) = self.offset, self.sampling
        return [
            ReciprocalSpaceAxis(label="kx", sampling=dx, offset=ox, units="1/Å", fftshift=self._fftshift, tex_label="$k_x$"),
            ReciprocalSpaceAxis(label="ky", sampling=dy, offset=oy, units="1/Å", fftshift=self._fftshift, tex_label="$k_y$"),
        ]

    @property
    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Frequencies per axis in 1/Å, in storage order."""
        axes = self.base_axes_metadata
        return axes[0].coordinates(self.base_shape[0]), axes[1].coordinates(self.base_shape[1])

    def _energy(self) -> float:
        if "energy" not in self.metadata:
            raise InvalidArgumentError("energy not in measurement metadata (needed for angles)")
        return float(self.metadata["energy"])

    @property
    def wavelength(self) -> float:
        """Electron wavelength in Å from ``metadata['energy']`` (eV)."""
        return energy_to_wavelength(self._energy())

    @property
    def angular_sampling(self) -> tuple[float, float]:
        """Sampling in mrad."""
        lam = self.wavelength
        return (self.sampling[0] * lam * 1e3, self.sampling[1] * lam * 1e3)

    @property
    def max_angles(self) -> tuple[float, float]:
        ax, ay = self.angular_sampling
        return (self.base_shape[0] // 2 * ax, self.base_shape[1] // 2 * ay)

    @classmethod
    def from_array_and_metadata(
        cls, array: Any, axes_metadata: Sequence[AxisMetadata], metadata: dict | None = None
    ) -> "DiffractionPatterns":
        axes = list(axes_metadata)
        if len(axes) != array.ndim or len(axes) < 2 or not all(isinstance(a, ReciprocalSpaceAxis) for a in axes[-2:]):
            raise InvalidTypeError("DiffractionPatterns needs two ReciprocalSpaceAxis base axes")
        return cls(
            array,
            sampling=(axes[-2].sampling, axes[-1].sampling),
            fftshift=axes[-2].fftshift,
            ensemble_axes_metadata=axes[:-2],
            metadata=metadata,
        )

    def show(self, *args: Any, **kwargs: Any) -> Any:
        """Matplotlib figure in 1/Å (see :func:`.visualize.show`)."""
        from .visualize import show

        return show(self, *args, **kwargs)
