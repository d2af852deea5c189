"""Run the benchmarks: ours vs abTEM 1.0.11 vs the numpy/scipy floor, interleaved in one process.

    python -m benchmarks.run [--size full|tiny] [--only PATTERN] [--skip PATTERN] [--repeat N]
                             [--markdown OUT] [--json OUT] [--no-memory] [--isolate] [--list]

For every case (an operation at a size) the implementations are set up once, called once each as
a warm-up (that time is reported as ``1st``; its result gives the checksum), then timed ``N``
rounds; each round calls every implementation once, in an order rotated from round to round, so
that a burst of load on this shared machine hits all of them. Reported: median time per
implementation, ratios ours/floor (the fastest floor variant unless the case names one),
ours/abTEM and abTEM/floor, the peak memory of one more call per implementation (Δ over the RSS
before it, see :mod:`benchmarks.memory`), and whether the checksums (sum, L2 and a position-weighted
sum of the result, float64) agree within 1e-5 relative. Cases marked ``isolate`` (out-of-core
mean, napari) run in their own subprocess; ``--isolate`` runs every case that way.

Benchmarks are not tests: nothing here asserts a time. ``tests/test_benchmarks_smoke.py`` runs
every case once at ``--size tiny``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import fnmatch
import gc
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from typing import Any

import numpy as np

from . import cases as C
from .memory import peak_delta

RESULT_TAG = "@@BENCH-RESULT@@"

#: target key -> (description, limit on the ratio or time, what is compared)
TARGETS = {
    "eager": ("ours/floor ≤ 1.3", 1.3, "ratio"),
    "lazy8": ("ours/eager floor ≤ 1.5", 1.5, "ratio"),
    "lazy1": ("ours/eager floor ≤ 3", 3.0, "ratio"),
    "ooc": ("ours/floor ≤ 1.2 and Δpeak < 300 MB", 1.2, "ratio"),
    "zarr": ("ours/zarr-python (same chunks) ≤ 1.2", 1.2, "ratio"),
    "napari_open": ("open < 1 s", 1.0, "time"),
    "napari_step": ("slider step < 50 ms", 0.05, "time"),
}

REL_TOL = 1e-5

#: ours ≤ abTEM × this counts as "not slower than abTEM" (medians of interleaved calls still move
#: by ±5–30 % between runs on a shared 2-core machine)
ABTEM_TIE = 1.05


# --------------------------------------------------------------------------- checksums
def checksum(array: Any) -> dict | None:
    """sum, L1, L2 and position-weighted sum (weights (i+1)/N over the flat index), in float64."""
    a = np.asarray(array)
    if a.dtype.kind == "c":
        a = a.view(a.real.dtype)
    if a.dtype.kind not in "fiub":
        return None
    flat = a.reshape(-1)
    n = flat.size
    total = l1 = l2 = weighted = 0.0
    step = 1 << 20
    for i in range(0, n, step):
        block = flat[i : i + step].astype(np.float64)
        w = np.arange(i + 1, i + 1 + block.size, dtype=np.float64) / max(n, 1)
        total += float(block.sum())
        l1 += float(np.abs(block).sum())
        l2 += float(np.dot(block, block))
        weighted += float(np.dot(block, w))
    return {"shape": list(a.shape), "sum": total, "l1": l1, "l2": math.sqrt(l2), "wsum": weighted}


def checksums_agree(a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return "-"
    if a["shape"] != b["shape"]:
        return f"shape {tuple(a['shape'])}≠{tuple(b['shape'])}"
    scale = max(a["l1"], b["l1"], 1e-300)
    diffs = {
        "sum": abs(a["sum"] - b["sum"]) / scale,
        "wsum": abs(a["wsum"] - b["wsum"]) / scale,
        "l2": abs(a["l2"] - b["l2"]) / max(a["l2"], b["l2"], 1e-300),
    }
    worst = max(diffs, key=diffs.get)
    return "ok" if diffs[worst] <= REL_TOL else f"{worst} {diffs[worst]:.1e}"


# --------------------------------------------------------------------------- one case
def _select(cases: list, only: str | None, skip: str | None) -> list:
    def match(name: str, patterns: str) -> bool:
        return any(fnmatch.fnmatch(name, p) or re.search(p, name) for p in patterns.split(","))

    out = [c for c in cases if (not only or match(c.name, only)) and not (skip and match(c.name, skip))]
    return out


def _time_call(impl: C.Impl, state: dict, inner: int = 1) -> tuple[float, Any]:
    """Time one call (``inner`` > 1: the mean of that many back-to-back calls, for µs-scale ops)."""
    if impl.before is not None:
        impl.before(state)
    if inner == 1:
        gc.collect()
        t0 = time.perf_counter()
        result = impl.call(state)
        t1 = time.perf_counter()
        return t1 - t0, result
    t0 = time.perf_counter()
    for _ in range(inner):
        result = impl.call(state)
    t1 = time.perf_counter()
    return (t1 - t0) / inner, result


def run_case(case: C.Case, size_name: str, repeat: int, memory: bool = True, quiet: bool = False) -> dict:
    """Set up, warm up, time (interleaved) and measure one case. Returns a JSON-able dict."""
    size = C.SIZES[size_name]
    out: dict = {"case": case.name, "group": case.group, "target": case.target, "note": case.note, "impls": {}}
    t_setup = time.perf_counter()
    gc.collect()  # the previous case's cyclic garbage (cheap: older objects are frozen)
    try:
        state = case.setup(size)
    except Exception as exc:  # pragma: no cover - reported, not raised
        out["error"] = f"setup: {type(exc).__name__}: {exc}"
        return out
    impls: dict[str, C.Impl] = {}
    try:
        for name, factory in case.impls.items():
            entry = out["impls"].setdefault(name, {})
            try:
                impls[name] = factory(state)
            except Exception as exc:
                entry["missing"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160]
        # warm-up: first call, checksum of its result
        for name, impl in list(impls.items()):
            entry = out["impls"][name]
            try:
                dt, result = _time_call(impl, state)
                entry["first"] = dt
                if case.checksum:
                    entry["checksum"] = checksum(C.result_array(result))
                del result
            except Exception as exc:
                entry["failed"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
                if not quiet and os.environ.get("BENCH_VERBOSE"):
                    traceback.print_exc()
                del impls[name]
        # everything alive now (modules, inputs) is never garbage: keep it out of the
        # collections before each timed call (a full collection with abTEM loaded takes ~0.1 s)
        gc.collect()
        gc.freeze()
        names = list(impls)
        # cheap cases get more rounds (the median of a 1 ms op over 7 calls is mostly noise), and
        # µs-scale calls (no `before` hook) are timed as batches of back-to-back calls
        slowest = max((out["impls"][n]["first"] for n in names), default=1.0)
        rounds = repeat
        if repeat > 1 and slowest < 0.02:
            rounds = min(10 * repeat, max(repeat, int(0.3 / max(slowest, 1e-5))))
        inner = {}
        for n in names:
            if repeat > 1 and impls[n].before is None and out["impls"][n]["first"] < 0.05:
                t2, r0 = _time_call(impls[n], state, 3)  # the first call may be cold
                del r0
                inner[n] = int(min(1000, max(1, 2e-3 / max(t2, 1e-7)))) if t2 < 1e-3 else 1
            else:
                inner[n] = 1
            out["impls"][n]["inner"] = inner[n]
        times: dict[str, list[float]] = {n: [] for n in names}
        for r in range(rounds):
            k = r % max(len(names), 1)
            order = names[k:] + names[:k]
            if (r // max(len(names), 1)) % 2:
                order = order[::-1]
            for name in order:
                dt, result = _time_call(impls[name], state, inner[name])
                del result
                times[name].append(dt)
        for name in names:
            t = sorted(times[name])
            entry = out["impls"][name]
            entry["times"] = times[name]
            entry["median"] = statistics.median(t) if t else entry.get("first")
            entry["min"] = t[0] if t else entry.get("first")
            entry["spread"] = (t[-1] / t[0]) if t and t[0] > 0 else 1.0
        if memory:
            for name in names:
                impl = impls[name]
                if impl.before is not None:
                    impl.before(state)
                peak, delta, result = peak_delta(lambda: impl.call(state))
                del result
                out["impls"][name]["peak_mb"] = peak
                out["impls"][name]["delta_mb"] = delta
        out["rounds"] = rounds
    finally:
        if case.teardown is not None:
            try:
                case.teardown(state)
            except Exception:
                pass
        extra = state.get("_cleanup") if isinstance(state, dict) else None
        if extra:
            try:
                extra()
            except Exception:
                pass
    out["wall_s"] = time.perf_counter() - t_setup
    _derive(case, out)
    return out


def _derive(case: C.Case, out: dict) -> None:
    impls = out["impls"]
    med = {n: e["median"] for n, e in impls.items() if e.get("median") is not None}
    floors = {n: t for n, t in med.items() if n.startswith("floor")}
    floor_name = case.floor_for_target if case.floor_for_target in floors else (min(floors, key=floors.get) if floors else None)
    out["best_floor"] = floor_name
    ours, ab = med.get("ours"), med.get("abtem")
    fl = floors.get(floor_name) if floor_name else None
    out["ours_floor"] = ours / fl if ours and fl else None
    out["ours_abtem"] = ours / ab if ours and ab else None
    out["abtem_floor"] = ab / fl if ab and fl else None
    # checksums against the plain floor (or abTEM where there is no floor result)
    ref_name = "floor" if impls.get("floor", {}).get("checksum") else ("abtem" if impls.get("abtem", {}).get("checksum") else None)
    ref = impls[ref_name]["checksum"] if ref_name else None
    for name, e in impls.items():
        if name == ref_name:
            e["check"] = "ref"
        elif "checksum" in e:
            if name.startswith("floor@abtem"):
                # other file/layout, same data: compare with the input's checksum where available
                e["check"] = checksums_agree(e["checksum"], impls.get("abtem", {}).get("checksum") or ref)
            else:
                e["check"] = checksums_agree(e["checksum"], ref)
    # targets
    met = []
    if case.target in TARGETS:
        desc, limit, kind = TARGETS[case.target]
        if kind == "ratio":
            value = out["ours_floor"]
            ok = value is not None and value <= limit
            if case.target == "ooc":
                d = impls.get("ours", {}).get("delta_mb")
                ok = ok and d is not None and d < 300
        else:
            value = ours
            ok = value is not None and value < limit
        met.append((desc, None if value is None else bool(ok)))
    if ab is not None:
        # a tie within ABTEM_TIE (run-to-run noise on this shared machine) is not "slower"
        met.append(("not slower than abTEM", None if ours is None else bool(ours <= ab * ABTEM_TIE)))
    out["targets"] = met


# --------------------------------------------------------------------------- formatting
def fmt_t(t: float | None) -> str:
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    if t >= 1e-5:
        return f"{t * 1e6:.0f} µs"
    return f"{t * 1e6:.2f} µs"


def fmt_r(r: float | None) -> str:
    return "-" if r is None else (f"{r:.2f}×" if r < 10 else f"{r:.0f}×")


def _impl_cell(e: dict | None) -> str:
    if not e:
        return "-"
    if "missing" in e:
        return "missing"
    if "failed" in e:
        return "FAILED"
    return fmt_t(e.get("median"))


def _mem(e: dict | None) -> str:
    if not e or e.get("delta_mb") is None:
        return "-"
    return f"{e['delta_mb']:+.0f}"


def _check(out: dict) -> str:
    bad = [f"{n}: {e['check']}" for n, e in out["impls"].items() if e.get("check") not in (None, "ok", "ref", "-")]
    return "ok" if not bad else "; ".join(bad)


def _targets(out: dict) -> str:
    parts = []
    for desc, ok in out.get("targets", []):
        parts.append(("✅" if ok else "❌" if ok is False else "?") + (" ≤abTEM" if "abTEM" in desc else ""))
    return " ".join(parts) or "-"


HEADER = (
    "| case | ours | abTEM | floor (best) | ours/floor | ours/abTEM | abTEM/floor | ours 1st call | "
    "Δpeak MB ours / abTEM / floor | chk | spread | target |"
)


def table_row(out: dict) -> str:
    impls = out["impls"]
    if "error" in out:
        return f"| {out['case']} | {out['error']} |" + " |" * 10
    fl_name = out.get("best_floor")
    fl = impls.get(fl_name, {}) if fl_name else {}
    fl_cell = fmt_t(fl.get("median")) + (f" ({fl_name.split('@')[1]})" if fl_name and "@" in fl_name else "")
    ours = impls.get("ours", {})
    spread = ours.get("spread")
    return (
        f"| {out['case']} | {_impl_cell(impls.get('ours'))} | {_impl_cell(impls.get('abtem'))} | {fl_cell} | "
        f"{fmt_r(out.get('ours_floor'))} | {fmt_r(out.get('ours_abtem'))} | {fmt_r(out.get('abtem_floor'))} | "
        f"{fmt_t(ours.get('first'))} | {_mem(impls.get('ours'))} / {_mem(impls.get('abtem'))} / {_mem(fl)} | "
        f"{_check(out)} | {'-' if spread is None else f'{spread:.2f}'} | {_targets(out)} |"
    )


def machine_info() -> dict:
    info = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
        info["cpu"] = m.group(1).strip() if m else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s+(\d+)", f.read())
        info["memory_gb"] = round(int(m.group(1)) / 1024**2, 1)
    except (OSError, AttributeError):
        pass
    versions = {}
    import importlib.metadata as md

    for pkg in ("numpy", "scipy", "dask", "zarr", "pyFFTW", "abtem", "napari", "napari-temimages"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    info["versions"] = versions
    return info


def markdown(results: list[dict], info: dict, command: str) -> str:
    lines = [
        f"Run: `{command}` — {info['date']}",
        "",
        f"Machine: {info.get('cpu')}, {info.get('cores')} cores, {info.get('memory_gb')} GB RAM, "
        f"Python {info['python']}; " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"Load average before/after: {info.get('load_before')} / {info.get('load_after')}",
        "",
        HEADER,
        "|" + "|".join(["---"] * (HEADER.count("|") - 1)) + "|",
    ]
    lines += [table_row(r) for r in results]
    lines += ["", "Targets (same run):", "", "| target | met | missed |", "|---|---|---|"]
    groups: dict = {}
    for r in results:
        for desc, ok in r.get("targets", []):
            if ok is None:
                continue
            value = r.get("ours_abtem") if "abTEM" in desc else (
                r.get("ours_floor") if TARGETS.get(r.get("target", ""), ("", 0, ""))[2] == "ratio"
                else r["impls"].get("ours", {}).get("median")
            )
            cell = f"{r['case']} ({fmt_r(value) if 'time' != TARGETS.get(r.get('target', ''), ('', 0, ''))[2] or 'abTEM' in desc else fmt_t(value)})"
            groups.setdefault(desc, ([], []))[0 if ok else 1].append(cell)
    for desc, (ok, bad) in groups.items():
        lines.append(f"| {desc} | {len(ok)}: {', '.join(ok) or '-'} | {len(bad)}: {', '.join(bad) or '-'} |")
    missing = []
    for r in results:
        for n, e in r["impls"].items():
            if "missing" in e or "failed" in e:
                missing.append(f"* `{r['case']}` {n}: {e.get('missing') or e.get('failed')}")
    if missing:
        lines += ["", "Missing or failed implementations:", ""] + missing
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- subprocess isolation
def _child_cmd(cases: list, args: argparse.Namespace) -> list[str]:
    names = ",".join(c.name for c in cases)
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", names, "--size", args.size, "--repeat", str(args.repeat)]
    if args.no_memory:
        cmd.append("--no-memory")
    if any(c.group == "napari" for c in cases) and not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"] + cmd
    return cmd


def run_isolated(cases: list, args: argparse.Namespace) -> list[dict]:
    """Run ``cases`` in one subprocess (napari cases share one: importing napari takes seconds)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(_child_cmd(cases, args), cwd=root, env=env, capture_output=True, text=True)
    found = {}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            res = json.loads(line[len(RESULT_TAG) :])
            found[res["case"]] = res
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return [
        found.get(c.name)
        or {"case": c.name, "group": c.group, "impls": {}, "error": f"subprocess rc={proc.returncode}: {' / '.join(tail)}"[:300]}
        for c in cases
    ]


