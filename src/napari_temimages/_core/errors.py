"""Exception classes of napari-temimages.

abTEM raises ``RuntimeError`` for most argument problems. Our errors name the problem and are
``ValueError``/``TypeError`` as Python users expect, while still being ``RuntimeError`` subclasses
so that abTEM scripts that catch ``RuntimeError`` keep working.
"""

from __future__ import annotations


class InvalidArgumentError(ValueError, RuntimeError):
    """A value is out of range or inconsistent (wrong shape, axis, extent, ...)."""


class InvalidTypeError(TypeError, RuntimeError):
    """An argument or the data has the wrong type (e.g. real data into a complex-only method)."""


class AbtemFileError(ValueError):
    """A file or store cannot be read as (or written to) an abTEM measurement.

    The message names the file and the problem. Raised for corrupt, truncated, hostile or
    foreign stores; never for programming errors.
    """

    def __init__(self, path: object, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DeviceUnavailableError(RuntimeError):
    """The requested device (GPU) cannot be used: CuPy missing or no CUDA device."""
