"""A strict fake CUDA device: CuPy's behaviour where it matters, on numpy data, for tests.

Machines without a GPU still have to prove that an ``Images`` moved with ``to_gpu()`` stays on
the device through every operation. This module provides

* :class:`FakeDeviceArray` — an array that wraps a numpy array but, like ``cupy.ndarray``,
  **refuses implicit conversion to numpy** (``__array__`` raises ``TypeError``), refuses to be
  mixed with numpy arrays in arithmetic, ufuncs and functions (``TypeError``), dispatches numpy
  functions and ufuncs called on it (``np.abs(x)``, ``np.where(...)``) to the fake CuPy namespace
  (NEP 13/18, as CuPy does), and returns 0-d device arrays from reductions;
* ``fakecp`` — a ``cupy``-like namespace offering exactly the names CuPy 14 offers
  (:mod:`.cupy_api`), with ``fft`` (``cupy.fft``), ``random`` (``default_rng`` / ``RandomState``
  with *another* bit generator than numpy, as on a real GPU) and ``asnumpy``;
* ``fake_scipy_fft`` and ``fake_ndimage`` — ``cupyx.scipy.fft`` / ``cupyx.scipy.ndimage``
  look-alikes that accept only CuPy's parameters (no ``workers=``) and device arrays;
* :data:`LOG` — every device -> host transfer (``asnumpy``, ``.get()``) and every host sync of a
  value (``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()``), with the product source
  line that caused it; host -> device uploads are counted too;
* :func:`install` / :func:`uninstall` — register / remove the fake as the ``"gpu"`` backend of
  :mod:`napari_temimages._core.backend`.

Anything that would silently pull data off a real GPU either raises here or is logged.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import scipy.fft
import scipy.ndimage

from napari_temimages._core import backend as _backend

from .cupy_api import (
    CUPY_FFT_NAMES,
    CUPY_FFT_PARAMS,
    CUPY_NAMES,
    CUPY_RANDOM_NAMES,
    CUPYX_FFT_PARAMS,
    CUPYX_NDIMAGE_PARAMS,
)

__all__ = [
    "FakeDeviceArray",
    "LOG",
    "TransferLog",
    "FAKE_BACKEND",
    "fakecp",
    "fake_ndimage",
    "fake_scipy_fft",
    "install",
    "uninstall",
    "installed",
    "IMPLICIT_CONVERSION_MESSAGE",
]

#: CuPy's own wording.
IMPLICIT_CONVERSION_MESSAGE = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)

_THIS_FILE = os.path.abspath(__file__)
_PRODUCT_MARKER = os.sep + "napari_temimages" + os.sep


# ---------------------------------------------------------------------------------- transfer log
@dataclass
class Transfer:
    """One device -> host movement: ``kind`` (asnumpy, get, float, ...), bytes, product line."""

    kind: str
    nbytes: int
    where: str

    def __str__(self) -> str:
        return f"{self.kind} ({self.nbytes} B) at {self.where}"


def _caller() -> str:
    """The innermost product source line (``src/napari_temimages``) on the stack, else the
    innermost line outside this file."""
    stack = traceback.extract_stack()[:-2]
    fallback = ""
    for frame in reversed(stack):
        path = os.path.abspath(frame.filename)
        if path == _THIS_FILE:
            continue
        if _PRODUCT_MARKER in path and os.sep + "tests" + os.sep not in path:
            return f"{os.path.relpath(path)}:{frame.lineno} in {frame.name}"
        if not fallback:
            fallback = f"{os.path.relpath(path)}:{frame.lineno} in {frame.name}"
    return fallback


@dataclass
class TransferLog:
    """Everything that crossed the (fake) PCIe bus since the last :meth:`reset`."""

    to_host: list[Transfer] = field(default_factory=list)
    syncs: list[Transfer] = field(default_factory=list)
    uploads: int = 0
    enabled: bool = True

    def reset(self) -> None:
        self.to_host.clear()
        self.syncs.clear()
        self.uploads = 0

    def record_host(self, kind: str, nbytes: int) -> None:
        if self.enabled:
            self.to_host.append(Transfer(kind, int(nbytes), _caller()))

    def record_sync(self, kind: str, nbytes: int) -> None:
        if self.enabled:
            self.syncs.append(Transfer(kind, int(nbytes), _caller()))

    def record_upload(self) -> None:
        if self.enabled:
            self.uploads += 1

    @property
    def leaks(self) -> list[Transfer]:
        """Host transfers and host syncs together."""
        return self.to_host + self.syncs

    def describe(self) -> str:
        if not self.leaks:
            return "no device -> host transfer"
        return "; ".join(str(t) for t in self.leaks)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Do not log (for test-side inspection of device values)."""
        previous, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = previous


