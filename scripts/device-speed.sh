#!/usr/bin/env bash
# The speed issue's GPU check, prepared for one call of the device tool: a GPU machine that has
# PyTorch (its python3) but no network and no copy of the data.
#
# Here, once:   mkdir -p data && cp "${MIBIAS_DATA:-$HOME/.cache/mibias}/mnist.pkl.gz" data/
#               (data/ is ignored by git; the file is verified by its checksum there)
# Then run:     bash scripts/device-speed.sh     with carry ["data"] and timeout_s 600
#
# It runs `python -m benchmarks.digits_speed --device cuda` (the recipe rows on the GPU and a
# Table 1 grid slice, benchmarks/digits_speed.py) and copies its results and log to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/device-speed}
mkdir -p "$out"
export PYTHONPATH="$PWD/src:$PWD" MIBIAS_DATA="$PWD/data" PYTHONUNBUFFERED=1
if [ ! -f data/mnist.pkl.gz ]; then
    echo "device-speed: data/mnist.pkl.gz is missing: copy it here and carry data/" >&2
    exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
# under the tool's 600 s, so that whatever finished still comes back
timeout 540 python3 -m benchmarks.digits_speed --device cuda 2>&1 | tee "$out/device-speed.log"
cp benchmarks/results/digits_speed_cuda.* "$out/"
