"""Live comparison with abTEM 1.0.11 on generated inputs: reductions, reduce/normalize_ensemble,
element-wise methods and indexing (shapes odd and even, float32/float64/complex64, 0–3 ensemble
axes of different types)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .live import assert_same, images, to_abtem

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def image_and_axes(draw):
    im = draw(images())
    if im.ensemble_dims == 0:
        return im, None
    axes = draw(st.lists(st.integers(0, im.ensemble_dims - 1), min_size=1, unique=True))
    return im, tuple(sorted(axes))


@SETTINGS
@given(image_and_axes(), st.sampled_from(["mean", "sum", "std", "min", "max"]))
def test_reductions_match_abtem(data, name) -> None:
    im, axis = data
    if axis is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(to_abtem(im), name)(axis=axis)
        ours = getattr(im, name)(axis=axis)
    assert_same(ours, theirs)


@SETTINGS
@given(image_and_axes())
def test_reduce_ensemble_matches_abtem(data) -> None:
    im, axis = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = to_abtem(im).reduce_ensemble(axis=axis)
        ours = im.reduce_ensemble(axis=axis)
    assert_same(ours, theirs)


@SETTINGS
@given(images(), st.sampled_from(["max", "min", "sum", "mean", "ptp"]), st.sampled_from(["mean", "min", "max", "none"]))
def test_normalize_ensemble_matches_abtem(im, scale, shift) -> None:
    with np.errstate(all="ignore"):
        theirs = to_abtem(im).normalize_ensemble(scale=scale, shift=shift)
        ours = im.normalize_ensemble(scale=scale, shift=shift)
    assert_same(ours, theirs)


@SETTINGS
@given(images(dtypes=("complex64", "complex128")), st.sampled_from(["abs", "real", "imag", "phase", "intensity"]))
def test_elementwise_complex_matches_abtem(im, name) -> None:
    assert_same(getattr(im, name)(), getattr(to_abtem(im), name)())


@SETTINGS
@given(images(dtypes=("float32", "float64")))
def test_abs_real_matches_abtem(im) -> None:
    assert_same(im.abs(), to_abtem(im).abs())


@st.composite
def image_and_items(draw):
    im = draw(images())
    items = []
    for n in im.ensemble_shape:
        kind = draw(st.sampled_from(["int", "slice", "list", "all"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, n - 1))
            items.append(slice(start, draw(st.integers(start + 1, n))))
        elif kind == "list":
            items.append(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))
        else:
            items.append(slice(None))
    # abTEM indexes the array with numpy semantics: keep at most one list (orthogonal = numpy then)
    lists = [i for i, it in enumerate(items) if isinstance(it, list)]
    for i in lists[1:]:
        items[i] = slice(None)
    if lists:  # numpy moves the axes of mixed int/list indices; abTEM's metadata does not follow
        items = [slice(None) if isinstance(it, int) else it for it in items]
    return im, tuple(items)


@SETTINGS
@given(image_and_items())
def test_indexing_matches_abtem(data) -> None:
    im, items = data
    if not items:
        return
    assert_same(im[items], to_abtem(im)[items], rtol=0, atol_factor=0)
