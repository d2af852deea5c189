"""The Images data model (spec §1, §3.1–§3.5): construction, properties, indexing, reductions,
element-wise methods, arithmetic and the fixes to abTEM's bookkeeping bugs (§7)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import (
    DiffractionPatterns,
    FrozenPhononsAxis,
    Images,
    MeasurementsEnsemble,
    OrdinalAxis,
    ParameterAxis,
    RealSpaceAxis,
    TiltAxis,
    UnknownAxis,
)
from napari_temimages._core.errors import InvalidArgumentError, InvalidTypeError

from .helpers import make_images


# ---------------------------------------------------------------- construction and properties
def test_properties() -> None:
    im = make_images()
    assert im.shape == (3, 4, 9, 8) and im.base_shape == (9, 8) and im.ensemble_shape == (3, 4)
    assert im.base_dims == 2 and im.ensemble_dims == 2 and len(im) == 3
    assert im.sampling == (0.1, 0.2)
    assert im.extent == pytest.approx((0.9, 1.6))
    assert im.offset == (0.0, 0.0)
    x, y = im.coordinates
    np.testing.assert_allclose(x, np.arange(9) * 0.1)
    np.testing.assert_allclose(y, np.arange(8) * 0.2)
    assert im.device == "cpu" and not im.is_lazy and not im.is_complex and im.dtype == np.float32
    base = im.base_axes_metadata
    assert [a.label for a in base] == ["x", "y"] and all(isinstance(a, RealSpaceAxis) for a in base)
    assert [a.sampling for a in base] == [0.1, 0.2] and base[0].units == "Å" and base[0].tex_label == "$x$"
    assert len(im.axes_metadata) == 4


def test_scalar_sampling_and_default_unknown_axes() -> None:
    im = Images(np.zeros((2, 3, 4)), sampling=0.5)
    assert im.sampling == (0.5, 0.5)
    assert isinstance(im.ensemble_axes_metadata[0], UnknownAxis)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"array": np.zeros(5), "sampling": 1}, InvalidArgumentError, "2D or greater"),
        ({"array": [[1, 2]], "sampling": 1}, InvalidTypeError, "numpy, cupy or dask array"),
        ({"array": np.zeros((2, 3, 4)), "sampling": 1, "ensemble_axes_metadata": []}, InvalidArgumentError, "1 ensemble axes"),
        ({"array": np.zeros((2, 3, 4)), "sampling": 1, "ensemble_axes_metadata": [ParameterAxis(values=(1, 2, 3))]}, InvalidArgumentError, "3 values but the array axis has length 2"),
        ({"array": np.zeros((2, 3, 4)), "sampling": 1, "ensemble_axes_metadata": ["C10"]}, InvalidTypeError, "AxisMetadata"),
        ({"array": np.zeros((3, 4)), "sampling": (1, 2, 3)}, InvalidArgumentError, "two values"),
        ({"array": np.zeros((3, 4)), "sampling": -1}, InvalidArgumentError, "positive"),
        ({"array": np.zeros((3, 4)), "sampling": "a"}, InvalidTypeError, "number"),
        ({"array": np.zeros((3, 4)), "sampling": 1, "metadata": [1]}, InvalidTypeError, "metadata must be a dict"),
    ],
)
def test_constructor_validation(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        Images(**kwargs)


def test_runtime_error_compatibility() -> None:
    """Our errors are ValueError/TypeError *and* RuntimeError (what abTEM raises)."""
    with pytest.raises(RuntimeError):
        Images(np.zeros(5), sampling=1)
    with pytest.raises(RuntimeError):
        make_images().sum(axis=-1)


def test_metadata_and_axes_are_not_shared_with_the_caller() -> None:
    """abTEM stores the caller's dict/list by reference (Q2); we copy."""
    meta = {"energy": 1.0}
    axes = [FrozenPhononsAxis()]
    im = Images(np.zeros((2, 3, 3)), 0.1, axes, meta)
    meta["energy"] = 2.0
    axes.append(UnknownAxis())
    assert im.metadata["energy"] == 1.0 and len(im.ensemble_axes_metadata) == 1
    derived = im.abs()
    derived.metadata["energy"] = 5.0
    derived.ensemble_axes_metadata[0].label = "changed"
    assert im.metadata["energy"] == 1.0 and im.ensemble_axes_metadata[0].label == "Frozen phonons"


