"""Every public method of Images and the types it returns is run on the device by the
operations table (or listed in ``EXEMPT`` with the test that covers it instead); every
operation has a CPU-vs-GPU benchmark case."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from napari_temimages import DiffractionPatterns, Images, MeasurementsEnsemble, RealSpaceLineProfiles
from napari_temimages import ReciprocalSpaceLineProfiles

from .operations import EXEMPT, INPUTS, OPS

DUNDERS = {"__getitem__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
           "__rtruediv__", "__pow__", "__neg__", "__iadd__", "__isub__", "__imul__", "__itruediv__"}
CLASSES = [Images, DiffractionPatterns, RealSpaceLineProfiles, ReciprocalSpaceLineProfiles, MeasurementsEnsemble]
#: Methods a class inherits but which only make sense elsewhere (e.g. complex-only methods of
#: MeasurementsEnsemble are the same code as Images'): covered through the class named here.
ELSEWHERE = {
    ReciprocalSpaceLineProfiles: RealSpaceLineProfiles,
    MeasurementsEnsemble: Images,
}


def public_methods(cls: type) -> set[str]:
    names = {n for n, v in inspect.getmembers(cls) if not n.startswith("_") and callable(v)}
    return names | {n for n in DUNDERS if hasattr(cls, n)}


def covered_methods(cls: type) -> set[str]:
    kinds = {kind for kind, make in INPUTS.items() if type(make()) is cls}
    return {m for op in OPS if op.input in kinds for m in op.methods}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_method_runs_on_the_device(cls: type) -> None:
    covered = covered_methods(cls) | covered_methods(ELSEWHERE.get(cls, cls))
    missing = public_methods(cls) - covered - set(EXEMPT)
    assert not missing, f"{cls.__name__}: add these methods to tests/gpu/operations.py OPS: {sorted(missing)}"
    assert covered_methods(cls), f"no operation runs on a {cls.__name__} input"


def test_exemptions_are_real_methods() -> None:
    every = set().union(*(public_methods(c) for c in CLASSES))
    assert set(EXEMPT) <= every, set(EXEMPT) - every


def test_every_operation_has_a_benchmark_case() -> None:
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    try:
        from benchmarks import gpu_compare
    finally:
        sys.path.remove(str(root))
    benchmarked = {m for case in gpu_compare.CASES for m in case.methods}
    operations = {m for op in OPS for m in op.methods} - {
        # structure only (views, metadata, iteration): nothing to time on a GPU
        "get_items", "expand_dims", "squeeze", "set_ensemble_axes_metadata", "generate_ensemble",
        "generate_blocks", "select_block", "ensemble_blocks", "to_measurement_ensemble", "rechunk",
        "no_base_chunks", "ensure_lazy", "lazy", "compute", "copy_to_device", "to_gpu", "__getitem__",
    }
    missing = operations - benchmarked
    assert not missing, f"benchmarks/gpu_compare.py has no case for {sorted(missing)}"
