"""The measurement model shared by Images, DiffractionPatterns, line profiles and ensembles.

An :class:`ArrayObject` is an array (numpy, cupy or dask) of layout ``(*ensemble, *base)``, one
:class:`~.axes.AxisMetadata` per ensemble axis, and a free ``metadata`` dict. Subclasses fix the
number of base axes and synthesise their metadata (e.g. the two real-space axes of an image from
its sampling in Å).

Unlike abTEM, objects never share their metadata dict or axes list with their source or caller
(every derived object gets its own copies) and ``compute()`` returns a new object instead of
mutating this one. See ``docs/compatibility.md`` for every deviation.
"""

from __future__ import annotations

import copy
import itertools
import numbers
import warnings
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import backend as _backend
from .axes import AxisMetadata, OrdinalAxis, UnknownAxis
from .errors import InvalidArgumentError, InvalidTypeError
from .precision import float_dtype, is_complex_dtype, real_dtype

__all__ = ["ArrayObject", "IndexOutOfRangeError"]


class IndexOutOfRangeError(InvalidArgumentError, IndexError):
    """An integer index outside an ensemble axis (also an ``IndexError``, so iteration stops)."""


_NORMALIZE_REDUCTIONS = ("max", "min", "sum", "mean", "ptp", "median", "std")


def _is_int(item: Any) -> bool:
    return isinstance(item, (numbers.Integral, np.integer)) and not isinstance(item, (bool, np.bool_))


