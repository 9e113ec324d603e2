#!/usr/bin/env bash
# Builds the five SemanticMIM images from the repository root (needs a Docker engine with BuildKit and access to
# NuGet and the base image registry):
#
#   deploy/docker/build.sh                       # tag = the chart's appVersion, repository prefix "semanticmim"
#   REGISTRY=registry.example.org/ml TAG=0.1.0 PUSH=1 deploy/docker/build.sh
#   deploy/docker/build.sh shard target          # only these
#
# orchestrator, shard and target use the CPU libtorch; trainer and evaluator the CUDA one (GPU pods).
# The shard image also installs dataset-fashion-mnist so that the example specs run in a cluster as they do locally.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REGISTRY="${REGISTRY:-semanticmim}"
TAG="${TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/charts/semanticmim/Chart.yaml")}"
PUSH="${PUSH:-0}"

backend() { case "$1" in trainer|evaluator) echo cuda ;; *) echo cpu ;; esac; }
packages() { case "$1" in shard) echo dataset-fashion-mnist ;; *) echo "" ;; esac; }

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(orchestrator shard target trainer evaluator)

for service in "${services[@]}"; do
  case "$service" in orchestrator|shard|target|trainer|evaluator) ;; *) echo "unknown service '$service'" >&2; exit 2 ;; esac
  image="$REGISTRY/$service:$TAG"
  echo "==> $image (TORCH_BACKEND=$(backend "$service"))"
  DOCKER_BUILDKIT=1 docker build \
    -f "$root/deploy/docker/Dockerfile" \
    --build-arg SERVICE="$service" \
    --build-arg TORCH_BACKEND="$(backend "$service")" \
    --build-arg APT_PACKAGES="$(packages "$service")" \
    -t "$image" \
    "$root"
  if [ "$PUSH" = "1" ]; then docker push "$image"; fi
done
