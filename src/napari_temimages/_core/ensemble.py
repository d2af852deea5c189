"""Map a per-image function over the ensemble, on numpy, cupy and dask alike.

Every image operation is written once as a *stack function*: it takes an array of layout
``(*ensemble, *base)`` (any number of leading ensemble axes) on any backend and returns an array
``(*ensemble, *out_base)``. :func:`map_images` runs it

* eagerly: one vectorised call on the whole stack;
* lazily: base axes rechunked to one chunk each (images are never split), then one call per
  ensemble block via ``dask.array.map_blocks``, with the *true* output dtype declared and a meta
  array of the right backend, so nothing is computed until ``compute()``.

With ``ensemble_index=True`` the function also receives ``ensemble_offset``: the global index of
its block's first member along each ensemble axis (for seeded per-image random numbers).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .backend import get_backend, is_lazy

__all__ = ["map_images", "whole_base_chunks"]


def whole_base_chunks(array: Any, base_dims: int) -> Any:
    """Rechunk a dask array so each base axis is a single chunk (no-op when already so)."""
    if not is_lazy(array) or base_dims == 0:
        return array
    if all(len(c) == 1 for c in array.chunks[array.ndim - base_dims :]):
        return array
    return array.rechunk({i: -1 for i in range(array.ndim - base_dims, array.ndim)})


def map_images(
    func: Callable[..., Any],
    array: Any,
    *,
    base_dims: int = 2,
    out_base_shape: Sequence[int] | None = None,
    dtype: Any = None,
    ensemble_index: bool = False,
    **kwargs: Any,
) -> Any:
    """Apply ``func(stack, **kwargs)`` to every image stack of ``array``.

    Parameters
    ----------
    func
        Stack function ``(*ensemble, *base) -> (*ensemble, *out_base)``.
    array
        numpy, cupy or dask array whose last ``base_dims`` axes are the base axes.
    base_dims
        Number of trailing base axes of the input (2 for images).
    out_base_shape
        Base shape of the output (default: unchanged). Its length may differ from ``base_dims``
        (e.g. images -> line profiles).
    dtype
        Output dtype (default: the input dtype). Declared on the lazy result.
    ensemble_index
        Pass ``ensemble_offset`` (tuple of ints, one per ensemble axis) to ``func``.
    """
    in_base = tuple(array.shape[array.ndim - base_dims :])
    out_base = tuple(int(s) for s in (in_base if out_base_shape is None else out_base_shape))
    n_ens = array.ndim - base_dims
    dtype = np.dtype(array.dtype if dtype is None else dtype)
    if not is_lazy(array):
        if ensemble_index:
            kwargs["ensemble_offset"] = (0,) * n_ens
        return func(array, **kwargs)

    array = whole_base_chunks(array, base_dims)
    backend = get_backend(array)
    out_ndim = n_ens + len(out_base)
    chunks = tuple(array.chunks[:n_ens]) + tuple((s,) for s in out_base)
    meta = backend.empty_meta(out_ndim, dtype)

    drop_axis: list[int] = []
    new_axis: list[int] = []
    if len(out_base) < base_dims:
        drop_axis = list(range(n_ens + len(out_base), array.ndim))
    elif len(out_base) > base_dims:
        new_axis = list(range(array.ndim, out_ndim))

    if ensemble_index:

        def block_func(block, block_info=None, **kw):
            location = block_info[0]["array-location"] if block_info else [(0, 0)] * block.ndim
            offset = tuple(int(loc[0]) for loc in location[:n_ens])
            return func(block, ensemble_offset=offset, **kw)

    else:
        block_func = func

    return array.map_blocks(
        block_func,
        dtype=dtype,
        chunks=chunks,
        meta=meta,
        drop_axis=drop_axis or None,
        new_axis=new_axis or None,
        **kwargs,
    )


# ---------------------------------------------------------------------------------- lazy reductions
# dask's own sum/mean/min/max/std map a chunk function over every block (a fresh reduced array per
# chunk; mean/std also a full-size count array; std promotes every chunk to float64), then
# concatenate groups of partial results to reduce them again — with abTEM's split_every=2 a 6-deep
# tree. With one 512² image per chunk that is ~0.5 ms of overhead per chunk on a 2-core machine
# against ~0.05 ms of arithmetic. Here the leaves of the tree take the input blocks directly and
# accumulate them member by member into one buffer, upper levels combine partials in place.
# Results equal numpy's up to summation order.

_ACCUMULATORS = {"sum": "add", "mean": "add", "min": "minimum", "max": "maximum"}

#: default fan-in of the combine tree (abTEM's ``split_every=2`` makes a 6-deep tree of 127 tasks
#: for 64 chunks; in-place accumulation keeps one partial per node whatever the fan-in).
DEFAULT_SPLIT_EVERY = 16

#: at most this many bytes of input blocks per leaf task of a lazy reduction
LEAF_BYTES = 64 * 2**20


def _drop_axes(array: Any, axis: tuple, keepdims: bool) -> Any:
    if keepdims:
        return array
    return array.reshape(tuple(s for i, s in enumerate(array.shape) if i not in axis))


def _reduction_dtype(name: str, dtype: Any) -> np.dtype:
    probe = np.zeros(2, dtype=dtype)
    return np.dtype(getattr(np, name)(probe).dtype)


class _Reducer:
    """Task functions of a lazy tree reduction (see :func:`_tree_reduce`).

    ``leaf(blocks)`` reduces input blocks to one partial result, ``combine(partials)`` merges
    partial results, ``finish(partials)`` / ``finish_leaf(blocks)`` give the output block.
    Picklable (the array module is kept by name) for ``dask.distributed``.
    """

    def __init__(self, name: str, xp: Any, dtype: np.dtype, axis: tuple, keepdims: bool):
        self.name, self.xp, self.dtype, self.axis, self.keepdims = name, xp, np.dtype(dtype), axis, keepdims

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["xp"] = self.xp.__name__  # modules do not pickle: re-imported by name
        return state

    def __setstate__(self, state: dict) -> None:
        import importlib

        state = dict(state)
        state["xp"] = importlib.import_module(state["xp"])
        self.__dict__.update(state)

    def finish_leaf(self, blocks: list) -> Any:
        return self.finish([self.leaf(blocks)])


class _Accumulate(_Reducer):
    """sum / mean / min / max: partial results are reduced arrays, accumulated in place."""

    def __init__(self, name: str, xp: Any, dtype: np.dtype, axis: tuple, keepdims: bool, count: int):
        super().__init__(name, xp, dtype, axis, keepdims)
        self.count = count

    def _ufunc(self, xp: Any) -> Any:
        return getattr(xp, _ACCUMULATORS[self.name])

    def leaf(self, blocks: list) -> Any:
        # member by member into one buffer: no reduced array allocated per block, and the
        # buffer stays in cache (numpy's own reduction over a leading axis does the same adds)
        xp = self.xp
        ufunc = self._ufunc(xp)
        acc = None
        for block in blocks:
            for member in _split_members(block, self.axis):
                if acc is None:
                    acc = xp.array(member, dtype=self.dtype, copy=True)  # inputs are never written to
                else:
                    ufunc(acc, member, out=acc)
        return acc

    def combine(self, parts: list) -> Any:
        xp = self.xp
        ufunc = self._ufunc(xp)
        acc = parts[0]  # partial results are private buffers: accumulate into the first
        for part in parts[1:]:
            ufunc(acc, part, out=acc)
        return acc

    def finish(self, parts: list) -> Any:
        xp = self.xp
        acc = self.combine(list(parts))
        if self.name == "mean":
            xp.true_divide(acc, self.count, out=acc, casting="unsafe")
        return _drop_axes(acc, self.axis, self.keepdims)


class _Moments(_Reducer):
    """var / std (population, ddof 0): partial results ``(n, S, M2)``.

    ``n`` members, their sum ``S`` and the sum ``M2`` of squared deviations from their mean,
    combined exactly (Chan et al.): ``M2 = sum_i [M2_i + n_i (S_i/n_i - S/N)^2]``. Input blocks
    enter as single members ``(1, x, 0)``, so every leaf computes a two-pass variance of its
    members. Accumulated in the input's floating precision.
    """

    def leaf(self, blocks: list) -> dict:
        members = [{"n": 1, "S": m, "M2": None} for block in blocks for m in _split_members(block, self.axis)]
        return self.combine(members)

    def combine(self, parts: list) -> dict:
        xp = self.xp
        total = sum(p["n"] for p in parts)
        S = xp.array(parts[0]["S"], dtype=self.dtype, copy=True)
        for p in parts[1:]:
            S += p["S"]
        mean = S / total
        complex_ = xp.iscomplexobj(S)
        M2 = xp.zeros(S.shape, dtype=S.real.dtype)
        tmp = xp.empty_like(S)
        for p in parts:
            xp.multiply(mean, p["n"], out=tmp)
            xp.subtract(p["S"], tmp, out=tmp)  # S_i - n_i mean = n_i (mean_i - mean)
            if complex_:
                d = tmp.real * tmp.real
                d += tmp.imag * tmp.imag
            else:
                d = tmp
                d *= d
            if p["n"] != 1:
                d /= p["n"]
            M2 += d
            if p["M2"] is not None:
                M2 += p["M2"]
        return {"n": total, "S": S, "M2": M2}

    def finish(self, parts: list) -> Any:
        result = self.combine(list(parts)) if len(parts) > 1 else parts[0]
        var = result["M2"]
        var /= result["n"]
        out = self.xp.sqrt(var, out=var) if self.name == "std" else var
        return _drop_axes(out, self.axis, self.keepdims)


def _split_members(block: Any, axis: tuple):
    """Views of ``block`` with every reduced axis of length 1, one per member."""
    for index in np.ndindex(*[block.shape[a] for a in axis]):
        slices = [slice(None)] * block.ndim
        for a, i in zip(axis, index):
            slices[a] = slice(i, i + 1)
        yield block[tuple(slices)]


def lazy_reduce(array: Any, name: str, axis: Any, keepdims: bool = False, split_every: Any = None) -> Any:
    """Lazy ``sum``/``mean``/``min``/``max``/``var``/``std`` of a dask array of any backend.

    Same result (dtype, shape) as numpy's reduction; ``split_every`` is the fan-in of the combine
    tree (default :data:`DEFAULT_SPLIT_EVERY`).
    """
    import dask.array as da

    from .backend import get_backend

    if axis is None:
        axis = tuple(range(array.ndim))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axis = tuple(sorted({int(a) % array.ndim for a in axis}))
    backend = get_backend(array)
    xp = backend.xp
    out_dtype = _reduction_dtype(name, array.dtype)
    out_ndim = array.ndim if keepdims else array.ndim - len(axis)
    if array.size == 0:  # numpy's empty-reduction semantics (nan mean, min/max errors): dask's own
        kwargs = {} if split_every is None else {"split_every": split_every}
        return getattr(da, name)(array, axis=axis, keepdims=keepdims, **kwargs)
    if name in _ACCUMULATORS:
        count = int(np.prod([array.shape[a] for a in axis]))
        funcs: Any = _Accumulate(name, xp, out_dtype, axis, keepdims, count)
    elif name in ("std", "var"):
        # accumulate in the input's floating precision (complex: its complex type)
        work = np.result_type(array.dtype, np.float32) if array.dtype.kind in "fc" else np.dtype(np.float64)
        funcs = _Moments(name, xp, work, axis, keepdims)
    else:
        raise ValueError(f"lazy_reduce: unsupported reduction {name!r}")
    meta = backend.empty_meta(out_ndim, out_dtype)
    return _tree_reduce(array, funcs, axis, keepdims, out_dtype, split_every or DEFAULT_SPLIT_EVERY, name, meta)


def _tree_reduce(
    array: Any, funcs: Any, axis: tuple, keepdims: bool, dtype: Any, split_every: int, name: str, meta: Any
) -> Any:
    """Graph of a tree reduction that takes the input blocks directly.

    ``dask.array.reduction`` first maps a chunk function over every block; dask then fuses each
    block's getter with it into a small sub-graph, and executing a fused sub-graph costs ~0.2 ms
    (ordering it, on a 2-core machine) — more than summing a 512² image. Here the first tree level
    takes up to ``split_every`` input blocks itself (``funcs.leaf``), the upper levels combine
    partial results (``funcs.combine``) and the root finishes (``funcs.finish``).
    """
    import itertools

    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    from .backend import _cpu_count

    split_every = max(2, int(split_every))
    token = tokenize(array, name, axis, keepdims, str(dtype), split_every)
    out_name = f"{name}-ensemble-{token}"
    kept = [i for i in range(array.ndim) if i not in axis]
    block_bytes = int(np.prod([max(c) for c in array.chunks], dtype=np.int64)) * array.dtype.itemsize
    nblocks = array.numblocks
    layer: dict = {}
    leaf = funcs.leaf
    for out_index in itertools.product(*[range(nblocks[i]) for i in kept]):
        inputs = []
        for red_index in itertools.product(*[range(nblocks[a]) for a in axis]):
            full = [0] * array.ndim
            for i, b in zip(kept, out_index):
                full[i] = b
            for a, b in zip(axis, red_index):
                full[a] = b
            inputs.append((array.name, *full))
        level, func = 0, leaf
        # leaves take at most split_every blocks, fewer when that leaves the workers idle, and
        # at most LEAF_BYTES of input (a leaf holds all its input blocks at once: out-of-core
        # data is generated or read block by block)
        fan_in = min(split_every, -(-len(inputs) // (2 * _cpu_count())), LEAF_BYTES // max(block_bytes, 1))
        fan_in = max(1, fan_in)
        while len(inputs) > 1 and (len(inputs) > split_every or (func is leaf and fan_in < len(inputs))):
            grouped = []
            for g in range(0, len(inputs), fan_in):
                key = (f"{out_name}-partial{level}", *out_index, g // fan_in)
                layer[key] = (func, inputs[g : g + fan_in])
                grouped.append(key)
            inputs, level, func, fan_in = grouped, level + 1, funcs.combine, split_every
        if keepdims:
            full = [0] * array.ndim
            for i, b in zip(kept, out_index):
                full[i] = b
            key = (out_name, *full)
        else:
            key = (out_name, *out_index)
        layer[key] = (funcs.finish_leaf if func is leaf else funcs.finish, inputs)
    chunks = tuple((1,) if i in axis else c for i, c in enumerate(array.chunks)) if keepdims else tuple(
        array.chunks[i] for i in kept
    )
    graph = HighLevelGraph.from_collections(out_name, layer, dependencies=[array])
    return da.Array(graph, out_name, chunks, meta=meta, dtype=dtype)
