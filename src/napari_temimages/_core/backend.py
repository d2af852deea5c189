"""The one place that decides numpy / cupy / dask dispatch.

Operations never test array types themselves. They ask this module for

* :func:`get_backend` — the :class:`ArrayBackend` of an array (numpy or cupy; for a dask array
  the backend of its chunks, read from ``_meta``), giving the array module ``xp``, the FFT module
  (``scipy.fft`` / ``cupyx.scipy.fft``), the ndimage module and host/device transfers;
* :func:`is_lazy` — whether an array is a dask array;
* :func:`to_device` / :func:`to_host` — explicit transfers (lazy arrays get a per-block transfer);
* :func:`default_rng` — a random generator living on an array's device (``numpy.random`` or
  ``cupy.random``), so random draws need no host round trip;
* :func:`to_numpy` / :func:`host_scalar` — the *host boundary*: the only sanctioned ways for data to
  leave the device (file writers, ``to_data_array``, ``show``, napari layers call these).

CuPy is imported only when a GPU backend is requested or a cupy array is seen; importing the
package never imports it. Tests may register a fake device backend with :func:`register_backend`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, ContextManager

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
    "to_numpy",
    "host_scalar",
    "default_rng",
    "normalize_device",
    "device_index",
    "reduce",
    "make_lazy",
    "compute_arrays",
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
    name
        ``"numpy"``, ``"cupy"`` (or a test backend's name).
    random_module
        Callable returning the ``numpy.random``-like module (``default_rng``, ``RandomState``).
    device_context
        Callable ``index -> context manager`` selecting device ``index`` (``cupy.cuda.Device``);
        ``None`` for single-device backends.
    synchronize_device
        Callable waiting for queued device work (GPU kernels run asynchronously; timings need
        it). ``None``: nothing to wait for.
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
    random_module: Callable[[], Any] | None = None
    device_context: Callable[[int], ContextManager] | None = None
    synchronize_device: Callable[[], None] | None = None

    def fft(self) -> Any:
        return self.fft_module()

    def random(self) -> Any:
        """The ``numpy.random``-like module of this backend."""
        return self.random_module() if self.random_module is not None else self.xp.random

    def default_rng(self, seed: Any = None) -> Any:
        """A ``Generator`` on this device, seeded with an int, a ``numpy.random.SeedSequence`` or None.

        numpy: ``numpy.random.default_rng`` (PCG64); cupy: ``cupy.random.default_rng`` (XORWOW).
        The same seed gives reproducible draws on each device, but not the same numbers on both.
        """
        return self.random().default_rng(seed)

    def synchronize(self) -> None:
        """Wait until all queued work on this device has finished (no-op on the CPU)."""
        if self.synchronize_device is not None:
            self.synchronize_device()

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
    random_module=lambda: np.random,
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


_INSTALL_HINT = "pip install 'napari-temimages[gpu]' (installs cupy-cuda12x, CuPy for CUDA 12)"


def _cupy_backend() -> ArrayBackend:
    """Import CuPy and check for a CUDA device; :class:`DeviceUnavailableError` says which is missing."""
    try:
        import cupy
        import cupyx.scipy.fft  # noqa: F401
        import cupyx.scipy.ndimage  # noqa: F401
    except ImportError as exc:
        if getattr(exc, "name", None) in ("cupy", "cupyx") or "No module named 'cupy" in str(exc):
            raise DeviceUnavailableError(
                f"GPU requested but CuPy is not installed; to compute on a CUDA GPU: {_INSTALL_HINT}"
            ) from exc
        raise DeviceUnavailableError(
            f"GPU requested but CuPy cannot be imported ({exc}); check the CUDA 12 runtime and "
            f"{_INSTALL_HINT}"
        ) from exc
    except Exception as exc:  # pragma: no cover - broken CUDA installations
        raise DeviceUnavailableError(f"GPU requested but importing CuPy failed: {exc}") from exc
    reason = ""
    try:
        available = bool(cupy.cuda.is_available())
    except Exception as exc:  # pragma: no cover - depends on the driver
        available, reason = False, f" ({exc})"
    if not available:
        raise DeviceUnavailableError(
            "GPU requested but CuPy finds no usable CUDA device (cupy.cuda.is_available() is False"
            f"{reason}): no NVIDIA GPU, no driver, or CUDA_VISIBLE_DEVICES hides it"
        )
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
        random_module=lambda: cupy.random,
        device_context=lambda index: cupy.cuda.Device(index),
        synchronize_device=lambda: cupy.cuda.get_current_stream().synchronize(),
    )


def _split_device(device: Any) -> tuple[str, int | None]:
    if not isinstance(device, str):
        raise InvalidArgumentError(f"device must be a string such as 'cpu' or 'gpu', not {device!r}")
    key = device.strip().lower()
    name, sep, index = key.partition(":")
    if name in ("cpu", "numpy") and not sep:
        return "cpu", None
    if name in ("gpu", "cupy", "cuda"):
        if not sep:
            return "gpu", None
        if index.isdigit():
            return "gpu", int(index)
    raise InvalidArgumentError(
        f"unknown device {device!r}: use 'cpu' or 'gpu' (also 'numpy', 'cupy', 'cuda', 'gpu:N', 'cuda:N')"
    )


def normalize_device(device: str) -> str:
    """``"cpu"``/``"numpy"`` -> ``"cpu"``; ``"gpu"``/``"cupy"``/``"cuda"``/``"cuda:N"``/``"gpu:N"``
    -> ``"gpu"`` (case-insensitive)."""
    return _split_device(device)[0]


def device_index(device: str) -> int | None:
    """The CUDA device number of ``"cuda:N"``/``"gpu:N"``; ``None`` for plain names."""
    return _split_device(device)[1]


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

    Already on the target device -> the same array object (no copy). ``"cuda:N"`` places the
    copy on CUDA device ``N``.
    """
    target = get_backend_for_device(device)
    index = device_index(device)
    source = get_backend(array)
    if source is target and index is None:
        return array
    convert = _transfer(source, target, index)
    if is_lazy(array):
        meta = target.empty_meta(array.ndim, array.dtype)
        return array.map_blocks(convert, dtype=array.dtype, meta=meta)
    return convert(array)


