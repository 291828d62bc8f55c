#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install mibias into it.
#
# usage: scripts/setup-env.sh [EXTRAS]      e.g. scripts/setup-env.sh dev
#
# PyTorch: on a machine with an NVIDIA GPU (nvidia-smi answers) the default PyTorch build is
# installed, which brings CUDA. Elsewhere the CPU build is installed explicitly, so that no
# multi-GB CUDA wheel is pulled: TORCH_SPEC (default torch==2.13.0, the CPU build these
# machines keep on disk) names it. On another CPU-only machine, point pip at PyTorch's CPU
# wheel index, for example TORCH_SPEC="torch --index-url <PyTorch CPU wheel index>".
#
# Every other package is installed at the version in constraints.txt, the set CI last passed
# with, so a fresh clone installs what was tested. Refresh it on purpose, after a green run:
#   .venv/bin/pip freeze --exclude-editable | grep -v -i '^torch==' > constraints.txt
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
extras=${1:-}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        echo "setup: NVIDIA GPU found, installing PyTorch with CUDA" >&2
        # shellcheck disable=SC2086
        "${pip[@]}" install ${TORCH_SPEC:-torch>=2.2}
    else
        echo "setup: no GPU found, installing the CPU build of PyTorch" >&2
        # shellcheck disable=SC2086
        "${pip[@]}" install ${TORCH_SPEC:-torch==2.13.0}
    fi
fi

target="."
[ -n "$extras" ] && target=".[$extras]"
"${pip[@]}" install -c constraints.txt -e "$target"
"$VENV/bin/python" -c "import mibias, torch; print(f'setup: mibias {mibias.__version__}, torch {torch.__version__}')"
