"""Benchmark case registry: for each operation and size, our implementation, abTEM 1.0.11 and the floor.

A :class:`Case` has a ``setup(size)`` building the inputs once (outside any timing) and a dict of
implementations ``{"ours": ..., "abtem": ..., "floor": ..., "floor@fftw": ...}``; each is an
:class:`Impl` whose ``call(state)`` is what gets timed (an optional ``before(state)`` runs untimed
before every call, e.g. deleting the file a writer is about to write). Implementations whose
setup fails (an operation not written yet, abTEM missing) are reported as missing with the reason.

Inputs follow ``/work/shared/bench/README.md``: ``default_rng(1234).random(..., float32)``,
sampling 0.05 Å, lazy inputs ``da.from_array(x, chunks=(c, -1, -1))`` built outside the timed
region; lazy operations are timed as *build graph + compute()*.

Nothing here imports abTEM or napari at module level: each is imported by the cases that use it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import floors as F

SAMPLING = 0.05

#: Sizes per family, "full" (the issue's) and "tiny" (the smoke test's).
SIZES = {
    "full": {
        "n2d": 2048,
        "ens": (64, 512, 512),
        "ooc": (256, 1024, 1024),
        "ooc_chunk": 8,
        "io": (64, 512, 512),
        "napari": (8, 8, 1024, 1024),
        "line_gpts": 1000,
    },
    "tiny": {
        "n2d": 64,
        "ens": (4, 32, 32),
        "ooc": (8, 64, 64),
        "ooc_chunk": 2,
        "io": (4, 32, 32),
        "napari": (2, 2, 64, 64),
        "line_gpts": 50,
    },
}


@dataclass
class Impl:
    call: Callable[[dict], Any]
    before: Callable[[dict], None] | None = None


@dataclass
class Case:
    name: str
    group: str  # eager | ensemble | lazy8 | lazy1 | ooc | zarr | napari | membw
    setup: Callable[[dict], dict]
    impls: dict[str, Callable[[dict], Impl]]  # name -> factory(state) -> Impl (may raise: missing)
    target: str = ""  # key into run.TARGETS
    isolate: bool = False  # run in its own subprocess (memory, Qt)
    checksum: bool = True
    note: str = ""
    teardown: Callable[[dict], None] | None = None
    floor_for_target: str | None = None  # default: the fastest impl named floor*
    size_keys: tuple = field(default_factory=tuple)


# --------------------------------------------------------------------------- helpers
_ABTEM = None


def abtem():
    """Import abTEM with its defaults, progress bar off."""
    global _ABTEM
    if _ABTEM is None:
        import warnings

        warnings.filterwarnings("ignore", module="abtem")
        import abtem as _a

        _a.config.set({"diagnostics.progress_bar": False})
        _ABTEM = _a
    return _ABTEM


def ours():
    import napari_temimages._core as core

    return core


def image2d(n: int) -> np.ndarray:
    return np.random.default_rng(1234).random((n, n), dtype=np.float32)


def gradient2d(n: int) -> np.ndarray:
    rng = np.random.default_rng(1234)
    re = rng.standard_normal((n, n), dtype=np.float32)
    im = rng.standard_normal((n, n), dtype=np.float32)
    z = np.empty((n, n), np.complex64)
    z.real, z.imag = re, im
    return z


def ensemble(shape: tuple) -> np.ndarray:
    return np.random.default_rng(1234).random(shape, dtype=np.float32)


def result_array(result: Any) -> np.ndarray:
    """numpy array of any implementation's result (ours/abTEM objects: ``.array``)."""
    array = getattr(result, "array", result)
    if hasattr(array, "compute") and not isinstance(array, np.ndarray):
        array = array.compute()
    return np.asarray(array)


# --------------------------------------------------------------------------- eager 2-D cases
def _setup_2d(size: dict) -> dict:
    n = size["n2d"]
    return {"x": image2d(n), "n": n}


def _ours_img(state: dict, key: str = "x", lazy_chunks: Any = None, ensemble_mean: bool = False):
    core = ours()
    x = state[key]
    if lazy_chunks is not None:
        import dask.array as da

        x = state.setdefault(f"_da_{key}_{lazy_chunks}", da.from_array(x, chunks=(lazy_chunks, -1, -1)))
    if x.ndim == 2:
        return core.Images(x, sampling=SAMPLING)
    return core.Images(x, sampling=SAMPLING, ensemble_axes_metadata=[core.FrozenPhononsAxis(_ensemble_mean=ensemble_mean)])


