#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite headless (pytest-xvfb starts Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset QT_QPA_PLATFORM
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
.venv/bin/npe2 validate napari-temimages --imports
exec .venv/bin/python -m pytest -q "$@"
