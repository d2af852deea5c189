"""The one place that decides numpy / cupy / dask dispatch.

Operations never test array types themselves. They ask this module for

* :func:`get_backend` — the :class:`ArrayBackend` of an array (numpy or cupy; for a dask array
  the backend of its chunks, read from ``_meta``), giving the array module ``xp``, the FFT module
  (``scipy.fft`` / ``cupyx.scipy.fft``), the ndimage module and host/device transfers;
* :func:`is_lazy` — whether an array is a dask array;
* :func:`to_device` / :func:`to_host` — explicit transfers (lazy arrays get a per-block transfer).

CuPy is imported only when a GPU backend is requested or a cupy array is seen; importing the
package never imports it. Tests may register a fake device backend with :func:`register_backend`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

import numpy as np

from .errors import DeviceUnavailableError, InvalidArgumentError

__all__ = [
    "ArrayBackend",
    "NUMPY",
    "get_backend",
    "get_backend_for_device",
    "device_of",
    "is_lazy",
    "register_backend",
    "unregister_backend",
    "to_device",
    "to_host",
    "normalize_device",
]


@dataclass(frozen=True)
class ArrayBackend:
    """Array module and companions for one device.

    Attributes
    ----------
    device
        ``"cpu"`` or ``"gpu"`` (what ``Images.device`` reports).
    xp
        The array module (``numpy`` or ``cupy``).
    owns
        Predicate: does this backend own an (eager) array?
    fft_module, ndimage_module
        Callables returning ``scipy.fft``-like and ``scipy.ndimage``-like modules.
    asarray
        Host (numpy) array -> device array.
    asnumpy
        Device array -> numpy array (the only sanctioned host copy).
    fft_workers
        ``workers`` argument for ``scipy.fft`` calls (None where unsupported).
    """

    device: str
    xp: Any
    owns: Callable[[Any], bool]
    fft_module: Callable[[], Any]
    ndimage_module: Callable[[], Any]
    asarray: Callable[[Any], Any]
    asnumpy: Callable[[Any], np.ndarray]
    fft_workers: int | None = None
    name: str = ""

    def fft(self) -> Any:
        return self.fft_module()

    def ndimage(self) -> Any:
        return self.ndimage_module()

    def fft_kwargs(self) -> dict:
        """Extra keyword arguments for this backend's FFT calls (threads on the CPU)."""
        return {} if self.fft_workers is None else {"workers": self.fft_workers}

    def empty_meta(self, ndim: int, dtype: Any) -> Any:
        """A zero-size array of this backend, used as dask ``meta``."""
        return self.xp.empty((0,) * ndim, dtype=dtype)


def _scipy_fft() -> ModuleType:
    import scipy.fft

    return scipy.fft


def _scipy_ndimage() -> ModuleType:
    import scipy.ndimage

    return scipy.ndimage


def _cpu_count() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


NUMPY = ArrayBackend(
    device="cpu",
    xp=np,
    owns=lambda a: isinstance(a, (np.ndarray, np.generic)),
    fft_module=_scipy_fft,
    ndimage_module=_scipy_ndimage,
    asarray=np.asarray,
    asnumpy=np.asarray,
    fft_workers=_cpu_count(),
    name="numpy",
)

# Extra backends, most recently registered first. The cupy backend is added on demand.
_BACKENDS: list[ArrayBackend] = []


def register_backend(backend: ArrayBackend) -> None:
    """Register a device backend (used for cupy, and by tests for a strict fake device)."""
    unregister_backend(backend.device)
    _BACKENDS.insert(0, backend)


def unregister_backend(device: str) -> None:
    """Remove the backend registered for ``device`` (no-op if none)."""
    _BACKENDS[:] = [b for b in _BACKENDS if b.device != device]


def _cupy_backend() -> ArrayBackend:
    try:
        import cupy
        import cupyx.scipy.fft  # noqa: F401
        import cupyx.scipy.ndimage  # noqa: F401
    except ImportError as exc:
        raise DeviceUnavailableError(
            "GPU requested but CuPy is not installed (pip install 'napari-temimages[gpu]')"
        ) from exc
    try:
        available = bool(cupy.cuda.is_available())
    except Exception:  # pragma: no cover - depends on the driver
        available = False
    if not available:
        raise DeviceUnavailableError("GPU requested but no CUDA device is available to CuPy")
    return ArrayBackend(
        device="gpu",
        xp=cupy,
        owns=lambda a: isinstance(a, cupy.ndarray),
        fft_module=lambda: sys.modules["cupyx.scipy.fft"],
        ndimage_module=lambda: sys.modules["cupyx.scipy.ndimage"],
        asarray=cupy.asarray,
        asnumpy=cupy.asnumpy,
        fft_workers=None,
        name="cupy",
    )