def _transfer(source: ArrayBackend, target: ArrayBackend, index: int | None = None) -> Callable[[Any], Any]:
    if target is NUMPY:
        return source.asnumpy
    if source is NUMPY or source is target:
        upload = target.asarray  # host -> device, or device -> (another) device of the same kind
    else:
        upload = lambda a: target.asarray(source.asnumpy(a))  # noqa: E731
    if index is None or target.device_context is None:
        return upload
    context = target.device_context

    def on_device(a: Any) -> Any:
        with context(index):
            return upload(a)

    return on_device


def to_host(array: Any) -> Any:
    """Eager device arrays -> numpy; lazy arrays get per-block transfers (still lazy)."""
    if get_backend(array) is NUMPY:
        return array
    return to_device(array, "cpu")


def to_numpy(array: Any, **compute_kwargs: Any) -> np.ndarray:
    """The host boundary: a numpy array of ``array``'s values, whatever its backend.

    Lazy arrays are computed (each block moved to the host as it is produced; ``compute_kwargs``
    go to ``dask.compute``); device arrays are copied to the host. Writers, exports, ``show`` and
    napari layers use this; operations never do.
    """
    if is_lazy(array):
        import dask

        (array,) = dask.compute(to_host(array), **compute_kwargs)
    return np.asarray(to_host(array))


def host_scalar(value: Any) -> Any:
    """A Python number from a size-1 array of any backend (a tiny, explicit device -> host sync)."""
    if is_lazy(value):
        import dask

        (value,) = dask.compute(value)
    if isinstance(value, (int, float, complex)):
        return value
    return to_host(value).item() if hasattr(value, "shape") else value


def default_rng(like: Any, seed: Any = None) -> Any:
    """A random ``Generator`` on the device of ``like`` (an array, dask array or device name).

    ``seed``: int, ``numpy.random.SeedSequence`` or None. On the CPU this is exactly
    ``numpy.random.default_rng(seed)``; on a GPU ``cupy.random.default_rng(seed)``, whose draws
    are reproducible but differ from numpy's.
    """
    backend = get_backend_for_device(like) if isinstance(like, str) else get_backend(like)
    return backend.default_rng(seed)


_REDUCTIONS = ("mean", "sum", "std", "min", "max", "median", "var")


def reduce(array: Any, name: str, axis: Any, keepdims: bool = False, split_every: Any = None) -> Any:
    """Reduction ``name`` (mean/sum/std/min/max/median/var) of any backend's array.

    ``split_every`` is used by dask reductions only.
    """
    if name not in _REDUCTIONS:
        raise InvalidArgumentError(f"unknown reduction {name!r}; use one of {', '.join(_REDUCTIONS)}")
    if is_lazy(array):
        import dask.array as da

        if name == "median":
            return _lazy_median(array, axis, keepdims)
        if name in ("mean", "sum", "std", "var", "min", "max"):
            # in-place tree reduction over the input blocks (dask's own is ~10x slower for
            # one image per chunk; see ensemble.lazy_reduce)
            from .ensemble import lazy_reduce

            return lazy_reduce(array, name, axis, keepdims=keepdims, split_every=split_every)
        kwargs = {} if split_every is None else {"split_every": split_every}
        return getattr(da, name)(array, axis=axis, keepdims=keepdims, **kwargs)
    return getattr(get_backend(array).xp, name)(array, axis=axis, keepdims=keepdims)


def _lazy_median(array: Any, axis: Any, keepdims: bool) -> Any:
    """Blockwise median with the chunks' backend declared as ``meta``.

    ``dask.array.median`` infers its meta by calling ``numpy.median`` on an empty array, which
    fails for device chunks and silently declares numpy chunks (a lazy GPU object would then
    report ``device == "cpu"``).
    """
    backend = get_backend(array)
    if axis is None:
        axis = tuple(range(array.ndim))
    axes = tuple(sorted({int(a) % array.ndim for a in ((axis,) if isinstance(axis, int) else axis)}))
    if any(len(array.chunks[a]) > 1 for a in axes):
        array = array.rechunk({a: -1 for a in axes})
    dtype = np.median(np.zeros(2, dtype=array.dtype)).dtype
    out_ndim = array.ndim if keepdims else array.ndim - len(axes)
    xp = backend.xp

    def block_median(block: Any) -> Any:
        return xp.median(block, axis=axes, keepdims=keepdims)

    if keepdims:
        chunks = tuple((1,) if i in axes else c for i, c in enumerate(array.chunks))
        return array.map_blocks(block_median, chunks=chunks, dtype=dtype, meta=backend.empty_meta(out_ndim, dtype))
    return array.map_blocks(
        block_median, drop_axis=list(axes), dtype=dtype, meta=backend.empty_meta(out_ndim, dtype)
    )


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
