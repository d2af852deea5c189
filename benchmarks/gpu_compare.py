"""CPU vs GPU for every operation: ``python -m benchmarks.gpu_compare`` on a CUDA machine.

    python -m benchmarks.gpu_compare [--size full|small|tiny] [--only PATTERN] [--skip PATTERN]
                                     [--repeat N] [--eager-only] [--device cuda:N]
                                     [--markdown OUT] [--json OUT] [--list] [--fake]

Every case builds its input once on the CPU and once on the GPU (``to_gpu()``, outside the timed
region), calls the operation once as a warm-up (its result gives the agreement check: the
largest difference from the CPU result relative to the CPU result's largest value, or the ratio
of the means for random draws), then times ``N`` calls and reports the medians. A GPU call is
timed until the device has finished (``backend.synchronize()``); lazy cases are timed as *build
graph + compute()* from a lazy input chunked ``(c, -1, -1)``. ``to_gpu``/``to_cpu`` time the
transfers themselves. The ``D2H`` column counts device -> host copies per GPU call (through the
backend's ``asnumpy``): anything but 0 (other than ``to_cpu``) is a host round trip.

Needs CuPy for CUDA 12 and a CUDA GPU (``pip install 'napari-temimages[gpu]'``); without them it
says why and exits with status 2. ``--fake`` runs the cases on the test suite's strict fake device
instead (numpy underneath; the timings mean nothing): a smoke test of this script.

Inputs: ``default_rng(1234).random(..., float32)`` with sampling 0.05 Å, as ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

SAMPLING = 0.05

SIZES = {
    "full": {"n2d": 2048, "ens": (64, 512, 512), "profiles": (256, 4096), "chunk": 8, "line_gpts": 1000},
    "small": {"n2d": 512, "ens": (16, 256, 256), "profiles": (64, 1024), "chunk": 4, "line_gpts": 250},
    "tiny": {"n2d": 48, "ens": (4, 24, 24), "profiles": (4, 64), "chunk": 2, "line_gpts": 20},
}


@dataclass(frozen=True)
class GpuCase:
    """An operation on one input family; ``methods`` are the API methods it exercises."""

    name: str
    family: str  # "n2d", "ens", "complex", "profiles"
    run: Callable[[Any], Any]
    methods: tuple[str, ...]
    lazy: bool = True
    random: bool = False
    transfer: str | None = None  # "h2d" / "d2h": times the move itself


def _arithmetic(o: Any) -> Any:
    r = (2 * o + 1) / (o + 1)
    r = (1 - r) ** 2 - o * 0.5
    r = -(1 / (r + 3))
    r += 1
    r -= 0.5
    r *= 2
    r /= 3
    return r


CASES: list[GpuCase] = [
    # ---- transfers
    GpuCase("to_gpu", "ens", lambda o: o, ("to_gpu", "copy_to_device"), transfer="h2d"),
    GpuCase("to_cpu", "ens", lambda o: o.to_cpu(), ("to_cpu",), transfer="d2h"),
    # ---- reductions and normalisation over the ensemble
    GpuCase("mean", "ens", lambda o: o.mean(0), ("mean",)),
    GpuCase("sum", "ens", lambda o: o.sum(0), ("sum",)),
    GpuCase("std", "ens", lambda o: o.std(0), ("std",)),
    GpuCase("min_max", "ens", lambda o: o.max(0) - o.min(0), ("min", "max")),
    GpuCase("reduce_ensemble", "ens", lambda o: o.reduce_ensemble(), ("reduce_ensemble",)),
    GpuCase("normalize_ensemble", "ens", lambda o: o.normalize_ensemble("ptp", "median"), ("normalize_ensemble",)),
    # ---- element-wise
    GpuCase("abs", "complex", lambda o: o.abs(), ("abs",)),
    GpuCase("real_imag", "complex", lambda o: o.real() + o.imag(), ("real", "imag")),
    GpuCase("phase", "complex", lambda o: o.phase(), ("phase",)),
    GpuCase("intensity", "complex", lambda o: o.intensity(), ("intensity",)),
    GpuCase("relative_difference", "ens", lambda o: o.relative_difference(o[0], 0.01), ("relative_difference",)),
    GpuCase("arithmetic", "ens", _arithmetic,
            ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
             "__pow__", "__neg__", "__iadd__", "__isub__", "__imul__", "__itruediv__")),
    GpuCase("copy", "ens", lambda o: o.copy(), ("copy",), lazy=False),
    GpuCase("apply_func", "ens", lambda o: o.apply_func(lambda m: m.array * 2 + 1), ("apply_func",)),
    GpuCase("apply_transform", "ens", lambda o: o.apply_transform(lambda m: m.abs()), ("apply_transform",)),
    # ---- geometry
    GpuCase("crop", "n2d", lambda o: o.crop((o.extent[0] / 2, o.extent[1] / 2), centered=True), ("crop",)),
    GpuCase("tile", "n2d", lambda o: o.tile((2, 2)), ("tile",)),
    GpuCase("integrate_disc", "ens", lambda o: o.integrate_disc((o.extent[0] / 3, o.extent[1] / 2), o.extent[0] / 5),
            ("integrate_disc",)),
    # ---- resampling, filters, Fourier space
    GpuCase("interpolate_fft", "n2d", lambda o: o.interpolate(sampling=SAMPLING / 2), ("interpolate",)),
    GpuCase("interpolate_spline", "n2d", lambda o: o.interpolate(sampling=SAMPLING / 2, method="spline"),
            ("interpolate",)),
    GpuCase("gaussian_filter", "n2d", lambda o: o.gaussian_filter(0.5), ("gaussian_filter",)),
    GpuCase("ens_gaussian_filter", "ens", lambda o: o.gaussian_filter(0.5), ("gaussian_filter",)),
    GpuCase("diffractograms", "n2d", lambda o: o.diffractograms(), ("diffractograms",)),
    GpuCase("ens_diffractograms", "ens", lambda o: o.diffractograms(), ("diffractograms",)),
    GpuCase("integrate_gradient", "complex", lambda o: o.integrate_gradient(), ("integrate_gradient",)),
    # ---- line profiles
    GpuCase("interpolate_line", "n2d",
            lambda o: o.interpolate_line((0.1 * o.extent[0], 0.1 * o.extent[1]), (0.9 * o.extent[0], 0.8 * o.extent[1]),
                                         width=1.0), ("interpolate_line",)),
    GpuCase("interpolate_line_at_position", "ens",
            lambda o: o.interpolate_line_at_position((o.extent[0] / 2, o.extent[1] / 2), 30.0, o.extent[0] / 2),
            ("interpolate_line_at_position",)),
    GpuCase("profiles_interpolate", "profiles", lambda o: o.interpolate(gpts=2 * o.shape[-1]), ("interpolate",)),
    GpuCase("profiles_tile", "profiles", lambda o: o.tile(3), ("tile",)),
    GpuCase("profiles_width", "profiles", lambda o: o.width(), ("width",)),
    # ---- noise
    GpuCase("poisson_noise", "ens", lambda o: o.poisson_noise(dose_per_area=1e3, seed=1), ("poisson_noise",),
            random=True),
    GpuCase("scan_noise", "n2d", lambda o: o.scan_noise(1e-6, 1e-5, 2.0, num_components=50, seed=1),
            ("scan_noise",)),
]


# ---------------------------------------------------------------------------------- inputs
def make_input(family: str, size: dict) -> Any:
    from napari_temimages import FrozenPhononsAxis, Images, RealSpaceLineProfiles

    rng = np.random.default_rng(1234)
    if family == "n2d":
        n = size["n2d"]
        return Images(rng.random((n, n), dtype=np.float32), SAMPLING)
    if family == "ens":
        return Images(rng.random(size["ens"], dtype=np.float32), SAMPLING,
                      ensemble_axes_metadata=[FrozenPhononsAxis(_ensemble_mean=True)])
    if family == "complex":
        n = size["n2d"]
        array = (rng.standard_normal((n, n), dtype=np.float32) + 1j * rng.standard_normal((n, n), dtype=np.float32))
        return Images(array.astype(np.complex64), SAMPLING)
    if family == "profiles":
        m, n = size["profiles"]
        x = np.linspace(-1, 1, n, dtype=np.float32)
        array = np.exp(-(x / 0.2) ** 2) * (1 + rng.random((m, 1), dtype=np.float32))
        return RealSpaceLineProfiles(array.astype(np.float32), sampling=SAMPLING,
                                     ensemble_axes_metadata=[FrozenPhononsAxis()])
    raise ValueError(family)


def _lazy(obj: Any, size: dict) -> Any:
    chunks = (size["chunk"],) + (-1,) * (obj.ndim - 1) if obj.ensemble_dims else (-1,) * obj.ndim
    return obj.lazy(chunks)


# ---------------------------------------------------------------------------------- timing
def _array_of(result: Any) -> Any:
    return getattr(result, "array", result)


def _finish(result: Any) -> Any:
    """Compute a lazy result and wait for the device."""
    from napari_temimages._core import backend

    if hasattr(result, "compute") and getattr(result, "is_lazy", backend.is_lazy(result)):
        result = result.compute()
    backend.get_backend(_array_of(result)).synchronize()
    return result


def _time(call: Callable[[], Any], repeat: int) -> tuple[Any, float, list[float]]:
    t0 = time.perf_counter()
    first = call()
    first_time = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return first, first_time, times


class _D2HCounter:
    """Wraps the registered GPU backend's ``asnumpy`` to count device -> host copies."""

    def __init__(self, device: str):
        from napari_temimages._core import backend

        self.backend = backend
        self.original = backend.get_backend_for_device(device)
        self.count = 0

        def counting(array: Any, *args: Any, **kwargs: Any) -> np.ndarray:
            self.count += 1
            return self.original.asnumpy(array, *args, **kwargs)

        self.wrapped = dataclasses.replace(self.original, asnumpy=counting)

    def __enter__(self) -> "_D2HCounter":
        self.backend.register_backend(self.wrapped)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.backend.register_backend(self.original)


