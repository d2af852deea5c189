"""Peak memory of one call: Δ of the process's peak RSS over its RSS just before the call.

On Linux the kernel's high-water mark ``VmHWM`` can be reset (``echo 5 > /proc/self/clear_refs``),
so the peak of a single call is measured exactly, in-process, including memory allocated by C
libraries (FFT work buffers, zarr codecs) that ``tracemalloc`` does not see. Before the call,
``gc.collect()`` and glibc's ``malloc_trim(0)`` hand freed memory back to the kernel, so the
baseline RSS is not inflated by earlier calls' free lists. Where the reset is not available, a
sampling thread polls RSS every 0.5 ms (may miss very short peaks).
"""

from __future__ import annotations

import ctypes
import gc
import re
import threading
import time
from typing import Any, Callable

_STATUS = "/proc/self/status"


def _status_kib(field: str) -> int | None:
    try:
        with open(_STATUS) as f:
            m = re.search(rf"^{field}:\s+(\d+)\s+kB", f.read(), re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def rss_mb() -> float:
    kib = _status_kib("VmRSS")
    if kib is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kib / 1024


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_delta(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Run ``call()``; return ``(peak_rss_mb, delta_mb, result)`` (Δ = peak − RSS before)."""
    _trim()
    before = rss_mb()
    if _reset_hwm() and _status_kib("VmHWM") is not None:
        result = call()
        peak = _status_kib("VmHWM") / 1024
        return peak, peak - before, result
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.0005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = call()
    finally:
        stop.set()
        thread.join()
    peak[0] = max(peak[0], rss_mb())
    return peak[0], peak[0] - before, result
