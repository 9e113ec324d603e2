#!/usr/bin/env bash
# Runs every test of the solution on a fresh Debian 12 machine with the .NET 10 SDK: installs what the tests
# need, builds, runs each test project and ends with one line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The interoperability tests compare against an independent PyTorch implementation (Debian's PyTorch 1.13;
# without OpenBLAS it falls back to a reference BLAS twenty times slower); the Lanczos resize tests compare
# against PIL (python3-pil); the pipeline tests read the real Fashion-MNIST files (dataset-fashion-mnist).
packages=()
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || packages+=(python3-torch)
/usr/bin/python3 -c "import PIL" >/dev/null 2>&1 || packages+=(python3-pil)
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || packages+=(libopenblas0-openmp)
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || packages+=(dataset-fashion-mnist)
# The benchmark suite's smoke runs torchvision's loader as the peer of the project's (python3-torchvision), and the
# build compiles the fast BLAS shim with the system's C compiler (gcc).
/usr/bin/python3 -c "import torchvision" >/dev/null 2>&1 || packages+=(python3-torchvision)
command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
# Every entry point runs on tcmalloc where it is installed (NativeAllocator): the tests run it as users' machines do.
dpkg -s libtcmalloc-minimal4 >/dev/null 2>&1 || packages+=(libtcmalloc-minimal4)
# The messaging and integration tests start their own RabbitMQ nodes (deploy/local/infrastructure.sh).
command -v rabbitmq-server >/dev/null 2>&1 || packages+=(rabbitmq-server)
# The integration tests scrape the services with Prometheus to prove the chart's dashboards (infrastructure.sh too).
command -v prometheus >/dev/null 2>&1 || packages+=(prometheus)
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  # The package may start a default broker on every interface; the tests start their own on loopback.
  sudo_if_needed rabbitmqctl stop >/dev/null 2>&1 || true
  # Likewise a default Prometheus on port 9090; the tests start their own on loopback.
  sudo_if_needed invoke-rc.d prometheus stop >/dev/null 2>&1 || true
fi

results="artifacts/test-results"
rm -rf "$results"
dotnet build SemanticMIM.sln --nologo -v quiet
status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  # A test that hangs (a server it waits on died) is stopped after 10 minutes and fails its project, not the whole run.
  dotnet test "$project" --no-build --nologo --blame-hang-timeout 10m --blame-hang-dump-type none --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=minimal" --results-directory "$results" || status=$?
done

# The fixtures stop their brokers and S3 servers; an Erlang port mapper left without nodes goes too.
if command -v epmd >/dev/null 2>&1 && ! epmd -names 2>/dev/null | grep -q '^name '; then epmd -kill >/dev/null 2>&1 || true; fi

# dotnet test's own summary is per project; add up the counters of every TRX file.
sum() { cat "$results"/*.trx 2>/dev/null | grep -o "<Counters [^>]*" | grep -o " $1=\"[0-9]*\"" | tr -dc '0-9\n' \
  | awk '{ s += $1 } END { print s + 0 }'; }
passed=$(sum passed); failed=$(sum failed); executed=$(sum executed); total=$(sum total)
skipped=$((total - executed))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status without a failed test: counting the run as one failure"
  failed=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