def _abtem_img(state: dict, key: str = "x", lazy_chunks: Any = None, ensemble_mean: bool = False):
    a = abtem()
    x = state[key]
    if lazy_chunks is not None:
        import dask.array as da

        x = state.setdefault(f"_da_{key}_{lazy_chunks}", da.from_array(x, chunks=(lazy_chunks, -1, -1)))
    if x.ndim == 2:
        return a.Images(x, sampling=SAMPLING)
    from abtem.core.axes import FrozenPhononsAxis

    return a.Images(x, sampling=SAMPLING, ensemble_axes_metadata=[FrozenPhononsAxis(_ensemble_mean=ensemble_mean)])


def _obj_impls(method: Callable[[Any], Any], key: str = "x", lazy_chunks: Any = None, ensemble_mean: bool = False):
    """ours/abTEM impls calling ``method(images)`` (plus ``.compute()`` when lazy)."""

    def make(builder):
        def factory(state):
            img = builder(state, key, lazy_chunks, ensemble_mean)
            if lazy_chunks is None:
                return Impl(lambda s: method(img))
            return Impl(lambda s: method(img).compute())

        return factory

    return {"ours": make(_ours_img), "abtem": make(_abtem_img)}


def _floor(func: Callable[[dict], Any]) -> Callable[[dict], Impl]:
    return lambda state: Impl(func)


def _fftw_available(func):
    def factory(state):
        import pyfftw  # noqa: F401  (missing -> impl reported missing)

        return Impl(func)

    return factory


def _line_args(state: dict) -> tuple:
    L = state["n"] * SAMPLING
    return (0.1 * L, 0.15 * L), (0.85 * L, 0.6 * L)


def _setup_line(size: dict) -> dict:
    state = _setup_2d(size)
    state["gpts"] = size["line_gpts"]
    start, end = _line_args(state)
    state["positions"] = F.line_positions(start, end, state["gpts"], 1.0, (SAMPLING, SAMPLING))
    return state


def _setup_igrad(size: dict) -> dict:
    n = size["n2d"]
    return {"x": gradient2d(n), "n": n}


def _half_extent(state: dict) -> tuple:
    L = state["n"] * SAMPLING
    return (L / 2, L / 2)


def _gpts2(state: dict) -> tuple:
    return (2 * state["n"], 2 * state["n"])


SIGMA = 0.5  # Å -> 10 px
DOSE = 1e4  # e/Å²


