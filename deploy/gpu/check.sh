#!/usr/bin/env bash
# The GPU check, one script (deploy/gpu/README.md). On the GPU machine, from the repository root:
#
#   deploy/gpu/check.sh                  # CUDA, ViT-B/16 at 224; about 4 to 5 minutes on an H100-class GPU
#   deploy/gpu/check.sh --device cpu --tiny --libtorch ~/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native
#
# Options: --device cuda|cpu (default cuda), --tiny (tiny shapes, for a CPU), --libtorch DIR (default: the torch/lib of
# the PyTorch that python3 or $PYTHON imports), --bundle FILE (default deploy/gpu/out/gpucheck-linux-x64.tar.xz),
# --rebuild SOURCE (first rebuild LibTorchSharp from TorchSharp's native source against that PyTorch:
# rebuild-libtorchsharp.sh), --out DIR (default $OUT when set, else deploy/gpu/out), --budget SECONDS (default 270).
#
# Step 1 (seconds) lists the native symbols the bundle's libLibTorchSharp.so needs that the libtorch lacks
# (missing-symbols.txt). Step 2 runs check.py: every measurement in its own process, results in gpu-check.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
device=cuda tiny="" libtorch="" rebuild="" budget=270
bundle="$here/out/gpucheck-linux-x64.tar.xz"
out="${OUT:-$here/out}"
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --tiny) tiny=--tiny; shift ;;
    --libtorch) libtorch="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --rebuild) rebuild="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -n "$libtorch" ] || libtorch="$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
if command -v xz >/dev/null; then
  xz -dc "$bundle" | tar -x -C "$work"
else
  "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$bundle" "$work"
fi
echo "bundle unpacked in $(( $(date +%s) - started )) s; libtorch: $libtorch"

if [ -n "$rebuild" ]; then
  "$here/rebuild-libtorchsharp.sh" "$rebuild" "$work/gpucheck"
fi
status=0
"$here/missing-symbols.sh" "$work/gpucheck/libLibTorchSharp.so" "$libtorch" >"$out/missing-symbols.txt" || status=$?
head -n 2 "$out/missing-symbols.txt"
# Without binutils the list is unknown, not empty: the smoke run below still shows whether the shim works.
[ "$status" -le 1 ] || echo "missing-symbols.sh failed (exit $status); going on" | tee -a "$out/missing-symbols.txt"

PYTHONUNBUFFERED=1 "$python" "$here/check.py" --gpucheck "$work/gpucheck/gpucheck" --libtorch "$libtorch" \
  --device "$device" $tiny --budget "$budget" --symbols "$out/missing-symbols.txt" --out "$out/gpu-check.json"