def _agreement(cpu: Any, gpu: Any, random: bool) -> str:
    from napari_temimages._core import backend

    a = np.asarray(backend.to_numpy(_array_of(cpu)), dtype=np.complex128)
    b = np.asarray(backend.to_numpy(_array_of(gpu)), dtype=np.complex128)
    if a.shape != b.shape:
        return f"shape {b.shape} != {a.shape}"
    if random:
        return f"mean ratio {abs(b.mean() / a.mean()):.4f}"
    scale = np.nanmax(np.abs(a)) if a.size else 1.0
    return f"{np.nanmax(np.abs(a - b)) / (scale or 1.0):.1e}"


def run_case(case: GpuCase, size: dict, lazy: bool, repeat: int, device: str) -> dict:
    """Time one case on the CPU and on ``device``; a dict row of the table."""
    cpu_in = make_input(case.family, size)
    if lazy:
        cpu_in = _lazy(cpu_in, size)
    row: dict[str, Any] = {"case": case.name, "mode": "lazy" if lazy else "eager", "shape": list(cpu_in.shape)}
    if case.transfer == "h2d":
        _, _, gpu_times = _time(lambda: _finish(cpu_in.to_gpu(device)), repeat)
        row.update(cpu=None, gpu=statistics.median(gpu_times), agreement="-", d2h=0)
        return row
    gpu_in = cpu_in.to_gpu(device)
    if not lazy:
        _finish(gpu_in)  # the upload is not part of the timing
    cpu_first, _, cpu_times = _time(lambda: _finish(case.run(cpu_in)), repeat)
    with _D2HCounter(device) as counter:
        gpu_first, _, gpu_times = _time(lambda: _finish(case.run(gpu_in)), repeat)
        d2h = counter.count / (repeat + 1)
    row.update(
        cpu=None if case.transfer else statistics.median(cpu_times),
        gpu=statistics.median(gpu_times),
        agreement="-" if case.transfer else _agreement(cpu_first, gpu_first, case.random),
        d2h=d2h,
    )
    return row


