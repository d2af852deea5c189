"""``_core`` is Qt-free and napari-free, and importing the package never imports cupy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "napari_temimages" / "_core"
FORBIDDEN = ("napari", "qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "magicgui", "vispy", "superqt")


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of every module imported by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = ("napari_temimages",) + path.relative_to(CORE.parent).parent.parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1]
            names.add(".".join(base + ((node.module,) if node.module else ())))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


def test_core_sources_never_import_napari_or_qt() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        for name in _imported_modules(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if name.startswith("napari_temimages"):
                allowed = name.startswith("napari_temimages._core") or name == "napari_temimages.layer_data"
                assert allowed, f"{path.name} reaches outside _core: {name}"


def test_importing_core_loads_no_gui_or_gpu_module() -> None:
    code = (
        "import sys, napari_temimages, napari_temimages._core as c; "
        "im = c.Images(__import__('numpy').zeros((2, 4, 4)), 0.1); im.lazy().mean(0).compute(); "
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN + ('cupy',)!r}]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