def test_array_setter() -> None:
    im = make_images()
    im.array = np.ones(im.shape, dtype=np.float32)
    assert im.array.sum() == np.prod(im.shape)
    with pytest.raises(InvalidArgumentError, match="shape"):
        im.array = np.ones((2, 2), dtype=np.float32)


def test_from_array_and_metadata() -> None:
    axes = [ParameterAxis(label="C10", values=(1.0, 2.0)), RealSpaceAxis(sampling=0.3), RealSpaceAxis(sampling=0.4)]
    im = Images.from_array_and_metadata(np.zeros((2, 5, 6)), axes, {"a": 1})
    assert im.sampling == (0.3, 0.4) and im.ensemble_axes_metadata[0].label == "C10" and im.metadata == {"a": 1}
    with pytest.raises(InvalidTypeError, match="linear"):
        Images.from_array_and_metadata(np.zeros((2, 5, 6)), [axes[0], axes[0], axes[1]])


def test_copy_is_deep() -> None:
    im = make_images()
    c = im.copy()
    c.array[...] = 0
    assert im.array.sum() > 0 and c == c and c != im


def test_equality() -> None:
    a, b = make_images(), make_images()
    assert a == b
    assert a != make_images(seed=1)
    assert a != a.abs() or a.abs().metadata != a.metadata


# ---------------------------------------------------------------- indexing
def test_integer_index_records_ordinal_value() -> None:
    im = make_images()
    sub = im[1, 2]
    assert sub.shape == (9, 8) and sub.metadata["C10"] == 2.0
    np.testing.assert_array_equal(sub.array, im.array[1, 2])
    assert "C10" not in im.metadata


def test_get_items_returns_an_object_and_keepdims() -> None:
    im = make_images()
    sub = im.get_items(1, keepdims=True)
    assert isinstance(sub, Images) and sub.shape == (1, 4, 9, 8)
    sub = im.get_items((slice(None), 2), keepdims=True)
    assert sub.ensemble_axes_metadata[1].values == (2.0,)


def test_slices_lists_masks_none_and_ellipsis() -> None:
    im = make_images()
    assert im[:, [0, 3]].ensemble_axes_metadata[1].values == (0.0, 3.0)
    mask = np.array([True, False, True, False])
    assert im[:, mask].shape == (3, 2, 9, 8)
    assert im[None].shape == (1, 3, 4, 9, 8) and isinstance(im[None].ensemble_axes_metadata[0], UnknownAxis)
    assert im[..., 1].shape == (3, 9, 8)
    assert im[-1].shape == (4, 9, 8)
    # orthogonal (per-axis) fancy indexing, like the metadata
    assert im[[0, 1], [1, 2]].shape == (2, 2, 9, 8)
    np.testing.assert_array_equal(im[[0, 1], [1, 2]].array, im.array[[0, 1]][:, [1, 2]])


@pytest.mark.parametrize(
    "item, error, match",
    [
        ((0, 0, 0), InvalidArgumentError, "too many indices"),
        (5, IndexError, "out of range"),
        ("a", InvalidTypeError, "str"),
        (1.5, InvalidTypeError, "float"),
        ((slice(None), np.array([True])), InvalidArgumentError, "boolean index"),
        ((Ellipsis, Ellipsis), InvalidArgumentError, "single ellipsis"),
    ],
)
def test_bad_indices(item, error, match) -> None:
    with pytest.raises(error, match=match):
        make_images()[item]


def test_tilt_axis_index_sets_base_tilt() -> None:
    im = Images(np.zeros((2, 3, 3)), 0.1, [TiltAxis(values=((1.0, 2.0), (3.0, 4.0)))])
    assert im[1].metadata == {"base_tilt_x": 3.0, "base_tilt_y": 4.0}


def test_iteration_stops() -> None:
    im = make_images((3, 4, 4))
    assert len(list(im)) == 3


