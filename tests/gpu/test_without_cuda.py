"""Without CUDA: importing and using the package never imports CuPy, and ``to_gpu()`` says why
it cannot work (CuPy missing, CuPy unusable, or no CUDA device)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from napari_temimages import DeviceUnavailableError, Images
from napari_temimages._core import backend

# A meta-path finder that records (and refuses) every attempt to import cupy/cupyx, with the
# file that asked, so the check holds on machines where CuPy *is* installed too.
_PROBE = textwrap.dedent(
    """
    import sys
    attempts = []

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("cupy", "cupyx"):
                frame = sys._getframe(1)
                while frame and "importlib" in frame.f_code.co_filename:
                    frame = frame.f_back
                attempts.append((name, frame.f_code.co_filename if frame else "?"))
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Refuse())
    import numpy as np
    import napari_temimages
    import napari_temimages.layer_data, napari_temimages._core.visualize
    from napari_temimages import Images, DeviceUnavailableError
    im = Images(np.random.default_rng(0).random((2, 16, 12)).astype("float32"), 0.1)
    for obj in (im, im.lazy()):
        r = obj.mean(0), obj.diffractograms(), obj.gaussian_filter(0.2), obj.interpolate(gpts=20)
        r = obj.interpolate_line((0, 0), (1, 1)), obj.to_cpu(), obj.copy_to_device("cpu"), obj.device
        [x.compute() for x in r if hasattr(x, "compute")]
    ours = [a for a in attempts if "dask" not in a[1]]
    assert not ours, ours
    print("DASK PROBES:", sorted({a[0] for a in attempts}))
    assert not [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]
    try:
        im.to_gpu()
    except DeviceUnavailableError as exc:
        print("ERROR:", exc)
    print("OURS:", [a[0] for a in attempts if "dask" not in a[1]])
    """
)


def test_package_never_imports_cupy_and_to_gpu_explains() -> None:
    """Only ``to_gpu()`` asks for CuPy. (``import dask.array`` probes for CuPy by itself, which
    the package cannot prevent: it is not done at package import, only on first lazy use.)"""
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ERROR: GPU requested but CuPy is not installed" in proc.stdout
    assert "pip install 'napari-temimages[gpu]'" in proc.stdout and "CUDA 12" in proc.stdout
    assert "OURS: ['cupy']" in proc.stdout  # only to_gpu() tried


def test_importing_the_package_imports_neither_cupy_nor_dask_array() -> None:
    code = (
        "import sys, napari_temimages, napari_temimages.layer_data; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cupy', 'cupyx') or m == 'dask.array'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.fixture
def no_gpu_backend(monkeypatch):
    """No registered "gpu" backend (the fake is not installed in these tests)."""
    monkeypatch.setattr(backend, "_BACKENDS", [b for b in backend._BACKENDS if b.device != "gpu"])


def _stub_cupy(monkeypatch, is_available) -> None:
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(is_available=is_available)
    cupyx = types.ModuleType("cupyx")
    scipy = types.ModuleType("cupyx.scipy")
    for name, module in {"cupy": cupy, "cupyx": cupyx, "cupyx.scipy": scipy,
                         "cupyx.scipy.fft": types.ModuleType("cupyx.scipy.fft"),
                         "cupyx.scipy.ndimage": types.ModuleType("cupyx.scipy.ndimage")}.items():
        monkeypatch.setitem(sys.modules, name, module)
    scipy.fft, scipy.ndimage = sys.modules["cupyx.scipy.fft"], sys.modules["cupyx.scipy.ndimage"]
    cupyx.scipy = scipy


def test_cupy_missing(monkeypatch, no_gpu_backend) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    im = Images(np.zeros((3, 4)), 0.1)
    for obj in (im, im.lazy()):
        with pytest.raises(DeviceUnavailableError, match=r"CuPy is not installed.*napari-temimages\[gpu\]"):
            obj.to_gpu()
    with pytest.raises(RuntimeError):  # abTEM scripts catch RuntimeError
        im.copy_to_device("cupy")


def test_no_cuda_device(monkeypatch, no_gpu_backend) -> None:
    _stub_cupy(monkeypatch, lambda: False)
    with pytest.raises(DeviceUnavailableError, match="no usable CUDA device"):
        Images(np.zeros((3, 4)), 0.1).to_gpu()


def test_broken_driver(monkeypatch, no_gpu_backend) -> None:
    def broken() -> bool:
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")

    _stub_cupy(monkeypatch, broken)
    with pytest.raises(DeviceUnavailableError, match="no usable CUDA device.*InsufficientDriver"):
        Images(np.zeros((3, 4)), 0.1).to_gpu("cuda:0")


def test_cupy_that_cannot_load_cuda(monkeypatch, no_gpu_backend) -> None:
    class Broken:
        def find_spec(self, name, path=None, target=None):
            if name == "cupy":
                raise ImportError("libcudart.so.12: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(DeviceUnavailableError, match="CuPy cannot be imported.*libcudart"):
        Images(np.zeros((3, 4)), 0.1).to_gpu()


def test_cpu_objects_never_need_cupy(monkeypatch, no_gpu_backend) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)
    im = Images(np.ones((2, 3, 4)), 0.1)
    assert im.device == "cpu" and im.to_cpu().array is im.array and im.lazy().to_cpu().device == "cpu"