# ---------------------------------------------------------------------------------- output
def _ms(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.3f} s"


def markdown(rows: list[dict], header: str) -> str:
    lines = [header, "", "| case | mode | shape | CPU | GPU | speed-up | agreement | D2H/call |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['mode']} | {r.get('shape', '')} | - | - | - | error: {r['error']} | - |")
            continue
        speed = f"{r['cpu'] / r['gpu']:.1f}x" if r.get("cpu") and r.get("gpu") else "-"
        d2h = f"{r['d2h']:g}"
        lines.append(f"| {r['case']} | {r['mode']} | {'x'.join(map(str, r['shape']))} | {_ms(r.get('cpu'))} | "
                     f"{_ms(r['gpu'])} | {speed} | {r['agreement']} | {d2h} |")
    return "\n".join(lines)


def _describe_devices(device: str) -> str:
    from napari_temimages._core import backend

    gpu = backend.get_backend_for_device(device)
    name = gpu.name
    if gpu.name == "cupy":
        import cupy

        index = backend.device_index(device) or 0
        props = cupy.cuda.runtime.getDeviceProperties(index)
        name = f"{props['name'].decode() if isinstance(props['name'], bytes) else props['name']} (CuPy {cupy.__version__})"
    cpu = platform.processor() or platform.machine()
    return f"CPU: {cpu}, {os.cpu_count()} threads; GPU: {name}"