# --------------------------------------------------------------------------- CLI
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=sorted(C.SIZES), default="full")
    p.add_argument("--only", help="comma-separated glob or regex patterns of case names")
    p.add_argument("--skip", help="comma-separated patterns of case names to leave out")
    p.add_argument("--repeat", type=int, default=None, help="timed rounds per case (default 7 full, 1 tiny)")
    p.add_argument("--markdown", help="write the results table (markdown) here")
    p.add_argument("--json", help="write the raw results (JSON) here")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory call")
    p.add_argument("--isolate", action="store_true", help="run every case in its own subprocess")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat is None:
        args.repeat = 7 if args.size == "full" else 1
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    cases = C.all_cases()
    if args.child:
        by_name = {c.name: c for c in cases}
        for name in args.child.split(","):
            result = run_case(by_name[name], args.size, args.repeat, memory=not args.no_memory, quiet=True)
            print(RESULT_TAG + json.dumps(result, default=str), flush=True)
        # Qt / dask thread pools can hang interpreter shutdown; the results are out.
        os._exit(0)
    selected = _select(cases, args.only, args.skip)
    if args.list:
        for c in selected:
            print(f"{c.name:28s} {c.group:9s} {', '.join(c.impls)}{'  [subprocess]' if c.isolate else ''}")
        return []
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    info = machine_info()
    info["load_before"] = tuple(round(x, 2) for x in os.getloadavg())
    print(f"# {command}\n# {info['cpu']}, {info['cores']} cores; load {info['load_before']}", flush=True)
    print(HEADER, flush=True)
    results = []
    import tempfile

    cache = tempfile.mkdtemp(prefix="temimages-bench-cache-")
    os.environ["TEMIMAGES_BENCH_CACHE"] = cache
    try:
        i = 0
        while i < len(selected):
            case = selected[i]
            # isolation is for clean memory numbers (full size) and for Qt (napari, always)
            if args.isolate or (case.isolate and (args.size == "full" or case.group == "napari")):
                batch = [case]
                while (
                    case.group == "napari" and i + len(batch) < len(selected) and selected[i + len(batch)].group == "napari"
                ):
                    batch.append(selected[i + len(batch)])
                batch_results = run_isolated(batch, args)
            else:
                batch, batch_results = [case], [run_case(case, args.size, args.repeat, memory=not args.no_memory)]
            for res in batch_results:
                results.append(res)
                print(table_row(res), flush=True)
            i += len(batch)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    info["load_after"] = tuple(round(x, 2) for x in os.getloadavg())
    text = markdown(results, info, command)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "command": command, "results": results}, f, indent=1, default=str)
    summary = [r for r in results if r.get("targets")]
    n_ok = sum(all(ok for _, ok in r["targets"]) for r in summary)
    print(f"# targets fully met in {n_ok}/{len(summary)} cases; load after {info['load_after']}", flush=True)
    return results


if __name__ == "__main__":
    main()
