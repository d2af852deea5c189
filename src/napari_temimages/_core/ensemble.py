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