def test_expand_dims_and_squeeze() -> None:
    im = make_images()
    e = im.expand_dims(1, [ParameterAxis(label="t", values=(7.0,))])
    assert e.shape == (3, 1, 4, 9, 8) and e.ensemble_axes_metadata[1].label == "t"
    assert e.squeeze().shape == im.shape
    assert im.expand_dims().shape == (1, 3, 4, 9, 8)
    with pytest.raises(InvalidArgumentError, match="ensemble position"):
        im.expand_dims(-1)
    assert make_images((1, 4, 9, 8)).squeeze(axis=1).shape == (1, 4, 9, 8)


def test_set_ensemble_axes_metadata() -> None:
    im = make_images()
    out = im.set_ensemble_axes_metadata(ParameterAxis(label="df", values=(1, 2, 3)), 0)
    assert out is im and im.ensemble_axes_metadata[0].label == "df"
    with pytest.raises(InvalidArgumentError, match="2 values"):
        im.set_ensemble_axes_metadata(ParameterAxis(values=(1, 2)), 0)
    assert im.ensemble_axes_metadata[0].label == "df"


def test_get_from_metadata() -> None:
    im = make_images()
    assert im.get_from_metadata("C10") == (0.0, 1.0, 2.0, 3.0)
    assert im.get_from_metadata("C10", broadcastable=True).shape == (1, 4)
    assert im.get_from_metadata("energy") == 200e3
    with pytest.raises(InvalidArgumentError, match="could not resolve"):
        im.get_from_metadata("nope")
    im.metadata["C10"] = 1
    with pytest.raises(InvalidArgumentError, match="ambiguous"):
        im.get_from_metadata("C10")


# ---------------------------------------------------------------- blocks
def test_generate_blocks_and_select_block() -> None:
    im = make_images()
    blocks = list(im.generate_blocks(1))
    assert len(blocks) == 12
    index, slices, wrapped = blocks[5]
    member = wrapped.item()
    np.testing.assert_array_equal(member.array, im.array[slices])
    assert im.select_block((1, 1), (1, 1)).shape == (1, 1, 9, 8)
    assert len(list(im.generate_blocks((2, 4)))) == 2
    assert list(Images(np.zeros((3, 3)), 1).generate_blocks())[0][:2] == ((), ())


def test_generate_ensemble_yields_index_member_pairs() -> None:
    im = make_images((2, 3, 4, 4))
    pairs = list(im.generate_ensemble())
    assert [p[0] for p in pairs][:2] == [(0, 0), (0, 1)]
    np.testing.assert_array_equal(pairs[4][1].array, im.array[1, 1])


def test_ensemble_blocks() -> None:
    im = make_images().lazy(chunks=(1, 2, -1, -1))
    blocks = im.ensemble_blocks()
    assert blocks.shape == (3, 2)
    value = blocks.compute()[2, 1]
    np.testing.assert_array_equal(value.array, im.compute().array[2:3, 2:4])


def test_apply_func_receives_the_object() -> None:
    im = make_images()
    out = im.apply_func(lambda m, k=1: np.sqrt(m.array) * k, k=2)
    np.testing.assert_allclose(out.array, np.sqrt(im.array) * 2)
    lazy = im.lazy(chunks=(1, 1, 3, 3)).apply_func(lambda m: m.array - m.array.mean(axis=(-2, -1), keepdims=True))
    np.testing.assert_allclose(lazy.compute().array, im.array - im.array.mean(axis=(-2, -1), keepdims=True), atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="shape"):
        im.apply_func(lambda m: m.array[..., 0])


def test_apply_transform() -> None:
    im = make_images()
    assert im.apply_transform(lambda m: m.abs()).metadata["label"] == "amplitude"
    with pytest.raises(InvalidTypeError):
        im.apply_transform(3)


