"""Smoke test of ``benchmarks/``: every benchmark case runs once at tiny sizes and keeps working.

Benchmarks are not tests: nothing here looks at a time. What is checked: every case ran, every
implementation (ours, abTEM, the floors) ran without error, and their results agree (the
benchmark's checksums: sum, L2 and position-weighted sum within 1e-5), i.e. the three columns of
the benchmark table still measure the same work.

The run is a subprocess (``python -m benchmarks.run --size tiny``), so neither abTEM nor napari is
imported into the test process; the napari cases run in their own child under Xvfb.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "tiny.json"
    skip = []
    if not (_have("napari") and (os.environ.get("DISPLAY") or shutil.which("xvfb-run"))):
        skip.append("napari*")
    cmd = [sys.executable, "-m", "benchmarks.run", "--size", "tiny", "--json", str(out)]
    if skip:
        cmd += ["--skip", ",".join(skip)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    return data, skip, proc.stdout


def test_every_case_ran(tiny_run):
    data, skip, stdout = tiny_run
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import cases as C
    finally:
        sys.path.remove(str(ROOT))
    expected = {c.name for c in C.all_cases() if not (skip and c.group == "napari")}
    ran = {r["case"] for r in data["results"]}
    assert expected <= ran, f"cases that did not run: {sorted(expected - ran)}"
    errors = {r["case"]: r["error"] for r in data["results"] if "error" in r}
    assert not errors, errors


def test_every_implementation_ran(tiny_run):
    data, _, _ = tiny_run
    problems = []
    for r in data["results"]:
        for name, entry in r["impls"].items():
            if "failed" in entry:
                problems.append(f"{r['case']} {name}: {entry['failed']}")
            elif "missing" in entry:
                # abTEM and pyFFTW (the @fftw floors) are optional in an environment without abTEM
                optional = (name not in ("ours", "floor") or r["case"].endswith("_abtemfile")) and entry[
                    "missing"
                ].startswith(("ModuleNotFoundError", "ImportError"))
                if not optional:
                    problems.append(f"{r['case']} {name} missing: {entry['missing']}")
            elif "missing" not in entry and entry.get("median") is None:
                problems.append(f"{r['case']} {name}: no time")
    assert not problems, "\n".join(problems)


def test_checksums_agree(tiny_run):
    data, _, _ = tiny_run
    bad = [
        f"{r['case']} {name}: {entry['check']}"
        for r in data["results"]
        for name, entry in r["impls"].items()
        if entry.get("check") not in (None, "ok", "ref", "-")
    ]
    assert not bad, "\n".join(bad)


def test_table_and_ratios(tiny_run):
    data, _, stdout = tiny_run
    assert "| case | ours | abTEM |" in stdout
    for r in data["results"]:
        if r["group"] in ("eager", "ensemble", "lazy8", "lazy1", "ooc", "zarr"):
            assert r.get("ours_floor") is not None, r["case"]
            if _have("abtem"):
                assert r.get("ours_abtem") is not None, r["case"]