class ArrayObject:
    """Array plus ensemble-axes metadata plus a metadata dict.

    Parameters
    ----------
    array
        numpy, cupy or dask array; the last ``_base_dims`` axes are base axes.
    ensemble_axes_metadata
        One :class:`AxisMetadata` per leading (ensemble) axis. ``None`` gives an
        :class:`UnknownAxis` for each ensemble axis.
    metadata
        Free-form dict (``energy`` in eV, ``label``, ``units``, ...). Copied, never shared.
    """

    _base_dims: int = 0

    def __init__(
        self,
        array: Any,
        ensemble_axes_metadata: Sequence[AxisMetadata] | None = None,
        metadata: dict | None = None,
    ):
        if not hasattr(array, "shape") or not hasattr(array, "dtype"):
            raise InvalidTypeError(
                f"{type(self).__name__} needs a numpy, cupy or dask array, not {type(array).__name__}"
            )
        if array.ndim < self._base_dims:
            raise InvalidArgumentError(
                f"{type(self).__name__} must be {self._base_dims}D or greater, not {array.ndim}D "
                f"(shape {tuple(array.shape)})"
            )
        n_ensemble = array.ndim - self._base_dims
        if ensemble_axes_metadata is None:
            ensemble_axes_metadata = [UnknownAxis() for _ in range(n_ensemble)]
        elif isinstance(ensemble_axes_metadata, AxisMetadata):
            ensemble_axes_metadata = [ensemble_axes_metadata]
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidTypeError(f"metadata must be a dict, not {type(metadata).__name__}")
        self._array = array
        self._ensemble_axes_metadata = list(ensemble_axes_metadata)
        self._metadata = dict(metadata)
        self._check_axes(self._ensemble_axes_metadata, array.shape)

    # ------------------------------------------------------------------ validation / copies
    def _check_axes(self, axes: Sequence[AxisMetadata], shape: Sequence[int]) -> None:
        n_ensemble = len(shape) - self._base_dims
        if len(axes) != n_ensemble:
            raise InvalidArgumentError(
                f"array of shape {tuple(shape)} has {n_ensemble} ensemble axes "
                f"({type(self).__name__} has {self._base_dims} base axes), but "
                f"{len(axes)} ensemble axes metadata were given"
            )
        for i, (axis, n) in enumerate(zip(axes, shape)):
            if not isinstance(axis, AxisMetadata):
                raise InvalidTypeError(
                    f"ensemble axis {i} metadata must be an AxisMetadata, not {type(axis).__name__}"
                )
            if isinstance(axis, OrdinalAxis) and len(axis.values) != n:
                raise InvalidArgumentError(
                    f"ensemble axis {i} ({type(axis).__name__} {axis.label!r}) has "
                    f"{len(axis.values)} values but the array axis has length {n}"
                )

    def _init_kwargs(self) -> dict:
        """Constructor keyword arguments other than ``array`` (live objects, not copies)."""
        return {
            "ensemble_axes_metadata": self._ensemble_axes_metadata,
            "metadata": self._metadata,
        }

    def _copy_kwargs(self, exclude: Sequence[str] = ()) -> dict:
        kwargs = {k: v for k, v in self._init_kwargs().items() if k not in exclude}
        return copy.deepcopy(kwargs)

    def _new(self, array: Any, **overrides: Any) -> "ArrayObject":
        """A new object of this class with ``array`` and copied metadata (``overrides`` win)."""
        kwargs = self._copy_kwargs(exclude=tuple(overrides))
        kwargs.update(overrides)
        return type(self)(array, **kwargs)

    # ------------------------------------------------------------------ properties
    @property
    def array(self) -> Any:
        """The stored array, layout ``(*ensemble, *base)``."""
        return self._array

    @array.setter
    def array(self, value: Any) -> None:
        if tuple(value.shape) != tuple(self.shape) or value.dtype != self.dtype:
            raise InvalidArgumentError(
                f"new array must have shape {self.shape} and dtype {self.dtype}, "
                f"got {tuple(value.shape)} {value.dtype}"
            )
        if _backend.is_lazy(value) != self.is_lazy:
            raise InvalidArgumentError("new array must be lazy exactly when the current one is")
        self._array = value

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self._array.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self._array.dtype)

    @property
    def base_dims(self) -> int:
        return self._base_dims

    @property
    def ensemble_dims(self) -> int:
        return self.ndim - self._base_dims

    @property
    def base_shape(self) -> tuple[int, ...]:
        return self.shape[self.ensemble_dims :]

    @property
    def ensemble_shape(self) -> tuple[int, ...]:
        return self.shape[: self.ensemble_dims]

    @property
    def ensemble_axes_metadata(self) -> list[AxisMetadata]:
        """The ensemble axes (live list: editing it edits this object)."""
        return self._ensemble_axes_metadata

    @property
    def base_axes_metadata(self) -> list[AxisMetadata]:
        return []

    @property
    def axes_metadata(self) -> list[AxisMetadata]:
        return list(self._ensemble_axes_metadata) + list(self.base_axes_metadata)

    @property
    def metadata(self) -> dict:
        return self._metadata

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"gpu"``."""
        return _backend.device_of(self._array)

    @property
    def is_lazy(self) -> bool:
        return _backend.is_lazy(self._array)

    @property
    def is_complex(self) -> bool:
        return is_complex_dtype(self.dtype)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        kind = "lazy " if self.is_lazy else ""
        axes = ", ".join(f"{type(a).__name__}({a.label!r})" for a in self.axes_metadata)
        return f"<{type(self).__name__} {kind}{self.dtype} {self.shape} on {self.device}: {axes}>"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if self.shape != other.shape or self.axes_metadata != other.axes_metadata:
            return False
        if self.metadata.keys() != other.metadata.keys():
            return False
        a, b = _backend.compute_arrays(self.array, other.array)
        a, b = _backend.to_host(a), _backend.to_host(b)
        return bool(np.allclose(a, b, equal_nan=True)) and all(
            np.all(np.asarray(self.metadata[k] == other.metadata[k], dtype=object).astype(bool))
            for k in self.metadata
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_array_and_metadata(
        cls, array: Any, axes_metadata: Sequence[AxisMetadata], metadata: dict | None = None
    ) -> "ArrayObject":
        """Build from an array and metadata for *all* axes (ensemble then base)."""
        axes = list(axes_metadata)
        if len(axes) != array.ndim:
            raise InvalidArgumentError(
                f"{len(axes)} axes metadata given for an array with {array.ndim} dimensions"
            )
        return cls(array, ensemble_axes_metadata=axes[: array.ndim - cls._base_dims], metadata=metadata)

    def copy(self) -> "ArrayObject":
        """Deep copy (array included)."""
        array = self._array.copy()
        return self._new(array)

    def to_measurement_ensemble(self) -> "ArrayObject":
        """Every axis (base axes too) as an ensemble axis of a zero-base-dims object."""
        from .ensemble_measurements import MeasurementsEnsemble

        return MeasurementsEnsemble(
            self._array,
            ensemble_axes_metadata=copy.deepcopy(self.axes_metadata),
            metadata=copy.deepcopy(self._metadata),
        )

    # ------------------------------------------------------------------ axes helpers
    def _normalize_ensemble_axes(self, axis: Any, what: str) -> tuple[int, ...]:
        if axis is None:
            return tuple(range(self.ensemble_dims))
        axes = (axis,) if _is_int(axis) else axis
        try:
            axes = tuple(axes)
        except TypeError:
            raise InvalidTypeError(f"axis must be an int or a sequence of ints, not {axis!r}") from None
        out = []
        for a in axes:
            if not _is_int(a):
                raise InvalidTypeError(f"axis must be an int or a sequence of ints, not {axis!r}")
            a = int(a)
            if not -self.ndim <= a < self.ndim:
                raise InvalidArgumentError(f"axis {a} is out of range for a {self.ndim}D {type(self).__name__}")
            a = a % self.ndim
            if a >= self.ensemble_dims:
                raise InvalidArgumentError(
                    f"base axes cannot be {what}: axis {a} is a base axis "
                    f"({type(self).__name__} has {self.ensemble_dims} ensemble axes)"
                )
            out.append(a)
        if len(set(out)) != len(out):
            raise InvalidArgumentError(f"repeated axis in {axis!r}")
        return tuple(sorted(out))

    # ------------------------------------------------------------------ indexing
    def get_items(self, items: Any, keepdims: bool = False) -> "ArrayObject":
        """Index the ensemble axes (int, slice, None, list, integer/boolean array, ``...``).

        Integer indices remove the axis and record its value in ``metadata`` (ordinal axes add
        ``{label: value}``, tilt axes ``base_tilt_x/y``); ``keepdims=True`` keeps every axis.
        Returns a new object (abTEM returns a dict of constructor arguments).
        """
        if not isinstance(items, tuple):
            items = (items,)
        allowed = (slice, type(None), list, np.ndarray, type(Ellipsis))
        for item in items:
            if not (_is_int(item) or isinstance(item, allowed) or _backend.is_lazy(item)):
                raise InvalidTypeError(
                    f"cannot index {type(self).__name__} with an item of type {type(item).__name__}"
                )
        if sum(item is Ellipsis for item in items) > 1:
            raise InvalidArgumentError("an index can only have a single ellipsis ('...')")
        n_real = sum(item is not None and item is not Ellipsis for item in items)
        if n_real > self.ensemble_dims:
            raise InvalidArgumentError(
                f"too many indices: {n_real} given, but {type(self).__name__} has "
                f"{self.ensemble_dims} ensemble axes (base axes cannot be indexed)"
            )
        expanded: list[Any] = []
        for item in items:
            if item is Ellipsis:
                expanded.extend([slice(None)] * (self.ensemble_dims - n_real))
            else:
                expanded.append(item)

        array = self._array
        axes = list(self._ensemble_axes_metadata)
        metadata = copy.deepcopy(self._metadata)
        new_axes: list[AxisMetadata] = []
        position = 0  # current position in the (partially indexed) array
        source = 0  # index into the original ensemble axes
        for item in expanded:
            if item is None:
                array = array[(slice(None),) * position + (None,)]
                new_axes.append(UnknownAxis())
                position += 1
                continue
            axis = axes[source]
            n = self.shape[source]
            source += 1
            if _is_int(item):
                i = int(item)
                if not -n <= i < n:
                    raise IndexOutOfRangeError(
                        f"index {i} is out of range for ensemble axis {source - 1} "
                        f"({axis.label or type(axis).__name__}) of length {n}"
                    )
                i %= n
                if keepdims:
                    array = array[(slice(None),) * position + (slice(i, i + 1),)]
                    new_axes.append(axis.index(slice(i, i + 1)))
                    position += 1
                else:
                    array = array[(slice(None),) * position + (i,)]
                    metadata.update(axis.item_metadata(i, metadata))
                continue
            if isinstance(item, (list, np.ndarray)):
                item = np.asarray(item)
                if item.dtype == bool and item.shape != (n,):
                    raise InvalidArgumentError(
                        f"boolean index of shape {item.shape} does not match ensemble axis "
                        f"{source - 1} of length {n}"
                    )
                if item.dtype != bool:
                    if item.size and item.dtype.kind not in "iu":
                        raise InvalidTypeError(f"index arrays must hold integers or booleans, not {item.dtype}")
                    if item.size and (item.max() >= n or item.min() < -n):
                        raise IndexOutOfRangeError(
                            f"index array {item.tolist()} is out of range for ensemble axis "
                            f"{source - 1} of length {n}"
                        )
                    item = item.astype(np.intp) % n if item.size else item.astype(np.intp)
            array = array[(slice(None),) * position + (item,)]
            new_axes.append(axis.index(item))
            position += 1
        new_axes.extend(axes[source:])
        kwargs = self._copy_kwargs(exclude=("ensemble_axes_metadata", "metadata"))
        return type(self)(
            array,
            ensemble_axes_metadata=copy.deepcopy(new_axes),
            metadata=metadata,
            **kwargs,
        )

    def __getitem__(self, items: Any) -> "ArrayObject":
        return self.get_items(items)

    def expand_dims(
        self, axis: int | Sequence[int] | None = None, axis_metadata: Sequence[AxisMetadata] | None = None
    ) -> "ArrayObject":
        """Insert length-1 ensemble axes at ``axis`` (default 0) with ``axis_metadata``."""
        if axis is None:
            axis = (0,)
        elif _is_int(axis):
            axis = (int(axis),)
        axis = tuple(axis)
        final_ensemble = self.ensemble_dims + len(axis)
        final_ndim = self.ndim + len(axis)
        positions = []
        for a in axis:
            if not _is_int(a):
                raise InvalidTypeError(f"axis must be an int or a sequence of ints, not {a!r}")
            a = int(a) % final_ndim if a < 0 else int(a)
            if a >= final_ensemble:
                raise InvalidArgumentError(
                    f"expand_dims: new axis position {a} is not an ensemble position "
                    f"(must be < {final_ensemble})"
                )
            positions.append(a)
        if len(set(positions)) != len(positions):
            raise InvalidArgumentError(f"repeated axis in {axis!r}")
        if axis_metadata is None:
            axis_metadata = [UnknownAxis() for _ in positions]
        elif isinstance(axis_metadata, AxisMetadata):
            axis_metadata = [axis_metadata]
        axis_metadata = list(axis_metadata)
        if len(axis_metadata) != len(positions):
            raise InvalidArgumentError(
                f"expand_dims: {len(positions)} new axes but {len(axis_metadata)} axis metadata"
            )
        axes = list(copy.deepcopy(self._ensemble_axes_metadata))
        index: list[Any] = [slice(None)] * self.ndim
        for pos, meta in sorted(zip(positions, axis_metadata), key=lambda p: p[0]):
            axes.insert(pos, copy.deepcopy(meta))
            index.insert(pos, None)
        return self._new(self._array[tuple(index)], ensemble_axes_metadata=axes)

    def squeeze(self, axis: int | Sequence[int] | None = None) -> "ArrayObject":
        """Remove length-1 ensemble axes (all of them, or those listed in ``axis``)."""
        candidates = self._normalize_ensemble_axes(axis, "squeezed")
        remove = {a for a in candidates if self.shape[a] == 1}
        index = tuple(0 if i in remove else slice(None) for i in range(self.ndim))
        axes = [copy.deepcopy(a) for i, a in enumerate(self._ensemble_axes_metadata) if i not in remove]
        return self._new(self._array[index], ensemble_axes_metadata=axes)

    def set_ensemble_axes_metadata(self, axes_metadata: AxisMetadata, axis: int) -> "ArrayObject":
        """Replace the metadata of ensemble axis ``axis`` in place and return this object.

        Raises if the new axis does not fit the array (abTEM silently ignores the change).
        """
        if not _is_int(axis) or not -self.ensemble_dims <= axis < self.ensemble_dims:
            raise InvalidArgumentError(f"ensemble axis {axis!r} does not exist ({self.ensemble_dims} ensemble axes)")
        new = list(self._ensemble_axes_metadata)
        new[axis] = axes_metadata
        self._check_axes(new, self.shape)
        self._ensemble_axes_metadata[:] = new
        return self

    def get_from_metadata(self, name: str, broadcastable: bool = False) -> Any:
        """Value of ``name``: coordinates of the ensemble axis labelled ``name``, else ``metadata[name]``."""
        found = None
        for i, axis in enumerate(self._ensemble_axes_metadata):
            if axis.label == name:
                found = i
        if found is not None:
            n = self.shape[found]
            coords = self._ensemble_axes_metadata[found].coordinates(n)
            if broadcastable:
                shape = [1] * self.ensemble_dims
                shape[found] = n
                return np.array(coords).reshape(shape + list(np.array(coords).shape[1:]))
            if name in self._metadata:
                raise InvalidArgumentError(
                    f"{name!r} is both an ensemble axis label and a metadata key; ambiguous"
                )
            return coords
        if name in self._metadata:
            return self._metadata[name]
        raise InvalidArgumentError(f"could not resolve {name!r}: no ensemble axis or metadata key of that name")

    # ------------------------------------------------------------------ blocks
    def _ensemble_partition(self, chunks: Any) -> tuple[tuple[int, ...], ...]:
        shape = self.ensemble_shape
        if chunks is None:
            if self.is_lazy:
                return tuple(tuple(c) for c in self._array.chunks[: self.ensemble_dims])
            return tuple((n,) for n in shape)
        if _is_int(chunks):
            if chunks < 1:
                raise InvalidArgumentError(f"chunks must be >= 1, got {chunks}")
            sizes: list[int] = []
            budget = int(chunks)
            for n in reversed(shape):
                size = max(1, min(n, budget))
                sizes.insert(0, size)
                budget = max(1, budget // size)
            chunks = tuple(sizes)
        chunks = tuple(chunks)
        if len(chunks) != len(shape):
            raise InvalidArgumentError(f"chunks {chunks} must have one entry per ensemble axis ({len(shape)})")
        out = []
        for c, n in zip(chunks, shape):
            if _is_int(c):
                c = int(c) if c > 0 else n
                out.append(tuple([c] * (n // c) + ([n % c] if n % c else [])) or (0,))
            else:
                c = tuple(int(v) for v in c)
                if sum(c) != n:
                    raise InvalidArgumentError(f"chunks {c} do not add up to the axis length {n}")
                out.append(c)
        return tuple(out)

    def _block_slices(self, chunks: Any) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...]]]:
        partition = self._ensemble_partition(chunks)
        starts = [np.concatenate([[0], np.cumsum(p)[:-1]]).astype(int) for p in partition]
        for index in itertools.product(*[range(len(p)) for p in partition]):
            slices = tuple(
                slice(int(starts[a][i]), int(starts[a][i]) + partition[a][i]) for a, i in enumerate(index)
            )
            yield index, slices

    def _block_object(self, slices: tuple[slice, ...], array: Any | None = None) -> "ArrayObject":
        obj = self.get_items(slices) if slices else self._new(self._array)
        if array is not None:
            obj = obj._new(array[slices] if slices else array)
        return obj

    def generate_blocks(self, chunks: Any = 1) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...], np.ndarray]]:
        """Yield ``(block_index, slices, wrapped)`` for every block of the ensemble partition.

        ``wrapped`` is a numpy object array of shape ``(1,)*E`` holding the eager sub-object
        (use ``.item()``). A lazy object is computed once (as a new object) first.
        """
        source = self.compute() if self.is_lazy else self
        for index, slices in source._block_slices(chunks):
            wrapped = np.empty((1,) * self.ensemble_dims, dtype=object)
            wrapped[(0,) * self.ensemble_dims] = source._block_object(slices)
            yield index, slices, wrapped

    def select_block(self, index: Sequence[int], chunks: Any) -> "ArrayObject":
        """The block ``index`` of the ensemble partitioned with ``chunks`` (as an object)."""
        index = tuple(index)
        for block_index, slices in self._block_slices(chunks):
            if block_index == index:
                return self._block_object(slices)
        raise InvalidArgumentError(f"block {index} does not exist for chunks {chunks!r}")

    def generate_ensemble(self, keepdims: bool = False) -> Iterator[tuple[tuple[int, ...], "ArrayObject"]]:
        """Yield ``(index, member)`` for every ensemble member in C order."""
        for index in np.ndindex(*self.ensemble_shape):
            yield index, self.get_items(index, keepdims=keepdims)

    def ensemble_blocks(self, chunks: Any = None) -> Any:
        """Dask object array (one element per block of the ensemble partition) of eager sub-objects.

        Unlike abTEM, its declared shape is the grid of blocks, which is also what it computes to.
        """
        import dask
        import dask.array as da

        partition = self._ensemble_partition(chunks)
        grid = tuple(len(p) for p in partition)
        blocks = np.empty(grid, dtype=object)
        for index, slices in self._block_slices(chunks):
            sub = self.get_items(slices) if slices else self._new(self._array)
            wrapped = dask.delayed(_wrap_block)(sub)
            blocks[index] = da.from_delayed(wrapped, shape=(1,) * len(grid), dtype=object)
        if not grid:
            return blocks[()]
        return da.block(blocks.tolist())

    # ------------------------------------------------------------------ generic application
    def apply_func(self, func: Callable[..., Any], **kwargs: Any) -> "ArrayObject":
        """Apply ``func(measurement, **kwargs) -> array`` to each image stack.

        As in abTEM, ``func`` receives an eager object of this class (one per dask block) and
        returns an array of the same shape and dtype (or an object, whose array is taken). Unlike
        abTEM, base axes are made whole first, so non-local functions are always correct.
        """
        template = self
        n_ensemble = self.ensemble_dims

        def stack_func(stack: Any, ensemble_offset: tuple[int, ...] = ()) -> Any:
            slices = tuple(slice(o, o + n) for o, n in zip(ensemble_offset, stack.shape[:n_ensemble]))
            axes = [a.index(s) for a, s in zip(template.ensemble_axes_metadata, slices)]
            obj = template._new(stack, ensemble_axes_metadata=axes)
            result = func(obj, **kwargs)
            result = result.array if isinstance(result, ArrayObject) else result
            if tuple(result.shape) != tuple(stack.shape):
                raise InvalidArgumentError(
                    f"apply_func: function returned shape {tuple(result.shape)}, expected {tuple(stack.shape)}"
                )
            return result

        from .ensemble import map_images

        array = map_images(stack_func, self._array, base_dims=self._base_dims, ensemble_index=True)
        return self._new(array)

    def apply_transform(self, transform: Any, max_batch: Any = "auto") -> "ArrayObject":
        """Apply a transform: a callable (or an object with ``apply``) mapping this object to a new one.

        The transform receives this object as it is (lazy objects stay lazy only if the transform
        builds its result from the object's methods or :func:`.ensemble.map_images`).
        ``max_batch`` is accepted for abTEM compatibility and not used.
        """
        apply = getattr(transform, "apply", transform)
        if not callable(apply):
            raise InvalidTypeError(f"transform must be callable or have an apply method, not {type(transform).__name__}")
        return apply(self)

    # ------------------------------------------------------------------ laziness
    def _auto_chunks(self) -> tuple:
        return ("auto",) * self.ensemble_dims + (-1,) * self._base_dims

    def ensure_lazy(self, chunks: Any = "auto") -> "ArrayObject":
        """Lazy version of this object; ``"auto"`` chunks the ensemble axes, keeps images whole.

        An already lazy object is returned unchanged for ``chunks="auto"`` and rechunked otherwise
        (abTEM ignores ``chunks`` then).
        """
        if self.is_lazy:
            return self if (isinstance(chunks, str) and chunks == "auto") else self.rechunk(chunks)
        if isinstance(chunks, str) and chunks == "auto":
            chunks = self._auto_chunks()
        return self._new(_backend.make_lazy(self._array, chunks))

    def lazy(self, chunks: Any = "auto") -> "ArrayObject":
        """Alias of :meth:`ensure_lazy`."""
        return self.ensure_lazy(chunks)

    def rechunk(self, chunks: Any, **kwargs: Any) -> "ArrayObject":
        """Rechunk a lazy object; a short tuple is completed with ``"auto"`` (ensemble) and whole (base)."""
        if not self.is_lazy:
            raise InvalidArgumentError("cannot rechunk an eager object; call .lazy() first")
        if isinstance(chunks, tuple) and len(chunks) < self.ndim:
            fill = self._auto_chunks()[len(chunks) :]
            chunks = chunks + fill
        return self._new(self._array.rechunk(chunks, **kwargs))

    def no_base_chunks(self) -> "ArrayObject":
        """This object with every base axis in a single chunk (itself if already so)."""
        if not self.is_lazy:
            return self
        from .ensemble import whole_base_chunks

        array = whole_base_chunks(self._array, self._base_dims)
        return self if array is self._array else self._new(array)

    def compute(
        self,
        progress_bar: bool | None = None,
        profiler: bool = False,
        resource_profiler: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Evaluate a lazy object and return a **new** eager object (this one stays lazy).

        ``progress_bar=True`` shows dask's progress bar (or distributed's when a client is
        active); ``profiler``/``resource_profiler`` return ``(object, (profilers...))``.
        Extra keyword arguments go to ``dask.compute`` (e.g. ``scheduler=``).
        """
        if not self.is_lazy:
            return (self, ()) if (profiler or resource_profiler) else self
        from .compute import compute_array

        array, profilers = compute_array(
            self._array,
            progress_bar=bool(progress_bar),
            profiler=profiler,
            resource_profiler=resource_profiler,
            **kwargs,
        )
        result = self._new(array)
        if profiler or resource_profiler:
            return result, profilers
        return result

    # ------------------------------------------------------------------ devices
    def copy_to_device(self, device: str) -> "ArrayObject":
        """Object with its array on ``device`` (``"cpu"``/``"gpu"``); shares the array if already there."""
        return self._new(_backend.to_device(self._array, device))

    def to_cpu(self) -> "ArrayObject":
        return self.copy_to_device("cpu")

    def to_gpu(self, device: str = "gpu") -> "ArrayObject":
        return self.copy_to_device(device)

    # ------------------------------------------------------------------ reductions
    def _reduced_axis(self, axis: AxisMetadata) -> AxisMetadata:
        if isinstance(axis, OrdinalAxis):
            return UnknownAxis(label=axis.label, units=axis.units, tex_label=axis.tex_label)
        return copy.deepcopy(axis)

    def _reduction(self, name: str, axis: Any, keepdims: bool, split_every: Any) -> "ArrayObject":
        axes = self._normalize_ensemble_axes(axis, "reduced")
        if name in ("mean", "sum"):
            for a in axes:
                meta = self._ensemble_axes_metadata[a]
                if isinstance(meta, OrdinalAxis) and meta.is_weighted:
                    warnings.warn(
                        f"{name}() ignores the weights of axis {meta.label!r}; use reduce_ensemble() "
                        "for a weighted mean",
                        UserWarning,
                        stacklevel=3,
                    )
        if not axes:
            return self._new(self._array)
        array = _backend.reduce(self._array, name, axis=axes, keepdims=keepdims, split_every=split_every)
        if keepdims:
            new_axes = [
                self._reduced_axis(a) if i in axes else copy.deepcopy(a)
                for i, a in enumerate(self._ensemble_axes_metadata)
            ]
        else:
            new_axes = [copy.deepcopy(a) for i, a in enumerate(self._ensemble_axes_metadata) if i not in axes]
        return self._new(array, ensemble_axes_metadata=new_axes)

    def mean(self, axis: Any = None, keepdims: bool = False, split_every: int | None = None) -> "ArrayObject":
        """Mean over ensemble axes (``axis=None``: all ensemble axes; base axes never).

        ``split_every`` (all reductions): fan-in of the lazy reduction tree, default 16 (abTEM's
        default 2 gives the same result through a deeper graph).
        """
        return self._reduction("mean", axis, keepdims, split_every)

    def sum(self, axis: Any = None, keepdims: bool = False, split_every: int | None = None) -> "ArrayObject":
        """Sum over ensemble axes (``axis=None``: all ensemble axes)."""
        return self._reduction("sum", axis, keepdims, split_every)

    def std(self, axis: Any = None, keepdims: bool = False, split_every: int | None = None) -> "ArrayObject":
        """Population standard deviation (ddof 0) over ensemble axes."""
        return self._reduction("std", axis, keepdims, split_every)

    def min(self, axis: Any = None, keepdims: bool = False, split_every: int | None = None) -> "ArrayObject":
        """Minimum over ensemble axes."""
        return self._reduction("min", axis, keepdims, split_every)

    def max(self, axis: Any = None, keepdims: bool = False, split_every: int | None = None) -> "ArrayObject":
        """Maximum over ensemble axes."""
        return self._reduction("max", axis, keepdims, split_every)

    def reduce_ensemble(self, axis: Any = None) -> "ArrayObject":
        """(Weighted) mean over ensemble axes.

        ``axis=None`` reduces the axes flagged ``_ensemble_mean`` (e.g. frozen phonons); with none
        flagged a new object equal to this one is returned. Axes whose ordinal ``weights`` are
        not all equal give ``sum(p_i I_i) / sum(p_i)`` (weights of several axes multiply).
        """
        if axis is None:
            axes = tuple(i for i, a in enumerate(self._ensemble_axes_metadata) if a._ensemble_mean)
        else:
            axes = self._normalize_ensemble_axes(axis, "reduced")
        if not axes:
            return self._new(self._array)
        if self.is_complex:
            warnings.warn("reduce_ensemble: averaging complex values", UserWarning, stacklevel=2)
        weighted = [
            a for a in axes
            if isinstance(self._ensemble_axes_metadata[a], OrdinalAxis)
            and self._ensemble_axes_metadata[a].is_weighted
        ]
        plain = tuple(a for a in axes if a not in weighted)
        if not weighted:
            return self.mean(axis=axes)
        array = self._array
        if array.dtype.kind in "iub":
            array = array.astype(float_dtype())
        if plain:
            array = _backend.reduce(array, "mean", axis=plain, keepdims=True)
        real = real_dtype(array.dtype)
        weights = None
        for a in weighted:
            w = np.asarray(self._ensemble_axes_metadata[a].weights, dtype=np.float64)
            shape = [1] * array.ndim
            shape[a] = w.size
            w = w.reshape(shape)
            weights = w if weights is None else weights * w
        weights = weights / weights.sum()
        weights = _backend.get_backend(self._array).asarray(weights.astype(real))
        array = _backend.reduce(array * weights, "sum", axis=tuple(weighted), keepdims=True)
        index = tuple(0 if i in axes else slice(None) for i in range(self.ndim))
        new_axes = [copy.deepcopy(a) for i, a in enumerate(self._ensemble_axes_metadata) if i not in axes]
        return self._new(array[index], ensemble_axes_metadata=new_axes)

    def normalize_ensemble(self, scale: str = "max", shift: str = "mean") -> "ArrayObject":
        """Per member: ``(I - SHIFT(I)) / SCALE(I)`` over the base axes.

        ``scale``/``shift``: ``"max"``, ``"min"``, ``"sum"``, ``"mean"``, ``"ptp"`` (max - min),
        ``"median"``, ``"std"``; ``shift="none"`` disables the shift.
        """
        for name, value, extra in (("scale", scale, ()), ("shift", shift, ("none",))):
            if value not in _NORMALIZE_REDUCTIONS + extra:
                raise InvalidArgumentError(
                    f"normalize_ensemble: unknown {name} {value!r}; use one of "
                    f"{', '.join(_NORMALIZE_REDUCTIONS + extra)}"
                )
        # one task per block (lazy: base axes whole, see map_images) instead of a reduction graph
        # per statistic; eager: the same function on the whole stack
        from .ensemble import map_images

        with np.errstate(all="ignore"):
            dtype = _normalize_stack(np.ones((2,) * self.ndim, dtype=self.dtype), scale, shift, self._base_dims).dtype
        array = map_images(
            _normalize_stack, self._array, base_dims=self._base_dims, dtype=dtype, scale=scale, shift=shift,
            base_dims_=self._base_dims,
        )
        return self._new(array)

    # ------------------------------------------------------------------ element-wise
    def _require_complex(self, what: str) -> None:
        if not self.is_complex:
            raise InvalidTypeError(f"{what}() needs complex data, but this {type(self).__name__} is {self.dtype}")

    def _with_label(self, array: Any, label: str, units: str, **extra: Any) -> "ArrayObject":
        metadata = copy.deepcopy(self._metadata)
        metadata.update(label=label, units=units, **extra)
        return self._new(array, metadata=metadata)

    def abs(self) -> "ArrayObject":
        """Modulus ``|z|`` (label ``amplitude``)."""
        return self._with_label(np.abs(self._array), "amplitude", "arb. unit")

    def real(self) -> "ArrayObject":
        """Real part of complex data."""
        self._require_complex("real")
        return self._with_label(self._array.real, "real", "arb. unit")

    def imag(self) -> "ArrayObject":
        """Imaginary part of complex data."""
        self._require_complex("imag")
        return self._with_label(self._array.imag, "imaginary", "arb. unit")

    def phase(self) -> "ArrayObject":
        """Argument ``arg z`` in rad, in (-pi, pi]."""
        self._require_complex("phase")
        return self._with_label(np.angle(self._array), "phase", "rad.")

    def intensity(self) -> "ArrayObject":
        """``Re(z)^2 + Im(z)^2``."""
        self._require_complex("intensity")
        array = self._array
        return self._with_label(array.real**2 + array.imag**2, "intensity", "arb. unit")

    def relative_difference(self, other: "ArrayObject", min_relative_tol: float = 0.0) -> "ArrayObject":
        """``100 (A - B) / A`` in %, NaN where ``|A| < min_relative_tol * max(A)`` or ``A == 0``.

        ``other`` must be of the same class with the same base shape and sampling.
        """
        if type(other) is not type(self):
            raise InvalidTypeError(
                f"relative_difference needs another {type(self).__name__}, not {type(other).__name__}"
            )
        if other.base_shape != self.base_shape:
            raise InvalidArgumentError(
                f"relative_difference: base shapes differ ({self.base_shape} vs {other.base_shape})"
            )
        self._check_compatible(other, "relative_difference")
        a, b = _same_device(self._array, other._array)
        try:
            np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        except ValueError:
            raise InvalidArgumentError(
                f"relative_difference: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
            ) from None
        threshold = min_relative_tol * _backend.reduce(a, "max", axis=None)
        with np.errstate(divide="ignore", invalid="ignore"):
            valid = (np.abs(a) >= threshold) & (a != 0)
            safe = np.where(valid, a, 1)
            result = np.where(valid, 100 * (a - b) / safe, np.nan)
        result = result.astype(np.result_type(a.dtype, b.dtype))
        return self._with_label(result, "Relative difference", "%", tex_units="$\\%$")

    def _check_compatible(self, other: "ArrayObject", what: str) -> None:
        """Hook for subclasses: check samplings etc. of a second operand."""

    # ------------------------------------------------------------------ files and exports
    def to_zarr(self, url: Any, compute: bool = True, overwrite: bool = False, **kwargs: Any) -> Any:
        """Write abTEM's canonical zarr layout (directory, or a single file if ``url`` ends in ``.zip``).

        Streams chunk by chunk; ``overwrite=False`` refuses an existing path; a failed write leaves
        any previous file intact. ``compute=False`` returns a ``dask.delayed`` object.
        """
        from .zarr_format import write_zarr

        return write_zarr(self, url, compute=compute, overwrite=overwrite, **kwargs)

    @classmethod
    def from_zarr(cls, url: Any, chunks: Any = "auto") -> Any:
        """Read an abTEM zarr store (any layout abTEM wrote); a list if it holds several objects."""
        from .zarr_format import read_zarr

        return read_zarr(url, chunks=chunks)

    def to_tiff(self, filename: Any, **kwargs: Any) -> None:
        """Write an ImageJ-compatible TIFF with the physical pixel size in Å (see ``tiff_format``)."""
        from .tiff_format import write_tiff

        return write_tiff(self, filename, **kwargs)

    def to_data_array(self) -> Any:
        """``xarray.DataArray`` with dims = axis labels, coordinates (units in attrs) and metadata attrs."""
        from .exports import to_data_array

        return to_data_array(self)

    def to_hyperspy(self, transpose: bool = True) -> Any:
        """HyperSpy signal (``Signal2D``/``Signal1D``, lazy for lazy objects) with calibrated axes."""
        from .exports import to_hyperspy

        return to_hyperspy(self, transpose=transpose)

    # ------------------------------------------------------------------ napari
    # The conversion lives in napari_temimages.layer_data (napari-free and Qt-free); it is
    # imported by name at call time so that _core never depends on the package around it.
    @classmethod
    def from_layer(cls, layer: Any) -> "ArrayObject":
        """The object a napari image layer (or ``(data, attributes)`` tuple) shows."""
        import importlib

        obj = importlib.import_module("napari_temimages.layer_data").from_layer(layer)
        if not isinstance(obj, cls):
            raise InvalidTypeError(f"the layer holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    def add_to_viewer(self, viewer: Any, **kwargs: Any) -> list:
        """Add to a napari viewer (x right, y up, physical axes); returns the new layers.

        ``kwargs``: ``name``, ``display`` (``"linear"``/``"power"``/``"log"``), ``power``,
        ``colormap``, ``contrast_limits``.
        """
        import importlib

        return importlib.import_module("napari_temimages.layer_data").add_to_viewer(self, viewer, **kwargs)

    # ------------------------------------------------------------------ arithmetic
    def _operand(self, other: Any) -> Any:
        if isinstance(other, ArrayObject):
            if type(other) is not type(self):
                return NotImplemented
            self._check_compatible(other, "arithmetic")
            return other._array
        if isinstance(other, (numbers.Number, np.generic)) or hasattr(other, "__array_namespace__") or isinstance(
            other, np.ndarray
        ) or _backend.is_lazy(other):
            return other
        return NotImplemented

    def _arith(self, other: Any, op: Callable[[Any, Any], Any], reflected: bool = False) -> Any:
        value = self._operand(other)
        if value is NotImplemented:
            return NotImplemented
        mine, value = _same_device(self._array, value)
        array = op(value, mine) if reflected else op(mine, value)
        return self._new(array)

    def __add__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a + b)

    def __radd__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a + b, reflected=True)

    def __sub__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a - b)

    def __rsub__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a - b, reflected=True)

    def __mul__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a * b)

    def __rmul__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a * b, reflected=True)

    def __truediv__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a / b)

    def __rtruediv__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a / b, reflected=True)

    def __pow__(self, other: Any) -> Any:
        return self._arith(other, lambda a, b: a**b)

    def __neg__(self) -> "ArrayObject":
        return self._new(-self._array)

    # In-place operators return new objects (Python rebinds the name); lazy objects work too.
    __iadd__ = __add__
    __isub__ = __sub__
    __imul__ = __mul__
    __itruediv__ = __truediv__


