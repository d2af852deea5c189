"""``benchmarks/gpu_compare.py``: every case runs (on the fake device, at the tiny size), the
D2H column sees host round trips, and without CUDA the script says why and exits with 2."""

from __future__ import annotations

import json
import sys

import pytest

from napari_temimages._core import backend

from .operations import OPS

gpu_compare = pytest.importorskip("benchmarks.gpu_compare", reason="run the tests from the repository root")


def test_every_case_runs_and_agrees(tmp_path, capsys) -> None:
    out = tmp_path / "rows.json"
    assert gpu_compare.main(["--fake", "--size", "tiny", "--repeat", "1", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert {r["case"] for r in rows} == {c.name for c in gpu_compare.CASES}
    assert not [r for r in rows if "error" in r]
    leaky = {m for op in OPS if op.leak for m in op.methods}
    for row in rows:
        case = next(c for c in gpu_compare.CASES if c.name == row["case"])
        if case.transfer == "d2h":
            assert row["d2h"] >= 1
        elif not set(case.methods) & leaky:
            assert row["d2h"] == 0, row  # no host round trip
        if not case.transfer and not case.random:
            assert float(row["agreement"]) < 1e-5, row
    text = capsys.readouterr().out
    assert "| case | mode | shape | CPU | GPU | speed-up | agreement | D2H/call |" in text
    assert "timings mean nothing" in text
    assert not any(b.name == "fake-cupy" for b in backend._BACKENDS)  # --fake cleans up


def test_without_cuda_it_explains_and_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setattr(backend, "_BACKENDS", [b for b in backend._BACKENDS if b.device != "gpu"])
    monkeypatch.setitem(sys.modules, "cupy", None)
    assert gpu_compare.main(["--size", "tiny", "--only", "mean"]) == 2
    err = capsys.readouterr().err
    assert "needs a CUDA GPU" in err and "CuPy is not installed" in err and "--fake" in err


def test_list_and_select(capsys) -> None:
    assert gpu_compare.main(["--list", "--only", "interpolate*", "--skip", "*spline"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["interpolate_fft", "interpolate_line", "interpolate_line_at_position"]
