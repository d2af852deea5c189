#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite headless (pytest-xvfb starts Xvfb).
set -euo pipefail
source "$(dirname "$0")/common.sh"
.venv/bin/npe2 validate napari-temimages --imports
exec .venv/bin/python -m pytest -q "$@"