LOG = TransferLog()


# ---------------------------------------------------------------------------------- wrapping
def _wrap(value: Any) -> Any:
    """numpy results -> device arrays (scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(value, np.ndarray):
        return FakeDeviceArray(value)
    if isinstance(value, np.generic):
        return FakeDeviceArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value: Any, allow_host: bool = False) -> Any:
    """Device arrays -> their numpy data; host arrays are refused (CuPy raises ``TypeError``)."""
    if isinstance(value, FakeDeviceArray):
        return value._data
    if isinstance(value, np.ndarray):
        if allow_host:
            return value
        raise TypeError(f"Unsupported type {type(value)}")
    if isinstance(value, tuple):
        return tuple(_unwrap(v, allow_host) for v in value)
    if isinstance(value, list):
        return [_unwrap(v, allow_host) for v in value]
    if isinstance(value, dict):
        return {k: _unwrap(v, allow_host) for k, v in value.items()}
    if _backend.is_lazy(value):
        raise TypeError(f"Unsupported type {type(value)} (a dask array passed to a device function)")
    return value


def _is_operand(value: Any) -> bool:
    """What CuPy's operators accept: device arrays and scalars (numpy arrays raise instead)."""
    return isinstance(value, (FakeDeviceArray, np.ndarray, np.generic, int, float, complex, bool))


def _operand(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)}")
    return value._data if isinstance(value, FakeDeviceArray) else value


# ---------------------------------------------------------------------------------- the array
def _binary(ufunc: np.ufunc, reflected: bool = False) -> Callable[[Any, Any], Any]:
    def method(self: "FakeDeviceArray", other: Any) -> Any:
        if not _is_operand(other):
            return NotImplemented  # e.g. a dask array: let it handle the operation
        a, b = (other, self) if reflected else (self, other)
        return _wrap(ufunc(_operand(a), _operand(b)))

    return method


def _inplace(ufunc: np.ufunc) -> Callable[[Any, Any], Any]:
    def method(self: "FakeDeviceArray", other: Any) -> Any:
        if not _is_operand(other):
            return NotImplemented
        ufunc(self._data, _operand(other), out=self._data)
        return self

    return method


def _unary(ufunc: np.ufunc) -> Callable[[Any], Any]:
    def method(self: "FakeDeviceArray") -> Any:
        return _wrap(ufunc(self._data))

    return method


def _forward(name: str) -> Callable[..., Any]:
    def method(self: "FakeDeviceArray", *args: Any, **kwargs: Any) -> Any:
        return _wrap(getattr(self._data, name)(*_unwrap(args), **_unwrap(kwargs)))

    method.__name__ = name
    return method