def eager_cases() -> list[Case]:
    sp = SIGMA / SAMPLING
    cases = [
        Case(
            "interp_fft",
            "eager",
            _setup_2d,
            {
                **_obj_impls(lambda im: im.interpolate(sampling=SAMPLING / 2, method="fft")),
                "floor": _floor(lambda s: F.interp_fft(s["x"], _gpts2(s))),
                "floor@fftw": _fftw_available(lambda s: F.interp_fft(s["x"], _gpts2(s), "fftw")),
            },
            target="eager",
        ),
        Case(
            "interp_spline",
            "eager",
            _setup_2d,
            {
                **_obj_impls(lambda im: im.interpolate(sampling=SAMPLING / 2, method="spline", order=3)),
                "floor": _floor(lambda s: F.interp_spline(s["x"], _gpts2(s))),
            },
            target="eager",
        ),
        Case(
            "gauss",
            "eager",
            _setup_2d,
            {
                **_obj_impls(lambda im: im.gaussian_filter(SIGMA, boundary="periodic")),
                "floor": _floor(lambda s: F.gauss(s["x"], (sp, sp))),
                "floor@fftw": _fftw_available(lambda s: F.gauss(s["x"], (sp, sp), "fftw")),
            },
            target="eager",
        ),
        Case(
            "diffractogram",
            "eager",
            _setup_2d,
            {
                **_obj_impls(lambda im: im.diffractograms()),
                "floor": _floor(lambda s: F.diffractogram(s["x"])),
                "floor@fftw": _fftw_available(lambda s: F.diffractogram(s["x"], "fftw")),
            },
            target="eager",
        ),
        Case(
            "tile",
            "eager",
            _setup_2d,
            {**_obj_impls(lambda im: im.tile((2, 2))), "floor": _floor(lambda s: F.tile(s["x"], (2, 2)))},
            target="eager",
        ),
        Case(
            "crop",
            "eager",
            _setup_2d,
            {
                "ours": lambda s: (lambda img, ext: Impl(lambda _: img.crop(ext)))(_ours_img(s), _half_extent(s)),
                "abtem": lambda s: (lambda img, ext: Impl(lambda _: img.crop(ext)))(_abtem_img(s), _half_extent(s)),
                "floor": _floor(lambda s: F.crop(s["x"], (s["n"] // 2, s["n"] // 2))),
            },
            target="eager",
        ),
        Case(
            "line",
            "eager",
            _setup_line,
            {
                "ours": lambda s: (lambda img, se: Impl(lambda _: img.interpolate_line(*se, gpts=s["gpts"], width=1.0, order=3)))(
                    _ours_img(s), _line_args(s)
                ),
                "abtem": lambda s: (lambda img, se: Impl(lambda _: img.interpolate_line(*se, gpts=s["gpts"], width=1.0, order=3)))(
                    _abtem_img(s), _line_args(s)
                ),
                "floor": _floor(lambda s: F.line(s["x"], s["positions"])),
            },
            target="eager",
        ),
        Case(
            "poisson",
            "eager",
            _setup_2d,
            {
                **_obj_impls(lambda im: im.poisson_noise(dose_per_area=DOSE, seed=0)),
                "floor": _floor(lambda s: F.poisson(s["x"], DOSE * SAMPLING**2, seed=0)),
            },
            target="eager",
        ),
        Case(
            "igrad",
            "eager",
            _setup_igrad,
            {
                **_obj_impls(lambda im: im.integrate_gradient()),
                "floor": _floor(lambda s: F.igrad(s["x"], (SAMPLING, SAMPLING))),
                "floor@fftw": _fftw_available(lambda s: F.igrad(s["x"], (SAMPLING, SAMPLING), "fftw")),
            },
            target="eager",
        ),
    ]
    return cases


# --------------------------------------------------------------------------- ensemble cases
def _setup_ens(size: dict) -> dict:
    return {"x": ensemble(size["ens"]), "n": size["ens"][-1]}


_ENS_OPS: list[tuple[str, Callable[[Any], Any], Callable[[dict], Any], Callable[[dict], Any] | None, bool]] = [
    # name, method, floor, fftw floor, needs ensemble_mean flag
    ("ens_reduce", lambda im: im.reduce_ensemble(), lambda s: F.ens_mean(s["x"]), None, True),
    ("ens_mean", lambda im: im.mean(axis=0), lambda s: F.ens_mean(s["x"]), None, False),
    ("ens_std", lambda im: im.std(axis=0), lambda s: F.ens_std(s["x"]), None, False),
    ("ens_normalize", lambda im: im.normalize_ensemble(), lambda s: F.ens_normalize(s["x"]), None, False),
    (
        "ens_gauss",
        lambda im: im.gaussian_filter(SIGMA, boundary="periodic"),
        lambda s: F.ens_gauss(s["x"], (SIGMA / SAMPLING,) * 2),
        lambda s: F.ens_gauss(s["x"], (SIGMA / SAMPLING,) * 2, "fftw"),
        False,
    ),
    (
        "ens_diffractogram",
        lambda im: im.diffractograms(),
        lambda s: F.ens_diffractogram(s["x"]),
        lambda s: F.ens_diffractogram(s["x"], "fftw"),
        False,
    ),
]


def ensemble_cases() -> list[Case]:
    cases = []
    for chunks, suffix, group in ((None, "", "ensemble"), (8, "_lazy8", "lazy8"), (1, "_lazy1", "lazy1")):
        for name, method, floor, fftw_floor, ens_mean in _ENS_OPS:
            impls = {**_obj_impls(method, lazy_chunks=chunks, ensemble_mean=ens_mean), "floor": _floor(floor)}
            if fftw_floor is not None:
                impls["floor@fftw"] = _fftw_available(fftw_floor)
            cases.append(
                Case(
                    name + suffix,
                    group,
                    _setup_ens,
                    impls,
                    target={"ensemble": "eager", "lazy8": "lazy8", "lazy1": "lazy1"}[group],
                    note="" if chunks is None else "floor = the eager floor (same work)",
                )
            )
    return cases


# --------------------------------------------------------------------------- out-of-core mean
def _setup_ooc(size: dict) -> dict:
    return {"shape": tuple(size["ooc"]), "chunk": size["ooc_chunk"]}


def _ooc_input(state: dict):
    import dask.array as da

    shape, chunk = state["shape"], state["chunk"]
    return da.random.default_rng(0).random(shape, dtype=np.float32, chunks=(chunk,) + shape[1:])


def _ooc_ours(state: dict) -> Impl:
    core = ours()
    img = core.Images(_ooc_input(state), sampling=SAMPLING, ensemble_axes_metadata=[core.FrozenPhononsAxis()])
    return Impl(lambda s: img.mean(0).compute())


def _ooc_abtem(state: dict) -> Impl:
    a = abtem()
    from abtem.core.axes import FrozenPhononsAxis

    img = a.Images(_ooc_input(state), sampling=SAMPLING, ensemble_axes_metadata=[FrozenPhononsAxis()])
    return Impl(lambda s: img.mean(0).compute())


def ooc_cases() -> list[Case]:
    return [
        Case(
            "ooc_mean",
            "ooc",
            _setup_ooc,
            {
                "ours": _ooc_ours,
                "abtem": _ooc_abtem,
                "floor": _floor(lambda s: F.ooc_mean(s["shape"], s["chunk"], seed=0)),
            },
            target="ooc",
            isolate=True,
            note="1 GiB lazy random stack, never materialised; peak = Δ RSS",
        )
    ]


# --------------------------------------------------------------------------- zarr
def _setup_io(size: dict) -> dict:
    tmp = tempfile.mkdtemp(prefix="temimages-bench-")
    return {"x": ensemble(size["io"]), "tmp": tmp}


def _rm(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def _io_teardown(state: dict) -> None:
    shutil.rmtree(state["tmp"], ignore_errors=True)


def _ext(kind: str) -> str:
    return ".zip" if kind == "zip" else ".zarr"


def _ours_layout(state: dict, kind: str) -> dict:
    """Chunks and codecs of the array our writer produces (the floor writes the same)."""
    key = f"_layout_{kind}"
    if key not in state:
        import zarr

        path = os.path.join(state["tmp"], "probe" + _ext(kind))
        _rm(path)
        _ours_img(state).to_zarr(path)
        store = zarr.storage.ZipStore(path, mode="r") if kind == "zip" else path
        group = zarr.open_group(store, mode="r")
        name = sorted(k for k in group.array_keys())[0]
        arr = group[name]
        state[key] = {
            "name": name,
            "chunks": arr.chunks,
            "shards": getattr(arr, "shards", None),
            "serializer": arr.serializer,
            "compressors": arr.compressors,
            "filters": arr.filters,
        }
        if kind == "zip":
            store.close()
        _rm(path)
    return state[key]


def _zarr_store(path: str, kind: str, mode: str):
    import zarr

    return zarr.storage.ZipStore(path, mode=mode) if kind == "zip" else zarr.storage.LocalStore(path, read_only=(mode == "r"))


def _floor_write(kind: str, abtem_chunks: bool = False):
    def factory(state: dict) -> Impl:
        import zarr

        x = state["x"]
        if abtem_chunks:
            from zarr.codecs import BloscCodec, BloscShuffle, ZstdCodec

            layout = {
                "name": "array0",
                "chunks": x.shape,
                "shards": None,
                "serializer": "auto",
                "compressors": (BloscCodec(cname="zstd", clevel=4, shuffle=BloscShuffle.bitshuffle),)
                if kind == "zip"
                else (ZstdCodec(level=0),),
                "filters": (),
            }
        else:
            layout = _ours_layout(state, kind)
        path = os.path.join(state["tmp"], f"floor_w{'_ab' if abtem_chunks else ''}" + _ext(kind))

        def call(s):
            store = _zarr_store(path, kind, "w")
            arr = zarr.create_array(
                store,
                name=layout["name"],
                shape=x.shape,
                dtype=x.dtype,
                chunks=layout["chunks"],
                shards=layout["shards"],
                serializer=layout["serializer"],
                compressors=layout["compressors"],
                filters=layout["filters"],
                zarr_format=3,
            )
            arr[...] = x
            if kind == "zip":
                store.close()
            return x  # same data (checksum: the bytes written are read back by the read cases)

        return Impl(call, before=lambda s: _rm(path))

    return factory


def _obj_write(builder, kind: str, who: str):
    def factory(state: dict) -> Impl:
        img = builder(state)
        path = os.path.join(state["tmp"], f"{who}_w" + _ext(kind))

        def call(s):
            img.to_zarr(path)
            return img

        return Impl(call, before=lambda s: _rm(path))

    return factory


def _prepared_file(state: dict, who: str, kind: str) -> str:
    """A file written once by ``who`` (ours/abtem) for the read cases."""
    key = f"_file_{who}_{kind}"
    if key not in state:
        path = os.path.join(state["tmp"], f"{who}_r" + _ext(kind))
        _rm(path)
        (_ours_img if who == "ours" else _abtem_img)(state).to_zarr(path)
        state[key] = path
    return state[key]


def _ours_read(kind: str):
    def factory(state: dict) -> Impl:
        core = ours()
        path = _prepared_file(state, "ours", kind)
        return Impl(lambda s: core.from_zarr(path).compute())

    return factory


def _abtem_read(kind: str):
    def factory(state: dict) -> Impl:
        a = abtem()
        path = _prepared_file(state, "abtem", kind)
        return Impl(lambda s: a.from_zarr(path).compute())

    return factory


def _floor_read(kind: str, who: str = "ours"):
    def factory(state: dict) -> Impl:
        import zarr

        path = _prepared_file(state, who, kind)
        name = _ours_layout(state, kind)["name"] if who == "ours" else "array0"

        def call(s):
            store = _zarr_store(path, kind, "r")
            out = zarr.open_array(store, path=name, mode="r")[...]
            if kind == "zip":
                store.close()
            return out

        return Impl(call)

    return factory


def zarr_cases() -> list[Case]:
    cases = []
    for kind in ("dir", "zip"):
        cases.append(
            Case(
                f"zarr_write_{kind}",
                "zarr",
                _setup_io,
                {
                    "ours": _obj_write(lambda s: _ours_img(s), kind, "ours"),
                    "abtem": _obj_write(lambda s: _abtem_img(s), kind, "abtem"),
                    "floor": _floor_write(kind),
                    "floor@abtem_layout": _floor_write(kind, abtem_chunks=True),
                },
                target="zarr",
                teardown=_io_teardown,
                floor_for_target="floor",
                note="floor = zarr.create_array with our chunks/codecs; @abtem_layout = abTEM's one chunk",
            )
        )
        cases.append(
            Case(
                f"zarr_read_{kind}",
                "zarr",
                _setup_io,
                {
                    "ours": _ours_read(kind),
                    "abtem": _abtem_read(kind),
                    "floor": _floor_read(kind, "ours"),
                    "floor@abtem_file": _floor_read(kind, "abtem"),
                },
                target="zarr",
                teardown=_io_teardown,
                floor_for_target="floor",
                note="floor = zarr.open_array(...)[...] of our file; @abtem_file = of abTEM's file",
            )
        )
    return cases


# --------------------------------------------------------------------------- memory bandwidth yardsticks
def membw_cases() -> list[Case]:
    def setup2d(size):
        x = image2d(size["n2d"])
        return {"x": x, "out": np.empty_like(x)}

    def setupens(size):
        x = ensemble(size["ens"])
        return {"x": x, "out": np.empty_like(x)}

    return [
        Case("membw_copy_2d", "membw", setup2d, {"floor": _floor(lambda s: F.membw_copy(s["x"], s["out"]))}, checksum=False),
        Case("membw_copy_ens", "membw", setupens, {"floor": _floor(lambda s: F.membw_copy(s["x"], s["out"]))}, checksum=False),
    ]


# --------------------------------------------------------------------------- napari
def napari_cases() -> list[Case]:
    from . import napari_case

    return napari_case.cases()


def all_cases() -> list[Case]:
    cases = eager_cases() + ensemble_cases() + ooc_cases() + zarr_cases() + membw_cases()
    try:
        cases += napari_cases()
    except ImportError:
        pass
    return cases