# ---------------------------------------------------------------- reductions
@pytest.mark.parametrize("name", ["mean", "sum", "std", "min", "max"])
@pytest.mark.parametrize("axis", [0, 1, (0, 1), -3])
def test_reductions(name, axis) -> None:
    im = make_images()
    out = getattr(im, name)(axis=axis)
    np.testing.assert_allclose(out.array, getattr(np, name)(im.array, axis=axis), rtol=1e-6)
    removed = {axis % 4} if isinstance(axis, int) else set(axis)
    assert [a.label for a in out.ensemble_axes_metadata] == [
        a.label for i, a in enumerate(im.ensemble_axes_metadata) if i not in removed
    ]


def test_reduction_without_axis_reduces_the_ensemble_only() -> None:
    im = make_images()
    out = im.mean()
    assert isinstance(out, Images) and out.shape == (9, 8)
    np.testing.assert_allclose(out.array, im.array.mean(axis=(0, 1)), rtol=1e-6)


def test_keepdims_on_ordinal_axis() -> None:
    im = make_images()
    out = im.mean(axis=1, keepdims=True)
    assert out.shape == (3, 1, 9, 8) and out.ensemble_axes_metadata[1].label == "C10"
    out = im.max(axis=0, keepdims=True)
    assert isinstance(out.ensemble_axes_metadata[0], FrozenPhononsAxis)


def test_reducing_a_base_axis_fails() -> None:
    with pytest.raises(InvalidArgumentError, match="base axes cannot be reduced"):
        make_images().mean(axis=2)
    with pytest.raises(InvalidArgumentError, match="out of range"):
        make_images().mean(axis=9)
    with pytest.raises(InvalidTypeError):
        make_images().mean(axis="x")


def test_weighted_axis_warns_on_plain_mean() -> None:
    im = Images(np.ones((2, 3, 3)), 0.1, [ParameterAxis(values=(1, 2), weights=(1, 3))])
    with pytest.warns(UserWarning, match="weights"):
        im.mean(0)


def test_reduce_ensemble() -> None:
    im = make_images()
    np.testing.assert_allclose(im.reduce_ensemble().array, im.array.mean(0), rtol=1e-6)
    weights = (1.0, 2.0, 3.0, 4.0)
    im.ensemble_axes_metadata[1] = ParameterAxis(label="C10", values=(0, 1, 2, 3), weights=weights)
    out = im.reduce_ensemble(axis=(0, 1))
    w = np.array(weights) / sum(weights)
    expected = (im.array.mean(0) * w[:, None, None]).sum(0)
    np.testing.assert_allclose(out.array, expected, rtol=1e-5)
    assert out.ensemble_dims == 0
    plain = Images(np.ones((2, 3, 3)), 0.1, [UnknownAxis()])
    same = plain.reduce_ensemble()
    assert same is not plain and same == plain


def test_reduce_ensemble_integer_weighted() -> None:
    im = Images(np.arange(18).reshape(2, 3, 3), 0.1, [ParameterAxis(values=(1, 2), weights=(1, 3))])
    out = im.reduce_ensemble(0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, (im.array[0] + 3 * im.array[1]) / 4)


def test_reduce_ensemble_complex_warns() -> None:
    with pytest.warns(UserWarning, match="complex"):
        make_images(complex_=True).reduce_ensemble()


@pytest.mark.parametrize("scale, shift", [("max", "mean"), ("ptp", "min"), ("sum", "none"), ("std", "median")])
def test_normalize_ensemble(scale, shift) -> None:
    im = make_images()
    a = im.array
    ops = {"max": np.max, "min": np.min, "sum": np.sum, "mean": np.mean, "std": np.std, "median": np.median, "ptp": np.ptp}
    s = 0 if shift == "none" else ops[shift](a, axis=(-2, -1), keepdims=True)
    expected = (a - s) / ops[scale](a, axis=(-2, -1), keepdims=True)
    np.testing.assert_allclose(im.normalize_ensemble(scale, shift).array, expected, rtol=1e-5)


def test_normalize_ensemble_rejects_unknown_names() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown scale"):
        make_images().normalize_ensemble(scale="argmax")