class FakeDeviceArray:
    """``cupy.ndarray`` look-alike holding numpy data "on the device"."""

    __slots__ = ("_data", "__weakref__")
    __array_priority__ = 100  # as cupy.ndarray

    def __init__(self, data: np.ndarray):
        if not isinstance(data, np.ndarray):
            raise TypeError(f"FakeDeviceArray wraps numpy arrays, not {type(data).__name__}")
        if data.dtype.kind in "OUSV":
            raise TypeError(f"Unsupported dtype {data.dtype} (CuPy has no {data.dtype.kind!r} arrays)")
        self._data = data

    # ---- what CuPy refuses
    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(IMPLICIT_CONVERSION_MESSAGE)

    def __iter__(self) -> Iterator[Any]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self)))

    # ---- explicit and implicit host syncs (allowed by CuPy, logged here)
    def get(self, stream: Any = None, order: str = "C", out: Any = None, blocking: bool = True) -> np.ndarray:
        LOG.record_host("get", self._data.nbytes)
        return self._data.copy(order=order)

    def item(self, *args: Any) -> Any:
        LOG.record_sync("item", self._data.itemsize)
        return self._data.item(*args)

    def tolist(self) -> Any:
        LOG.record_sync("tolist", self._data.nbytes)
        return self._data.tolist()

    def __float__(self) -> float:
        LOG.record_sync("float", self._data.itemsize)
        return float(self._data)

    def __int__(self) -> int:
        LOG.record_sync("int", self._data.itemsize)
        return int(self._data)

    def __complex__(self) -> complex:
        LOG.record_sync("complex", self._data.itemsize)
        return complex(self._data)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()"
            )
        LOG.record_sync("bool", self._data.itemsize)
        return bool(self._data)

    def __index__(self) -> int:
        if self._data.ndim != 0 or self._data.dtype.kind not in "iu":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        LOG.record_sync("index", self._data.itemsize)
        return int(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="array(")
        return f"array({body}, dtype={self._data.dtype}) <fake device>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            LOG.record_sync("format", self._data.itemsize)
            return format(self._data.item(), spec)
        return repr(self)

    # ---- attributes
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    itemsize = property(lambda self: self._data.itemsize)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: FakeDeviceArray(self._data.T))
    mT = property(lambda self: FakeDeviceArray(np.swapaxes(self._data, -1, -2)))
    device = property(lambda self: FAKE_DEVICE)

    @property
    def real(self) -> "FakeDeviceArray":
        return FakeDeviceArray(self._data.real)

    @property
    def imag(self) -> "FakeDeviceArray":
        if self._data.dtype.kind != "c":
            return FakeDeviceArray(np.zeros_like(self._data))
        return FakeDeviceArray(self._data.imag)

    def __len__(self) -> int:
        return len(self._data)

    # ---- methods (those of cupy.ndarray)
    def astype(self, dtype: Any, order: str = "K", casting: Any = None, subok: Any = None, copy: bool = True) -> Any:
        kwargs = {} if casting is None else {"casting": casting}
        return FakeDeviceArray(self._data.astype(dtype, order=order, copy=copy, **kwargs))

    def reshape(self, *shape: Any, order: str = "C") -> "FakeDeviceArray":
        return FakeDeviceArray(self._data.reshape(*shape, order=order))

    def copy(self, order: str = "C") -> "FakeDeviceArray":
        return FakeDeviceArray(self._data.copy(order=order))

    def view(self, dtype: Any = None) -> "FakeDeviceArray":
        return FakeDeviceArray(self._data.view() if dtype is None else self._data.view(dtype))

    def fill(self, value: Any) -> None:
        self._data.fill(_operand(value))

    def set(self, arr: np.ndarray, stream: Any = None) -> None:
        """Host -> device copy into this array (``cupy.ndarray.set``)."""
        LOG.record_upload()
        self._data[...] = arr

    for _name in (
        "all any argmax argmin argsort clip conj conjugate cumprod cumsum diagonal dot flatten max mean min "
        "nonzero prod ravel repeat round sort squeeze std sum swapaxes take trace transpose var"
    ).split():
        locals()[_name] = _forward(_name)
    del _name

    # ---- indexing (numpy index arrays are accepted and uploaded, as in CuPy)
    @staticmethod
    def _key(key: Any) -> Any:
        if isinstance(key, FakeDeviceArray):
            return key._data
        if isinstance(key, tuple):
            return tuple(FakeDeviceArray._key(k) for k in key)
        if _backend.is_lazy(key):
            raise TypeError(f"Unsupported index type {type(key)}")
        return key

    def __getitem__(self, key: Any) -> "FakeDeviceArray":
        return _wrap(self._data[self._key(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, np.ndarray):
            LOG.record_upload()
        elif isinstance(value, FakeDeviceArray):
            value = value._data
        elif _backend.is_lazy(value):
            raise TypeError(f"Unsupported type {type(value)}")
        self._data[self._key(key)] = value

    # ---- operators
    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lshift__, __rlshift__ = _binary(np.left_shift), _binary(np.left_shift, True)
    __rshift__, __rrshift__ = _binary(np.right_shift), _binary(np.right_shift, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]
    __iadd__, __isub__, __imul__ = _inplace(np.add), _inplace(np.subtract), _inplace(np.multiply)
    __itruediv__, __ipow__ = _inplace(np.true_divide), _inplace(np.power)
    __neg__, __pos__, __abs__, __invert__ = (
        _unary(np.negative),
        _unary(np.positive),
        _unary(np.absolute),
        _unary(np.invert),
    )

    # ---- NEP 13 / NEP 18: numpy functions called on device arrays run "on the device"
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if not all(_is_operand(x) for x in inputs):
            return NotImplemented
        out = kwargs.pop("out", None)
        args = [_operand(x) for x in inputs]
        if "where" in kwargs:
            kwargs["where"] = _operand(kwargs["where"])
        if out is not None:
            if not all(isinstance(o, FakeDeviceArray) for o in out):
                raise TypeError("output arrays of a device ufunc must be device arrays")
            kwargs["out"] = tuple(o._data for o in out)
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        for t in types_:
            if not issubclass(t, (FakeDeviceArray, np.ndarray)):
                return NotImplemented
        target = _fake_equivalent(func)
        if target is None:
            return NotImplemented
        return target(*args, **kwargs)

    def __dask_tokenize__(self) -> tuple:
        data = np.ascontiguousarray(self._data)
        return ("fake-device-array", data.dtype.str, data.shape, hashlib.sha1(data.view(np.uint8)).hexdigest())

    def __reduce__(self) -> tuple:
        return (FakeDeviceArray, (self._data,))


# Everything cupy.ndarray has must be here (the reverse is checked in test_fake_device.py).
_MISSING_MEMBERS = {"argpartition", "choose", "compress", "dump", "dumps", "partition", "ptp", "put",
                    "searchsorted", "tobytes", "tofile", "base", "data", "flat"}


class _FakeDevice:
    id = 0

    def __repr__(self) -> str:
        return "<CUDA Device 0 (fake)>"

    def __enter__(self) -> "_FakeDevice":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def synchronize(self) -> None:
        return None


FAKE_DEVICE = _FakeDevice()


# ---------------------------------------------------------------------------------- namespaces
class _DeviceFunction:
    """A numpy/scipy function run on device arrays only (host arrays raise, as in CuPy)."""

    def __init__(self, func: Callable[..., Any], name: str, params: tuple[str, ...] | None = None,
                 drop: tuple[str, ...] = ()):
        self._func, self.__name__, self._params, self._drop = func, name, params, drop
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._params is not None:
            if len(args) > len(self._params):
                raise TypeError(f"{self.__name__}() takes at most {len(self._params)} positional arguments")
            for key in kwargs:
                if key not in self._params:
                    raise TypeError(f"{self.__name__}() got an unexpected keyword argument {key!r} (not in CuPy)")
        for key in self._drop:
            if kwargs.get(key) is None:
                kwargs.pop(key, None)
        return _wrap(self._func(*_unwrap(args), **_unwrap(kwargs)))

    def __repr__(self) -> str:
        return f"<fake device function {self.__name__}>"


class _DeviceUfunc:
    """``cupy.ufunc`` look-alike: device arrays in, device arrays out."""

    def __init__(self, ufunc: np.ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    @staticmethod
    def _check(args: Any) -> None:
        for a in args:
            if isinstance(a, np.ndarray):
                raise TypeError(f"Unsupported type {type(a)}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check(args)
        return _wrap(self._ufunc(*args, **kwargs))

    def reduce(self, array: Any, *args: Any, **kwargs: Any) -> Any:
        self._check((array,))
        return _wrap(self._ufunc.reduce(array, *args, **kwargs))

    def accumulate(self, array: Any, *args: Any, **kwargs: Any) -> Any:
        self._check((array,))
        return _wrap(self._ufunc.accumulate(array, *args, **kwargs))

    def outer(self, a: Any, b: Any, **kwargs: Any) -> Any:
        self._check((a, b))
        return _wrap(self._ufunc.outer(a, b, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ufunc, name)


def _upload(value: Any, dtype: Any = None, copy: Any = None, order: str = "K", **kwargs: Any) -> "FakeDeviceArray":
    """``cupy.asarray``/``cupy.array``: host data -> device (counted); device data passes through."""
    if isinstance(value, FakeDeviceArray):
        data = value._data if dtype is None else value._data.astype(dtype, copy=False)
        return FakeDeviceArray(data.copy() if copy else data)
    if _backend.is_lazy(value):
        raise TypeError(f"Unsupported type {type(value)} (a dask array passed to asarray)")
    LOG.record_upload()
    return FakeDeviceArray(np.array(_unwrap(value, allow_host=True), dtype=dtype, order=order, copy=True))


def asnumpy(value: Any, stream: Any = None, order: str = "C", out: Any = None, blocking: bool = True) -> np.ndarray:
    """``cupy.asnumpy``: the explicit device -> host copy (logged)."""
    if isinstance(value, FakeDeviceArray):
        LOG.record_host("asnumpy", value._data.nbytes)
        return value._data.copy(order=order)
    if _backend.is_lazy(value):
        raise TypeError("asnumpy of a dask array: compute it first (or use to_host for a per-block transfer)")
    return np.asarray(value, order=order)


class _FakeModule(types.ModuleType):
    """A module whose public names are exactly ``allowed``, each wrapping ``source``'s."""

    def __init__(self, name: str, source: Any, allowed: frozenset[str], params: dict | None = None,
                 special: dict | None = None, drop: tuple[str, ...] = ()):
        super().__init__(name)
        self._source, self._allowed, self._params = source, allowed, params
        self._special, self._drop = special or {}, drop
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._special:
            return self._special[name]
        if name not in self._allowed:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (CuPy has none either)")
        if name in self._cache:
            return self._cache[name]
        obj = getattr(self._source, name)
        if isinstance(obj, np.ufunc):
            wrapped: Any = _DeviceUfunc(obj)
        elif callable(obj) and not isinstance(obj, type):
            params = None if self._params is None else self._params.get(name)
            wrapped = _DeviceFunction(obj, name, params, self._drop)
        else:
            wrapped = obj  # dtypes, constants, numpy's ndindex/finfo classes
        self._cache[name] = wrapped
        return wrapped

    def __dir__(self) -> list[str]:
        return sorted(self._allowed | set(self._special))


# ---- random: same API as CuPy, a different bit generator than numpy (as on a real GPU)
class FakeGenerator:
    """``cupy.random.Generator`` look-alike (Philox instead of CuPy's XORWOW; never numpy's PCG64)."""

    def __init__(self, seed: Any = None):
        self._generator = np.random.Generator(np.random.Philox(seed))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._generator, name)
        return lambda *a, **k: _wrap(method(*_unwrap(a), **_unwrap(k)))


class FakeRandomState:
    """``cupy.random.RandomState`` look-alike (legacy API, Philox stream: not numpy's MT19937)."""

    def __init__(self, seed: Any = None):
        self.seed(seed)

    def seed(self, seed: Any = None) -> None:
        self._state = np.random.RandomState(np.random.Philox(seed))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._state, name)
        return lambda *a, **k: _wrap(method(*_unwrap(a), **_unwrap(k)))


def _fake_default_rng(seed: Any = None) -> FakeGenerator:
    return seed if isinstance(seed, FakeGenerator) else FakeGenerator(seed)


_GLOBAL_STATE = FakeRandomState()


class _FakeRandomModule(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("fakecp.random")

    default_rng = staticmethod(_fake_default_rng)
    Generator = FakeGenerator
    RandomState = FakeRandomState

    @staticmethod
    def seed(seed: Any = None) -> None:
        _GLOBAL_STATE.seed(seed)

    @staticmethod
    def get_random_state() -> FakeRandomState:
        return _GLOBAL_STATE

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in CUPY_RANDOM_NAMES:
            raise AttributeError(f"module 'fakecp.random' has no attribute {name!r} (CuPy has none either)")
        return getattr(_GLOBAL_STATE, name)


class _FakeCuda(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("fakecp.cuda")
        self.runtime = types.SimpleNamespace(
            getDeviceCount=lambda: 1, getDeviceProperties=lambda index: {"name": b"Fake CUDA device"}
        )

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def get_current_stream() -> _FakeDevice:
        return FAKE_DEVICE

    @staticmethod
    def Device(index: int = 0) -> _FakeDevice:  # noqa: N802 - CuPy's name
        if index != 0:
            raise RuntimeError(f"fake device has no CUDA device {index}")
        return FAKE_DEVICE


def _take(a: Any, indices: Any, axis: Any = None, out: Any = None) -> Any:
    """``cupy.take``: the indices may be host data (CuPy uploads them)."""
    if isinstance(indices, (np.ndarray, list, tuple)):
        LOG.record_upload()
        indices = np.asarray(indices)
    else:
        indices = _unwrap(indices)
    if not isinstance(a, FakeDeviceArray):
        raise TypeError(f"Unsupported type {type(a)}")
    result = np.take(a._data, indices, axis=axis, out=None if out is None else _unwrap(out))
    return out if out is not None else _wrap(result)


def _get_array_module(*args: Any) -> Any:
    return fakecp if any(isinstance(a, FakeDeviceArray) for a in args) else np


def _wrapped_bool(func: Callable[..., Any]) -> Callable[..., Any]:
    """CuPy returns 0-d device arrays where numpy returns Python bools (allclose, array_equal)."""
    return lambda *a, **k: FakeDeviceArray(np.asarray(func(*_unwrap(a), **_unwrap(k))))


fake_fft = _FakeModule("fakecp.fft", np.fft, CUPY_FFT_NAMES, params=CUPY_FFT_PARAMS)
fake_random = _FakeRandomModule()
fake_linalg = _FakeModule("fakecp.linalg", np.linalg, frozenset(n for n in dir(np.linalg) if not n.startswith("_")))

fakecp = _FakeModule(
    "fakecp",
    np,
    CUPY_NAMES,
    special={
        "ndarray": FakeDeviceArray,
        "asarray": _upload,
        "array": _upload,
        "asanyarray": _upload,
        "ascontiguousarray": _upload,
        "asfortranarray": _upload,
        "asnumpy": asnumpy,
        "get_array_module": _get_array_module,
        "take": _take,
        "fft": fake_fft,
        "random": fake_random,
        "linalg": fake_linalg,
        "cuda": _FakeCuda(),
        "allclose": _wrapped_bool(np.allclose),
        "array_equal": _wrapped_bool(np.array_equal),
        "array_equiv": _wrapped_bool(np.array_equiv),
    },
)

#: ``cupyx.scipy.fft`` look-alike: scipy.fft on device arrays, CuPy's parameters only.
fake_scipy_fft = _FakeModule(
    "fakecupyx.scipy.fft",
    scipy.fft,
    frozenset(CUPYX_FFT_PARAMS),
    params=CUPYX_FFT_PARAMS,
    drop=("plan",),
)

#: ``cupyx.scipy.ndimage`` look-alike.
fake_ndimage = _FakeModule(
    "fakecupyx.scipy.ndimage", scipy.ndimage, frozenset(CUPYX_NDIMAGE_PARAMS), params=CUPYX_NDIMAGE_PARAMS
)


def _fake_equivalent(func: Any) -> Any:
    """The fake CuPy function standing for a numpy function (``numpy.fft.fftshift`` ->
    ``fakecp.fft.fftshift``), or ``None`` where CuPy has none (numpy then raises TypeError)."""
    module = getattr(func, "__module__", "") or ""
    name = getattr(func, "__name__", "")
    parts = module.split(".")
    if not parts or parts[0] != "numpy":
        return None
    namespace: Any = fakecp
    for part in parts[1:]:
        if part.startswith("_"):
            break
        try:
            namespace = getattr(namespace, part)
        except AttributeError:
            return None
    try:
        target = getattr(namespace, name)
    except AttributeError:
        return None
    return target


# ---------------------------------------------------------------------------------- backend
def _owns(array: Any) -> bool:
    return isinstance(array, FakeDeviceArray)


FAKE_BACKEND = _backend.ArrayBackend(
    device="gpu",
    xp=fakecp,
    owns=_owns,
    fft_module=lambda: fake_scipy_fft,
    ndimage_module=lambda: fake_ndimage,
    asarray=_upload,
    asnumpy=asnumpy,
    fft_workers=None,
    name="fake-cupy",
    random_module=lambda: fake_random,
    device_context=lambda index: fakecp.cuda.Device(index),
)


_DASK_REGISTERED = False


def _register_with_dask() -> None:
    """What ``dask.array.backends.register_cupy`` does for ``cupy.ndarray``, for the fake."""
    global _DASK_REGISTERED
    if _DASK_REGISTERED:
        return
    from dask.array import backends as dab
    from dask.array.dispatch import (
        concatenate_lookup,
        einsum_lookup,
        empty_lookup,
        nannumel_lookup,
        numel_lookup,
        percentile_lookup,
        take_lookup,
        tensordot_lookup,
        to_numpy_dispatch,
    )

    from dask.array.chunk_types import register_chunk_type

    register_chunk_type(FakeDeviceArray)  # dask does this for cupy.ndarray
    concatenate_lookup.register(FakeDeviceArray, fakecp.concatenate)
    take_lookup.register(FakeDeviceArray, fakecp.take)
    tensordot_lookup.register(FakeDeviceArray, fakecp.tensordot)
    percentile_lookup.register(FakeDeviceArray, dab.percentile)
    numel_lookup.register(FakeDeviceArray, dab._numel_arraylike)
    nannumel_lookup.register(FakeDeviceArray, dab._nannumel)
    empty_lookup.register(FakeDeviceArray, fakecp.empty)
    to_numpy_dispatch.register(FakeDeviceArray, lambda data, **kwargs: asnumpy(data, **kwargs))

    def _einsum(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("casting", None)
        kwargs.pop("order", None)
        return fakecp.einsum(*args, **kwargs)

    einsum_lookup.register(FakeDeviceArray, _einsum)
    _DASK_REGISTERED = True


def install() -> _backend.ArrayBackend:
    """Register the fake as the ``"gpu"`` backend and clear the transfer log."""
    _register_with_dask()
    _backend.register_backend(FAKE_BACKEND)
    LOG.reset()
    return FAKE_BACKEND


def uninstall() -> None:
    """Remove the fake ``"gpu"`` backend (a real CuPy backend is looked up again on demand)."""
    _backend.unregister_backend("gpu")


def installed() -> bool:
    return any(b is FAKE_BACKEND for b in _backend._BACKENDS)


def on_device(value: Any) -> bool:
    """Eager device array, or dask array with device chunks (``_meta``)."""
    if _backend.is_lazy(value):
        return isinstance(value._meta, FakeDeviceArray)
    return isinstance(value, FakeDeviceArray)


def host_copy(value: Any) -> np.ndarray:
    """Test-side view of device data (not logged)."""
    with LOG.paused():
        if _backend.is_lazy(value):
            value = value.compute()
        return value._data.copy() if isinstance(value, FakeDeviceArray) else np.asarray(value)

