"""Image filters: ``Images.gaussian_filter`` (spec §3.7, §6.3).

Array layout ``(*ensemble, n_x, n_y)`` (axis -2 = x, -1 = y). ``sigma`` is the standard
deviation in Å, converted to pixels per axis (``sigma_x / d_x``, ``sigma_y / d_y``); the kernel is
``scipy.ndimage.gaussian_filter``'s (truncated at 4 sigma), applied to the whole stack in one call
with sigma 0 on the ensemble axes.
"""

from __future__ import annotations

from typing import Any

from ..backend import get_backend
from ..ensemble import map_images
from ..errors import InvalidArgumentError
from .geometry import is_number, positive_pair

__all__ = ["gaussian_filter", "gaussian_filter_stack", "BOUNDARY_MODES"]

#: abTEM boundary name -> scipy.ndimage mode.
BOUNDARY_MODES = {"periodic": "wrap", "reflect": "reflect", "constant": "constant"}


def gaussian_filter_stack(stack: Any, sigma_pixels: tuple[float, float], mode: str, cval: float = 0.0) -> Any:
    """Gaussian filter of every image of a stack; ``sigma_pixels`` along (x, y) in pixels.

    Output dtype = input dtype (complex data are filtered part-wise, integers stay integers).
    """
    ndi = get_backend(stack).ndimage()
    sigma = (0.0,) * (stack.ndim - 2) + tuple(sigma_pixels)
    return ndi.gaussian_filter(stack, sigma=sigma, mode=mode, cval=cval, truncate=4.0)


def gaussian_filter(images: Any, sigma: Any, boundary: str = "periodic", cval: float = 0.0) -> Any:
    """Gaussian blur with standard deviation ``sigma`` Å (number or ``(sigma_x, sigma_y)``).

    ``boundary``: ``"periodic"`` (wrap), ``"reflect"`` (edge pixel repeated) or ``"constant"``
    (filled with ``cval``).
    """
    sigma = positive_pair(sigma, "gaussian_filter sigma")
    if boundary not in BOUNDARY_MODES:
        raise InvalidArgumentError(
            f"gaussian_filter: unknown boundary {boundary!r}; use one of {', '.join(BOUNDARY_MODES)}"
        )
    if not is_number(cval):
        raise InvalidArgumentError(f"gaussian_filter: cval must be a number, got {cval!r}")
    pixels = (sigma[0] / images.sampling[0], sigma[1] / images.sampling[1])
    array = map_images(
        gaussian_filter_stack, images.array, sigma_pixels=pixels, mode=BOUNDARY_MODES[boundary], cval=float(cval)
    )
    return images._new(array)
