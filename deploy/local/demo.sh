#!/usr/bin/env bash
# The first experiment a newcomer runs: MaskFeat versus MaskFeat + SemanticMIM on Fashion-MNIST, pretrained,
# probed and compared in one process on the CPU. Installs the data set (Debian's dataset-fashion-mnist) if
# missing. Extra arguments go to `semanticmim run` (e.g. --runs DIR). Run it again and finished stages are reused.
set -euo pipefail
cd "$(dirname "$0")/../.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  echo "installing dataset-fashion-mnist"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null
fi

dotnet run --project src/Cli -c Release -- run \
  deploy/examples/fashion-mnist-maskfeat.yaml deploy/examples/fashion-mnist-maskfeat-semanticmim.yaml "$@"