def normalize_device(device: str) -> str:
    """``"cpu"``/``"numpy"`` -> ``"cpu"``; ``"gpu"``/``"cupy"`` -> ``"gpu"`` (case-insensitive)."""
    if not isinstance(device, str):
        raise InvalidArgumentError(f"device must be a string such as 'cpu' or 'gpu', not {device!r}")
    key = device.lower()
    if key in ("cpu", "numpy"):
        return "cpu"
    if key in ("gpu", "cupy", "cuda") or key.startswith("cuda:"):
        return "gpu"
    raise InvalidArgumentError(f"unknown device {device!r}: use 'cpu' or 'gpu'")


def get_backend_for_device(device: str) -> ArrayBackend:
    """The backend for a device name; raises :class:`DeviceUnavailableError` for a missing GPU."""
    device = normalize_device(device)
    if device == "cpu":
        return NUMPY
    for backend in _BACKENDS:
        if backend.device == device:
            return backend
    backend = _cupy_backend()
    register_backend(backend)
    return backend


def is_lazy(array: Any) -> bool:
    """True for dask arrays."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(array, da.Array)


def _eager_of(array: Any) -> Any:
    if is_lazy(array):
        meta = array._meta
        return meta if meta is not None else np.empty(0)
    return array


def get_backend(array: Any) -> ArrayBackend:
    """The backend owning ``array`` (for dask arrays: the backend of its chunks)."""
    eager = _eager_of(array)
    if isinstance(eager, (np.ndarray, np.generic)):
        return NUMPY
    for backend in _BACKENDS:
        if backend.owns(eager):
            return backend
    if type(eager).__module__.startswith("cupy"):
        backend = get_backend_for_device("gpu")
        if backend.owns(eager):
            return backend
    return NUMPY


def device_of(array: Any) -> str:
    """``"cpu"`` or ``"gpu"``."""
    return get_backend(array).device


def to_device(array: Any, device: str) -> Any:
    """Move ``array`` to ``device``; lazy arrays get a per-block transfer (stay lazy).

    Already on the target device -> the same array object (no copy).
    """
    target = get_backend_for_device(device)
    source = get_backend(array)
    if source is target:
        return array
    if is_lazy(array):
        convert = _transfer(source, target)
        meta = convert(source.xp.empty((0,) * array.ndim, dtype=array.dtype))
        return array.map_blocks(convert, dtype=array.dtype, meta=meta)
    return _transfer(source, target)(array)


def _transfer(source: ArrayBackend, target: ArrayBackend) -> Callable[[Any], Any]:
    if target is NUMPY:
        return source.asnumpy
    if source is NUMPY:
        return target.asarray
    return lambda a: target.asarray(source.asnumpy(a))


def to_host(array: Any) -> Any:
    """Eager device arrays -> numpy; lazy arrays get per-block transfers (still lazy)."""
    if get_backend(array) is NUMPY:
        return array
    return to_device(array, "cpu")


_REDUCTIONS = ("mean", "sum", "std", "min", "max", "median", "var")


def reduce(array: Any, name: str, axis: Any, keepdims: bool = False, split_every: Any = None) -> Any:
    """Reduction ``name`` (mean/sum/std/min/max/median/var) of any backend's array.

    ``split_every`` is used by dask reductions only.
    """
    if name not in _REDUCTIONS:
        raise InvalidArgumentError(f"unknown reduction {name!r}; use one of {', '.join(_REDUCTIONS)}")
    if is_lazy(array):
        import dask.array as da

        kwargs = {} if name == "median" or split_every is None else {"split_every": split_every}
        if name == "median" and axis is None:
            axis = tuple(range(array.ndim))
        return getattr(da, name)(array, axis=axis, keepdims=keepdims, **kwargs)
    return getattr(get_backend(array).xp, name)(array, axis=axis, keepdims=keepdims)


def make_lazy(array: Any, chunks: Any) -> Any:
    """Wrap an eager array of any backend in a dask array with ``chunks``."""
    import dask.array as da

    if is_lazy(array):
        return array.rechunk(chunks)
    backend = get_backend(array)
    return da.from_array(array, chunks=chunks, asarray=False, meta=backend.empty_meta(array.ndim, array.dtype))


def compute_arrays(*arrays: Any, **kwargs: Any) -> tuple:
    """Compute several lazy arrays in one pass (eager ones pass through)."""
    lazy = [a for a in arrays if is_lazy(a)]
    if not lazy:
        return arrays
    import dask

    computed = iter(dask.compute(*lazy, **kwargs))
    return tuple(next(computed) if is_lazy(a) else a for a in arrays)