# ---------------------------------------------------------------------------------- main
def _install_fake() -> Callable[[], None]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    from napari_temimages._core import backend
    from tests.gpu import fake_device

    previous = [b for b in backend._BACKENDS if b.device == "gpu"]
    fake_device.install()
    fake_device.LOG.enabled = False

    def restore() -> None:
        fake_device.LOG.enabled = True
        fake_device.uninstall()
        for b in previous:
            backend.register_backend(b)

    return restore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_compare", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--only", action="append", default=[], help="fnmatch pattern(s) of case names")
    parser.add_argument("--skip", action="append", default=[], help="fnmatch pattern(s) of case names")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--eager-only", action="store_true", help="skip the lazy (dask) variants")
    parser.add_argument("--device", default="gpu", help="gpu, cuda:N")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--json", help="write the rows as JSON to this file")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--fake", action="store_true", help="run on the test suite's fake device (smoke test)")
    args = parser.parse_args(argv)

    cases = [c for c in CASES if (not args.only or any(fnmatch.fnmatch(c.name, p) for p in args.only))
             and not any(fnmatch.fnmatch(c.name, p) for p in args.skip)]
    if args.list:
        for c in cases:
            print(f"{c.name:32s} {c.family:9s} {', '.join(c.methods)}")
        return 0

    from napari_temimages import DeviceUnavailableError
    from napari_temimages._core import backend

    restore = _install_fake() if args.fake else (lambda: None)
    try:
        try:
            backend.get_backend_for_device(args.device)
        except DeviceUnavailableError as exc:
            print(f"gpu_compare needs a CUDA GPU and cannot run here: {exc}", file=sys.stderr)
            print("Run it on a machine with an NVIDIA GPU and CUDA 12 (or pass --fake for a smoke test).",
                  file=sys.stderr)
            return 2
        size = SIZES[args.size]
        header = f"## CPU vs GPU ({args.size} size, median of {args.repeat})\n\n{_describe_devices(args.device)}"
        if args.fake:
            header += "\n\n**--fake: numpy on both sides, the timings mean nothing.**"
        print(header, flush=True)
        rows = []
        for case in cases:
            for lazy in (False, True):
                if lazy and (args.eager_only or not case.lazy):
                    continue
                try:
                    row = run_case(case, size, lazy, args.repeat, args.device)
                except Exception as exc:  # report and go on with the other cases
                    row = {"case": case.name, "mode": "lazy" if lazy else "eager",
                           "error": f"{type(exc).__name__}: {exc}".replace("|", "/")[:200]}
                    traceback.print_exc(file=sys.stderr)
                rows.append(row)
                print(markdown([row], "").splitlines()[-1], flush=True)
        table = markdown(rows, header)
        print()
        print(table)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(table + "\n")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
        return 1 if any("error" in r for r in rows) else 0
    finally:
        restore()


if __name__ == "__main__":
    sys.exit(main())
