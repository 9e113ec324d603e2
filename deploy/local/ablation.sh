#!/usr/bin/env bash
# The demo's comparison over seeds: runs deploy/sweeps/fashion-mnist-ablation.yaml (MaskFeat against MaskFeat +
# SemanticMIM on five paired seeds, and SemanticMIM at the baseline's mask ratio on three; about 75-105 minutes on 2 cores)
# and writes its tables into README.md between the ablation-table markers, so the README shows what the current code
# measures. Extra arguments go to `semanticmim sweep` (e.g. --runs DIR). Finished cells are reused when run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=runs
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--runs" ]; then runs="${args[$((i + 1))]}"; fi
done

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  echo "installing dataset-fashion-mnist"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null
fi

started=$(date +%s)
dotnet run --project src/Cli -c Release -- sweep deploy/sweeps/fashion-mnist-ablation.yaml "$@"
minutes=$(( ($(date +%s) - started + 59) / 60 ))

tables="$runs/sweeps/fmnist-ablation/tables.md"
[ -f "$tables" ] || { echo "no $tables: the sweep did not finish" >&2; exit 1; }
block=$(mktemp)
{
  echo "<!-- ablation-table:begin (written by deploy/local/ablation.sh from $tables; do not edit by hand) -->"
  echo "Measured by \`deploy/local/ablation.sh\` on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)); this call took ${minutes} min (finished cells are reused)."
  echo
  cat "$tables"
  echo "<!-- ablation-table:end -->"
} > "$block"
deploy/local/readme-block.sh ablation-table "$block"
rm -f "$block"
