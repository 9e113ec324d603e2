#!/usr/bin/env bash
# The fallback when missing-symbols.sh finds symbols on the training path that the machine's libtorch lacks: rebuilds
# TorchSharp's native shim against that libtorch and puts it into the unpacked bundle (deploy/gpu/README.md).
#
#   deploy/gpu/rebuild-libtorchsharp.sh SOURCE BUNDLE_DIR
#
# SOURCE      TorchSharp's native source as build-bundle.sh exports it (deploy/gpu/out/torchsharp-native, carried as
#             an ignored path; it holds src/Native)
# BUNDLE_DIR  the unpacked bundle's gpucheck folder, whose libLibTorchSharp.so is replaced
#
# Needs CMake, a C++17 compiler, and the PyTorch that python3 (or $PYTHON) imports, with its CMake files
# (torch.utils.cmake_prefix_path); for a CUDA build of PyTorch also the CUDA toolkit (nvcc) its CMake files look for.
# TorchSharp's CMake files make every warning an error; newer libtorch headers deprecate APIs the shim still calls, so
# that flag is dropped in the build copy. The C API (THS* functions) is TorchSharp 0.107's, so the managed assembly in
# the bundle matches it; only its calls into libtorch are resolved anew.
set -euo pipefail

if [ $# -ne 2 ] || [ ! -f "$1/src/Native/CMakeLists.txt" ] || [ ! -f "$2/libLibTorchSharp.so" ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
source="$1"
bundle="$2"
python="${PYTHON:-python3}"
prefix="$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

cp -r "$source/src/Native" "$build/Native"
sed -i 's/add_definitions(-Werror)//' "$build/Native/CMakeLists.txt"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cuda=()
if command -v nvcc >/dev/null; then
  cuda=(-DCMAKE_CUDA_COMPILER="$(command -v nvcc)")
elif [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
fi

started=$(date +%s)
cmake -S "$build/Native" -B "$build/out" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DLIBTORCH_PATH="$prefix/Torch" -DCMAKE_PREFIX_PATH="$prefix" "${cuda[@]}"
cmake --build "$build/out" --parallel "$(nproc)"
cp "$bundle/libLibTorchSharp.so" "$bundle/libLibTorchSharp.so.package"
cp "$build/out/LibTorchSharp/libLibTorchSharp.so" "$bundle/libLibTorchSharp.so"
echo "rebuilt libLibTorchSharp.so against $prefix in $(( $(date +%s) - started )) s (the package's kept as libLibTorchSharp.so.package)"
