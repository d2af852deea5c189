"""Loader and comparison rules for abTEM's golden sets (tests/data/abtem/cases.json).

The rules are those of the set's README ("harness contract"): decode kwargs (lists -> tuples,
``$ndarray`` -> array, ``$operand`` -> an Images built from the operand npz), call the method on
our ``from_zarr`` of the fixture (eager: computed first; lazy: on the dask-backed object), compare
type, shape, dtype, sampling (rtol 1e-12), axes (types, labels, units, values), metadata and
values ``|ours - golden| <= atol + rtol |golden|`` with NaNs at the same places.

Where abTEM 1.0.11 is wrong, ``DEVIATIONS`` maps the case to a check of *our* (right)
behaviour; each is documented in docs/compatibility.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data" / "abtem"


def load_cases() -> list[dict]:
    return json.loads((DATA / "cases.json").read_text())["cases"]


def sidecar(case: dict) -> dict:
    return json.loads((DATA / case["outputs"]["json"]).read_text()) if "json" in case.get("outputs", {}) else {}


def golden_array(case: dict) -> np.ndarray | None:
    npz = case.get("outputs", {}).get("npz")
    if not npz:
        return None
    return np.load(DATA / npz)["array"]


def decode(value: Any, operands: dict) -> Any:
    """JSON kwargs -> Python: lists become tuples, ``$ndarray`` arrays, ``$operand`` objects."""
    if isinstance(value, list):
        return tuple(decode(v, operands) for v in value)
    if isinstance(value, dict):
        if "$ndarray" in value:
            return np.asarray(value["$ndarray"])
        if "$operand" in value:
            return operands[value["$operand"]]
        return {k: decode(v, operands) for k, v in value.items()}
    return value


def build_operands(case: dict, fixture_obj: Any) -> dict:
    from napari_temimages import Images

    out = {}
    for name, spec in case.get("operands", {}).items():
        array = np.load(DATA / spec["npz"])["array"]
        out[name] = Images(
            array,
            sampling=fixture_obj.sampling,
            ensemble_axes_metadata=[a.copy() for a in fixture_obj.ensemble_axes_metadata],
            metadata=dict(fixture_obj.metadata),
        )
    return out


def json_normalize(value: Any) -> Any:
    """Make values comparable with JSON-decoded ones (tuples -> lists, numpy scalars -> Python)."""
    if isinstance(value, dict):
        return {k: json_normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_normalize(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_normalize(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def values_close(a: Any, b: Any) -> bool:
    a, b = json_normalize(a), json_normalize(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        try:
            return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=0) or (np.isnan(a) and np.isnan(b)))
        except (TypeError, ValueError):
            return False
    return a == b


def axis_summary(axis_dict: dict) -> dict:
    keys = ("type", "label", "units", "values", "sampling", "offset", "fftshift", "_ensemble_mean", "weights")
    return {k: axis_dict.get(k) for k in keys if k in axis_dict and axis_dict.get(k) is not None}


def compare_axes(ours: Any, expected_axes: list[dict]) -> None:
    from napari_temimages._core.axes import axis_to_dict

    ours_dicts = [axis_summary(axis_to_dict(a)) for a in ours.axes_metadata]
    expected = [axis_summary(a) for a in expected_axes]
    assert len(ours_dicts) == len(expected), (ours_dicts, expected)
    for o, e in zip(ours_dicts, expected):
        assert values_close(o, e), f"axis differs:\n ours     {o}\n expected {e}"


def tolerance_ok(actual: np.ndarray, golden: np.ndarray, case: dict) -> tuple[bool, str]:
    tol = case["tolerance"]
    atol, rtol = float(tol["atol"]), float(tol["rtol"])
    actual = np.asarray(actual)
    golden = np.asarray(golden)
    if actual.shape != golden.shape:
        return False, f"shape {actual.shape} != {golden.shape}"
    nan_a, nan_g = np.isnan(actual), np.isnan(golden)
    if not np.array_equal(nan_a, nan_g):
        return False, f"NaN pattern differs ({nan_a.sum()} vs {nan_g.sum()})"
    ok = ~nan_g
    diff = np.abs(actual[ok].astype(np.complex128) - golden[ok].astype(np.complex128))
    bound = atol + rtol * np.abs(golden[ok].astype(np.complex128))
    if np.all(diff <= bound):
        return True, ""
    worst = np.max(diff - bound)
    return False, f"max excess {worst:.3g} (atol {atol:.3g}, rtol {rtol:.3g}, max diff {diff.max():.3g})"
