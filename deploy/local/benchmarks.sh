#!/usr/bin/env bash
# Runs the benchmark suite (quick mode by default, about 10 minutes on 2 cores; `--mode full` adds ViT-B/16), keeps its
# JSON in src/Benchmarks/Results/ and writes the suite's table and the ImageNet-1K capacity plan computed from it into
# README.md between the benchmark-tables markers. `--tables-from FILE` rewrites the tables from a kept JSON without
# measuring. Other arguments go to `semanticmim benchmark suite`.
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=quick
results=
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --tables-from) results=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

dotnet build src/Cli -c Release -v q >/dev/null
cli=(dotnet run --project src/Cli -c Release --no-build --)
if [ -z "$results" ]; then
  "${cli[@]}" benchmark suite --mode "$mode" --out artifacts/benchmarks "${args[@]}"
  results="src/Benchmarks/Results/suite-$mode-$(nproc)cores.json"
  cp artifacts/benchmarks/suite.json "$results"
fi

block=$(mktemp)
{
  echo "<!-- benchmark-tables:begin (written by deploy/local/benchmarks.sh from $results; do not edit by hand) -->"
  echo "Written by \`deploy/local/benchmarks.sh\` from \`$results\`:"
  echo
  "${cli[@]}" benchmark table "$results"
  echo
  echo "Capacity for ImageNet-1K from those rates (\`semanticmim capacity --results $results --epochs 300 --workers 8\`; CPU"
  echo "only: GPU rates come from the GPU check's JSON in the same shape, see \"GPU\" below):"
  echo
  "${cli[@]}" capacity --results "$results" --epochs 300 --workers 8
  echo "<!-- benchmark-tables:end -->"
} > "$block"
deploy/local/readme-block.sh benchmark-tables "$block"
rm -f "$block"
