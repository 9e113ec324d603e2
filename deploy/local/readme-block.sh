#!/usr/bin/env bash
# Replaces the block between `<!-- NAME:begin ... -->` and `<!-- NAME:end -->` in README.md with the contents of FILE
# (which carries both markers), so generated tables are rewritten whole and never edited by hand.
# Usage: deploy/local/readme-block.sh NAME FILE
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1
block=$2
grep -q "<!-- $name:begin" README.md || { echo "README.md has no $name markers" >&2; exit 1; }
awk -v block="$block" -v begin="<!-- $name:begin" -v end="<!-- $name:end" '
  index($0, begin) == 1 { while ((getline line < block) > 0) print line; skipping = 1; next }
  index($0, end) == 1 { skipping = 0; next }
  !skipping { print }
' README.md > README.md.new
mv README.md.new README.md
echo "README.md: $name updated"
