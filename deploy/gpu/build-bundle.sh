#!/usr/bin/env bash
# Builds what the GPU check carries to a machine without .NET (deploy/gpu/README.md), into deploy/gpu/out/, which git
# ignores:
#
#   deploy/gpu/build-bundle.sh                      # out/gpucheck-linux-x64.tar.xz: the .NET runtime and gpucheck
#   TORCHSHARP_SRC=DIR deploy/gpu/build-bundle.sh   # also out/torchsharp-native/: TorchSharp's native source, for
#                                                   # rebuilding LibTorchSharp there (rebuild-libtorchsharp.sh)
#
# gpucheck is published self-contained for linux-x64 with TorchBackend=system: TorchSharp's managed assembly and its
# native shim libLibTorchSharp.so, and no libtorch, which comes from the machine it runs on. Build outputs go to a
# temporary artifacts folder, so the repository's obj/ folders (restored for the cpu backend) are left alone.
# TORCHSHARP_SRC is a TorchSharp clone (a work tree or a bare git directory) at the release the TorchSharp package
# was built from; TORCHSHARP_REF names that commit in a git directory (default: HEAD).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/deploy/gpu/out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

dotnet publish "$root/deploy/gpu/GpuCheck/GpuCheck.csproj" -c Release -r linux-x64 --self-contained \
  -p:TorchBackend=system -p:DebugType=none --artifacts-path "$work/artifacts" -o "$work/gpucheck" --nologo -v quiet
if compgen -G "$work/gpucheck/libtorch*.so" >/dev/null || [ ! -f "$work/gpucheck/libLibTorchSharp.so" ]; then
  echo "build-bundle: the system backend must ship libLibTorchSharp.so and no libtorch" >&2
  exit 1
fi
tar -C "$work" -cf - gpucheck | xz -9 -T0 >"$out/gpucheck-linux-x64.tar.xz.partial"
mv "$out/gpucheck-linux-x64.tar.xz.partial" "$out/gpucheck-linux-x64.tar.xz"
echo "bundle: $out/gpucheck-linux-x64.tar.xz ($(du -h "$out/gpucheck-linux-x64.tar.xz" | cut -f1))"

if [ -n "${TORCHSHARP_SRC:-}" ]; then
  rm -rf "$out/torchsharp-native"
  mkdir -p "$out/torchsharp-native"
  if git --git-dir="$TORCHSHARP_SRC" rev-parse --verify -q "${TORCHSHARP_REF:-HEAD}^{commit}" >/dev/null 2>&1; then
    git --git-dir="$TORCHSHARP_SRC" archive "${TORCHSHARP_REF:-HEAD}" src/Native | tar -x -C "$out/torchsharp-native"
    git --git-dir="$TORCHSHARP_SRC" rev-parse "${TORCHSHARP_REF:-HEAD}" >"$out/torchsharp-native/COMMIT"
  else
    mkdir -p "$out/torchsharp-native/src"
    cp -r "$TORCHSHARP_SRC/src/Native" "$out/torchsharp-native/src/"
    git -C "$TORCHSHARP_SRC" rev-parse HEAD >"$out/torchsharp-native/COMMIT" 2>/dev/null || echo unknown >"$out/torchsharp-native/COMMIT"
  fi
  echo "TorchSharp native source: $out/torchsharp-native ($(du -sh "$out/torchsharp-native" | cut -f1), commit $(cat "$out/torchsharp-native/COMMIT"))"
fi
