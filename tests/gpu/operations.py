"""Every operation of Images, DiffractionPatterns and line profiles, as a table.

Each :class:`Op` builds a small CPU input (``make``), runs one call (``run``) and says how its
device result is compared with the CPU result. ``test_device_ops.py`` runs the table on the
strict fake device, ``test_real_cupy.py`` on CuPy; ``test_coverage.py`` checks that every public
method of every measurement class is in this table or in :data:`EXEMPT` (with the reason).

Known host leaks in operation modules are marked ``leak=...`` (file and fix); their tests are
strict xfails, so fixing the module turns them into failures until the mark is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from napari_temimages import (
    DiffractionPatterns,
    FrozenPhononsAxis,
    Images,
    ParameterAxis,
    RealSpaceLineProfiles,
    ReciprocalSpaceLineProfiles,
)

from ..helpers import make_images

# ---------------------------------------------------------------------------------- inputs
SHAPE = (3, 4, 12, 10)
LAZY_CHUNKS = (1, 2, -1, -1)


def real_images() -> Images:
    return make_images(shape=SHAPE, sampling=(0.1, 0.12))


def complex_images() -> Images:
    return make_images(shape=SHAPE, sampling=(0.1, 0.12), complex_=True)


def weighted_images() -> Images:
    im = real_images()
    return im.set_ensemble_axes_metadata(ParameterAxis(label="C10", values=(0, 1, 2, 3), weights=(1, 2, 3, 4)), 1)


def diffraction_patterns() -> DiffractionPatterns:
    rng = np.random.default_rng(3)
    array = rng.random((3, 4, 12, 10)).astype(np.float32)
    axes = [FrozenPhononsAxis(_ensemble_mean=True), ParameterAxis(label="C10", values=(0.0, 1.0, 2.0, 3.0))]
    return DiffractionPatterns(array, sampling=(0.5, 0.6), fftshift=True, ensemble_axes_metadata=axes,
                               metadata={"energy": 200e3, "label": "intensity", "units": "arb. unit"})


def profiles() -> RealSpaceLineProfiles:
    rng = np.random.default_rng(4)
    x = np.linspace(-1, 1, 24)
    array = (np.exp(-(x / 0.3) ** 2) * (1 + rng.random((3, 4, 1)))).astype(np.float32)
    axes = [FrozenPhononsAxis(_ensemble_mean=True), ParameterAxis(label="C10", values=(0.0, 1.0, 2.0, 3.0))]
    return RealSpaceLineProfiles(array, sampling=0.05, ensemble_axes_metadata=axes, metadata={"label": "intensity"})


def reciprocal_profiles() -> ReciprocalSpaceLineProfiles:
    p = profiles()
    return ReciprocalSpaceLineProfiles(p.array, sampling=0.2, ensemble_axes_metadata=p.ensemble_axes_metadata,
                                       metadata={"energy": 200e3})


def _complex(make: Callable[[], Any]) -> Callable[[], Any]:
    def build() -> Any:
        obj = make()
        rng = np.random.default_rng(5)
        return obj._new((obj.array + 1j * rng.random(obj.shape)).astype(np.complex64))

    build.__name__ = f"complex_{make.__name__}"
    return build


def measurements_ensemble() -> Any:
    return real_images()[:, :2].to_measurement_ensemble()


#: Input kind -> factory of a small CPU object.
INPUTS: dict[str, Callable[[], Any]] = {
    "images": real_images,
    "images_c": complex_images,
    "images_w": weighted_images,
    "dp": diffraction_patterns,
    "dp_c": _complex(diffraction_patterns),
    "lp": profiles,
    "lp_c": _complex(profiles),
    "rp": reciprocal_profiles,
    "me": measurements_ensemble,
}


# ---------------------------------------------------------------------------------- table
@dataclass(frozen=True)
class Op:
    """One call on one kind of input.

    ``compare``: ``"values"`` (device result == CPU result within ``atol`` relative to the
    result's maximum), ``"random"`` (seeded draws: reproducible on the device, lazy == eager,
    mean of the CPU result; a GPU generator gives other numbers than numpy's), ``"shape"``
    (unseeded draws: type, shape, dtype and axes only).
    ``lazy``: run lazily too; ``lazy_only``: only lazily (rechunk ...). ``leak``: a known host
    round trip in the product (strict xfail, with the file and the fix).
    """

    name: str
    input: str
    run: Callable[[Any], Any]
    methods: tuple[str, ...]
    compare: str = "values"
    atol: float = 1e-6
    lazy: bool = True
    lazy_only: bool = False
    leak: str | None = None

    @property
    def id(self) -> str:
        return f"{self.name}[{self.input}]"

    def make(self) -> Any:
        return INPUTS[self.input]()


def _each(inputs: str, name: str, run: Callable[[Any], Any], methods: tuple[str, ...], **kw: Any) -> list[Op]:
    return [Op(name, kind, run, methods, **kw) for kind in inputs.split()]


_ALL = "images dp lp"
_ALL_C = "images_c dp_c lp_c"
_WITH_ME = "images dp lp me"


def _ops() -> list[Op]:
    ops: list[Op] = []
    add = ops.extend
    # ---- indexing and ensemble shape
    add(_each(_WITH_ME, "getitem_int", lambda o: o[1], ("get_items", "__getitem__")))
    add(_each(_ALL, "getitem_slice_list", lambda o: o[:2, [0, 3]], ("get_items", "__getitem__")))
    add(_each("images", "getitem_mask_none", lambda o: o[np.array([True, False, True]), None], ("get_items",)))
    add(_each(_ALL, "get_items_keepdims", lambda o: o.get_items((1, 2), keepdims=True), ("get_items",)))
    add(_each(_WITH_ME, "expand_dims", lambda o: o.expand_dims(1), ("expand_dims",)))
    add(_each(_ALL, "squeeze", lambda o: o[:1].squeeze(), ("squeeze",)))
    add(_each(_ALL, "set_ensemble_axes_metadata",
              lambda o: o.set_ensemble_axes_metadata(ParameterAxis(label="t", values=(1, 2, 3)), 0),
              ("set_ensemble_axes_metadata",)))
    add(_each(_ALL, "generate_ensemble", lambda o: list(o.generate_ensemble())[5][1], ("generate_ensemble",),
              lazy=False))
    add(_each(_ALL, "generate_blocks", lambda o: list(o.generate_blocks(2))[1][2].item(), ("generate_blocks",)))
    add(_each(_ALL, "select_block", lambda o: o.select_block((1, 0), (2, 2)), ("select_block",)))
    add(_each(_ALL, "ensemble_blocks", lambda o: o.ensemble_blocks((1, 2)).compute()[2, 1],
              ("ensemble_blocks",)))
    add(_each(_ALL, "to_measurement_ensemble", lambda o: o.to_measurement_ensemble(), ("to_measurement_ensemble",)))
    add(_each(_WITH_ME, "copy", lambda o: o.copy(), ("copy",)))
    # ---- reductions
    add(_each(_WITH_ME, "mean_axis", lambda o: o.mean(0), ("mean",)))
    add(_each("images dp", "mean_all", lambda o: o.mean(), ("mean",)))
    add(_each(_ALL, "sum_keepdims", lambda o: o.sum(1, keepdims=True), ("sum",)))
    add(_each(_ALL, "std", lambda o: o.std((0, 1)), ("std",)))
    add(_each(_WITH_ME, "min", lambda o: o.min(1), ("min",)))
    add(_each(_ALL, "max", lambda o: o.max(0), ("max",)))
    add(_each(_ALL, "reduce_ensemble", lambda o: o.reduce_ensemble(), ("reduce_ensemble",)))
    add(_each("images_w", "reduce_ensemble_weighted", lambda o: o.reduce_ensemble((0, 1)), ("reduce_ensemble",)))
    add(_each(_ALL, "normalize_ensemble", lambda o: o.normalize_ensemble(), ("normalize_ensemble",)))
    add(_each("images dp", "normalize_ptp_min", lambda o: o.normalize_ensemble("ptp", "min"),
              ("normalize_ensemble",)))
    add(_each("images lp", "normalize_std_median", lambda o: o.normalize_ensemble("std", "median"),
              ("normalize_ensemble",)))
    add(_each("lp", "normalize_sum_none", lambda o: o.normalize_ensemble("sum", "none"), ("normalize_ensemble",)))
    # ---- element-wise
    add(_each(_ALL_C, "abs", lambda o: o.abs(), ("abs",)))
    add(_each("images", "abs_real", lambda o: o.abs(), ("abs",)))
    add(_each(_ALL_C, "real", lambda o: o.real(), ("real",)))
    add(_each(_ALL_C, "imag", lambda o: o.imag(), ("imag",)))
    add(_each(_ALL_C, "phase", lambda o: o.phase(), ("phase",)))
    add(_each(_ALL_C, "intensity", lambda o: o.intensity(), ("intensity",)))
    add(_each(_ALL, "relative_difference", lambda o: o.relative_difference(o * 0.5 + 0.01, 0.2),
              ("relative_difference",)))
    add(_each("dp", "relative_difference_broadcast", lambda o: o.relative_difference(o[0], 0.0),
              ("relative_difference",)))
    # ---- arithmetic (a host numpy operand is uploaded to the device)
    add(_each(_ALL, "add_objects", lambda o: o + o[0], ("__add__",)))
    add(_each(_ALL, "radd_scalar", lambda o: 2 + o, ("__radd__",)))
    add(_each(_ALL, "sub_rsub", lambda o: (o - 1.5) + (1.0 - o), ("__sub__", "__rsub__")))
    add(_each(_ALL, "mul_host_array", lambda o: o * np.linspace(0, 1, o.shape[-1], dtype=np.float32),
              ("__mul__",)))
    add(_each(_ALL, "rmul_truediv", lambda o: (3 * o) / (o + 1), ("__rmul__", "__truediv__")))
    add(_each(_ALL, "rtruediv_pow_neg", lambda o: -(1 / (o + 1)) ** 2, ("__rtruediv__", "__pow__", "__neg__")))
    add(_each(_ALL, "inplace", _inplace, ("__iadd__", "__isub__", "__imul__", "__itruediv__")))
    # ---- generic application
    add(_each(_ALL, "apply_func", lambda o: o.apply_func(lambda m: m.array * 2 + 1), ("apply_func",)))
    add(_each(_ALL, "apply_transform", lambda o: o.apply_transform(lambda m: m.abs() + 1), ("apply_transform",)))
    add(_each("images", "apply_transform_op", lambda o: o.apply_transform(lambda m: m.gaussian_filter(0.2)),
              ("apply_transform",)))
    # ---- geometry
    add(_each("images", "crop", lambda o: o.crop((0.6, 0.6), offset=(0.2, 0.12)), ("crop",)))
    add(_each("images", "crop_centered", lambda o: o.crop((0.5, 0.7), centered=True), ("crop",)))
    add(_each("images images_c", "tile", lambda o: o.tile((2, 3)), ("tile",)))
    add(_each("images images_c", "integrate_disc", lambda o: o.integrate_disc((0.5, 0.6), 0.3), ("integrate_disc",)))
    # ---- resampling and filters
    add(_each("images", "interpolate_fft", lambda o: o.interpolate(gpts=(17, 7)), ("interpolate",)))
    add(_each("images_c", "interpolate_fft_complex", lambda o: o.interpolate(sampling=0.05, normalization="intensity"),
              ("interpolate",)))
    add(_each("images", "interpolate_spline_periodic", lambda o: o.interpolate(gpts=(16, 13), method="spline"),
              ("interpolate",)))
    add(_each("images", "interpolate_spline_reflect",
              lambda o: o.interpolate(gpts=(8, 13), method="spline", boundary="reflect", order=1), ("interpolate",)))
    add(_each("images_c", "interpolate_spline_constant",
              lambda o: o.interpolate(gpts=(15, 9), method="spline", boundary="constant", cval=0.5, order=3),
              ("interpolate",)))
    add(_each("images", "gaussian_filter", lambda o: o.gaussian_filter(0.25), ("gaussian_filter",)))
    add(_each("images_c", "gaussian_filter_reflect", lambda o: o.gaussian_filter((0.2, 0.3), boundary="reflect"),
              ("gaussian_filter",)))
    add(_each("images", "gaussian_filter_constant", lambda o: o.gaussian_filter(0.3, boundary="constant", cval=1.0),
              ("gaussian_filter",)))
    # ---- Fourier space
    add(_each("images", "diffractograms", lambda o: o.diffractograms(), ("diffractograms",), atol=1e-5))
    add(_each("images_c", "diffractograms_complex", lambda o: o.diffractograms(), ("diffractograms",), atol=1e-5))
    add(_each("images", "diffractograms_then_ops", lambda o: o.diffractograms()[1].normalize_ensemble().mean(0),
              ("diffractograms",), atol=1e-5))
    add(_each("images_c", "integrate_gradient", lambda o: o.integrate_gradient(), ("integrate_gradient",), atol=1e-5))
    # ---- line profiles
    add(_each("images", "interpolate_line", lambda o: o.interpolate_line((0.1, 0.1), (1.0, 1.1)),
              ("interpolate_line",)))
    add(_each("images", "interpolate_line_width_margin",
              lambda o: o.interpolate_line((0.1, 0.2), (0.9, 0.3), width=0.3, margin=0.2, gpts=20),
              ("interpolate_line",)))
    add(_each("images_c", "interpolate_line_at_position",
              lambda o: o.interpolate_line_at_position((0.6, 0.6), 30.0, 0.8, order=1),
              ("interpolate_line_at_position",)))
    add(_each("lp lp_c rp", "profiles_interpolate", lambda o: o.interpolate(gpts=50), ("interpolate",)))
    add(_each("lp", "profiles_interpolate_endpoint", lambda o: o.interpolate(sampling=0.02, endpoint=True, order=1),
              ("interpolate",)))
    add(_each("lp rp", "profiles_tile", lambda o: o.tile(3), ("tile",)))
    add(_each("lp", "profiles_width", lambda o: o.width(), ("width",)))
    add(_each("lp", "profiles_width_quarter", lambda o: (o * 2 - 0.1).width(0.25), ("width",)))
    # ---- noise
    add(_each("images", "poisson_noise", lambda o: o.poisson_noise(dose_per_area=1e4, seed=7), ("poisson_noise",),
              compare="random"))
    add(_each("images", "poisson_noise_doses_samples",
              lambda o: o.poisson_noise(total_dose=[10.0, 1e3], samples=2, seed=3), ("poisson_noise",),
              compare="random"))
    add(_each("images", "scan_noise", lambda o: o.scan_noise(1e-6, 1e-5, 2.0, seed=5), ("scan_noise",), atol=1e-5))
    add(_each("images_c", "scan_noise_unseeded_rms_series", lambda o: o.scan_noise(1e-6, 0.0, [1.0, 3.0]),
              ("scan_noise",), compare="shape"))
    # ---- laziness and computing
    add(_each(_ALL, "rechunk", lambda o: o.rechunk((3, 1)), ("rechunk",), lazy_only=True))
    add(_each(_ALL, "no_base_chunks",
              lambda o: o.rechunk((1, 1) + (5,) * o.base_dims).no_base_chunks(), ("no_base_chunks",), lazy_only=True))
    add(_each(_ALL, "compute", lambda o: (o * 2).compute(), ("compute",), lazy_only=True))
    add(_each(_ALL, "ensure_lazy", lambda o: o.ensure_lazy((2, 2) + (-1,) * o.base_dims), ("ensure_lazy", "lazy")))
    # ---- already on the device: shares the array
    add(_each(_WITH_ME, "copy_to_device_same", lambda o: o.copy_to_device("gpu"), ("copy_to_device", "to_gpu")))
    return ops


def _inplace(obj: Any) -> Any:
    obj += 1
    obj -= 0.5
    obj *= 2
    obj /= 3
    return obj


OPS: list[Op] = _ops()
OPS_BY_ID = {op.id: op for op in OPS}
assert len(OPS_BY_ID) == len(OPS), "duplicate op ids"


#: Public methods that are not device operations, and where they are tested instead.
EXEMPT = {
    # the host boundary: data leave the device here, by design (test_device_boundaries.py)
    "show": "boundary",
    "to_zarr": "boundary",
    "to_tiff": "boundary",
    "to_data_array": "boundary",
    "to_hyperspy": "boundary",
    "add_to_viewer": "boundary",
    # device transfers themselves (test_device_transfers.py)
    "to_cpu": "transfer",
    "to_gpu": "transfer",
    "copy_to_device": "transfer",
    # constructors and readers: host input, then .to_gpu() (test_device_transfers.py)
    "from_array_and_metadata": "constructor",
    "from_zarr": "constructor",
    "from_layer": "constructor",
    # metadata only, no array involved
    "get_from_metadata": "metadata",
}


def lazy_ops() -> list[Op]:
    return [op for op in OPS if op.lazy or op.lazy_only]


def eager_ops() -> list[Op]:
    return [op for op in OPS if not op.lazy_only]