# ---------------------------------------------------------------- element-wise
def test_elementwise_complex() -> None:
    im = make_images(complex_=True)
    a = im.array
    cases = {"abs": (np.abs(a), "amplitude"), "real": (a.real, "real"), "imag": (a.imag, "imaginary"),
             "phase": (np.angle(a), "phase"), "intensity": (np.abs(a) ** 2, "intensity")}
    for name, (expected, label) in cases.items():
        out = getattr(im, name)()
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out.array, expected, rtol=1e-6, atol=1e-7)
        assert out.metadata["label"] == label
    assert im.metadata["label"] == "intensity"
    assert im.phase().metadata["units"] == "rad."


@pytest.mark.parametrize("name", ["real", "imag", "phase", "intensity"])
def test_complex_only_methods_reject_real_data(name) -> None:
    with pytest.raises(InvalidTypeError, match="needs complex data"):
        getattr(make_images(), name)()


def test_relative_difference() -> None:
    a = make_images()
    b = a * 0.9
    out = a.relative_difference(b)
    np.testing.assert_allclose(out.array, 10.0, rtol=1e-4)
    assert out.metadata["units"] == "%" and out.metadata["tex_units"] == "$\\%$"
    tol = a.relative_difference(b, min_relative_tol=0.5)
    assert np.isnan(tol.array[a.array < 0.5 * a.array.max()]).all()
    zero = Images(np.array([[0.0, 1.0]]), 1).relative_difference(Images(np.array([[1.0, 1.0]]), 1))
    assert np.isnan(zero.array[0, 0]) and zero.array[0, 1] == 0


def test_relative_difference_checks_its_operand() -> None:
    a = make_images()
    with pytest.raises(InvalidTypeError):
        a.relative_difference(a.array)
    with pytest.raises(InvalidArgumentError, match="samplings differ"):
        a.relative_difference(make_images(sampling=0.3))
    with pytest.raises(InvalidArgumentError, match="base shapes differ"):
        a.relative_difference(make_images((3, 4, 5, 5)))


def test_arithmetic() -> None:
    a = make_images()
    np.testing.assert_allclose((a + a).array, 2 * a.array)
    np.testing.assert_allclose((2 * a).array, 2 * a.array)
    np.testing.assert_allclose((1 - a).array, 1 - a.array)
    np.testing.assert_allclose((a / 2).array, a.array / 2)
    np.testing.assert_allclose((a ** 2).array, a.array**2)
    np.testing.assert_allclose((-a).array, -a.array)
    np.testing.assert_allclose((a * a.array).array, a.array**2)
    b = a
    b += 1
    assert b is not a and np.allclose(b.array, a.array + 1)
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(InvalidArgumentError, match="samplings differ"):
        a + make_images(sampling=0.5)


# ---------------------------------------------------------------- other types
def test_measurement_ensemble() -> None:
    im = make_images()
    ens = im.to_measurement_ensemble()
    assert isinstance(ens, MeasurementsEnsemble) and ens.base_dims == 0 and ens.ensemble_dims == 4
    assert [a.label for a in ens.ensemble_axes_metadata][-2:] == ["x", "y"]
    ens.metadata["x"] = 1
    assert "x" not in im.metadata


def test_diffraction_patterns_model() -> None:
    dp = DiffractionPatterns(np.zeros((2, 6, 5)), sampling=1 / 3, fftshift=True, metadata={"energy": 100e3})
    assert dp.limits[0] == pytest.approx((-1.0, 2 / 3)) and dp.limits[1] == pytest.approx((-2 / 3, 2 / 3))
    assert dp.extent == pytest.approx((2.0, 5 / 3))
    kx, ky = dp.coordinates
    assert kx[3] == 0.0 and ky[2] == 0.0
    assert dp.wavelength == pytest.approx(0.0370, abs=1e-4)
    assert dp.angular_sampling[0] == pytest.approx(1 / 3 * dp.wavelength * 1e3)
    assert dp.base_axes_metadata[0].label == "kx" and dp.base_axes_metadata[0].units == "1/Å"
    with pytest.raises(InvalidArgumentError, match="energy"):
        DiffractionPatterns(np.zeros((4, 4)), 1.0).angular_sampling
    assert dp[0].fftshift is True


def test_len_and_repr() -> None:
    im = make_images()
    assert "Images" in repr(im) and "C10" in repr(im)
    assert len(OrdinalAxis(values=(1, 2))) == 2