def _normalize_stack(stack: Any, scale: str, shift: str, base_dims_: int) -> Any:
    """``(I - SHIFT(I)) / SCALE(I)`` per member of a stack, statistics over the last ``base_dims_`` axes.

    Large members are done one at a time into a preallocated output (each member is read from
    cache for its statistics and its update: ~2 memory passes instead of ~5 over the stack).
    """
    xp = _backend.get_backend(stack).xp
    base = tuple(range(stack.ndim - base_dims_, stack.ndim))
    n_members = int(np.prod(stack.shape[: stack.ndim - base_dims_], dtype=np.int64))
    member_size = int(np.prod(stack.shape[stack.ndim - base_dims_ :], dtype=np.int64))

    def normalized(members: Any, axes: tuple, out: Any = None) -> Any:
        def stat(name: str) -> Any:
            if name == "ptp":
                return xp.max(members, axis=axes, keepdims=True) - xp.min(members, axis=axes, keepdims=True)
            return getattr(xp, name)(members, axis=axes, keepdims=True)

        scale_values = stat(scale)
        if shift == "none":
            return xp.divide(members, scale_values, out=out) if out is not None else members / scale_values
        shift_values = stat(shift)
        if out is None:
            out = members - shift_values
        else:
            xp.subtract(members, shift_values, out=out)
        if out.dtype == np.result_type(out.dtype, scale_values.dtype):
            return xp.divide(out, scale_values, out=out)  # in place: no second temporary
        result = out / scale_values
        if out is not None and result.dtype == out.dtype:
            out[...] = result
        return result

    if base_dims_ == 0 or n_members < 2 or member_size < (1 << 16):
        return normalized(stack, base)
    members = stack.reshape((n_members,) + stack.shape[stack.ndim - base_dims_ :])
    first = normalized(members[0], tuple(range(base_dims_)))
    out = xp.empty(members.shape, dtype=first.dtype)
    out[0] = first
    for i in range(1, n_members):
        normalized(members[i], tuple(range(base_dims_)), out=out[i])
    return out.reshape(stack.shape)


def _same_device(array: Any, other: Any) -> tuple[Any, Any]:
    """Bring two operands onto one device: a host operand moves to the other's device (GPU wins)."""
    if isinstance(other, (numbers.Number, np.generic)):
        return array, other
    mine, theirs = _backend.get_backend(array), _backend.get_backend(other)
    if mine is theirs:
        return array, other
    if mine.device == "cpu":
        return _backend.to_device(array, theirs.device), other
    return array, _backend.to_device(other, mine.device)


def _wrap_block(obj: ArrayObject) -> np.ndarray:
    """An eager object in a numpy object array of shape ``(1,) * ensemble_dims``."""
    obj = obj.compute() if obj.is_lazy else obj
    wrapped = np.empty((1,) * obj.ensemble_dims, dtype=object)
    wrapped[(0,) * obj.ensemble_dims] = obj
    return wrapped
