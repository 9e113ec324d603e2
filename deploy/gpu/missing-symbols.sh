#!/usr/bin/env bash
# Lists the native symbols TorchSharp's shim needs that a machine's libtorch does not define: the first step of the
# GPU check, seconds long (deploy/gpu/README.md).
#
#   deploy/gpu/missing-symbols.sh LIBLIBTORCHSHARP_SO LIBTORCH_DIR
#
# LIBLIBTORCHSHARP_SO  the bundle's libLibTorchSharp.so (built against libtorch 2.10)
# LIBTORCH_DIR         the folder of the machine's libtorch*.so and libc10*.so, e.g. a PyTorch install's torch/lib
#
# Compares `nm -D --undefined-only` of the shim (strong references only; weak ones may stay unresolved) with
# `nm -D --defined-only` of every shared library in LIBTORCH_DIR and of the system libraries the shim links
# (libstdc++, libgcc_s, libm, libc, the dynamic loader), ignoring symbol versions. For each missing symbol it prints the demangled name,
# whether it is data (a vtable or typeinfo: the shim then fails to load at all) or code (only the functions that
# call it fail, when called: the dynamic loader binds functions lazily), and, where objdump is present, the shim's
# functions that call it (THS* names are the C API TorchSharp's managed side calls).
# Exit status: 0 when nothing is missing, 1 when something is, 2 on bad arguments.
set -euo pipefail

if [ $# -ne 2 ] || [ ! -f "$1" ] || [ ! -d "$2" ]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
shim="$1"
libtorch="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Strong undefined references ("U"), without the @VERSION suffix.
nm -D --undefined-only "$shim" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }' | sort -u >"$work/needed"

# Everything the machine defines for it: its libtorch folder, and the system libraries the shim names.
{
  for library in "$libtorch"/*.so "$libtorch"/*.so.*; do
    [ -f "$library" ] && nm -D --defined-only "$library" 2>/dev/null || true
  done
  LD_LIBRARY_PATH="$libtorch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$shim" 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | grep -E '/(lib(stdc\+\+|gcc_s|m|c)\.so|ld-linux)' | while read -r library; do
      nm -D --defined-only "$library" 2>/dev/null || true
    done
} | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u >"$work/defined"

comm -23 "$work/needed" "$work/defined" >"$work/missing"
needed=$(wc -l <"$work/needed")
missing=$(wc -l <"$work/missing")
echo "libtorch: $libtorch"
echo "$missing of the $needed symbols $(basename "$shim") needs are not defined there"
[ "$missing" -eq 0 ] && exit 0

# Which of the shim's functions call each missing symbol (through the PLT), where objdump is available.
if command -v objdump >/dev/null; then
  objdump -d --no-show-raw-insn "$shim" \
    | awk '/^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3) }
           /(call|jmp)[ \t].*<.*@plt>/ { target = $NF; gsub(/[<>]/, "", target); sub(/@plt.*/, "", target); print target "\t" fn }' \
    | sort -u >"$work/callers"
else
  : >"$work/callers"
fi

while read -r symbol; do
  case "$symbol" in
    _ZTV* | _ZTI* | _ZTS*) kind="data: the shim does not load" ;;
    *) kind="code" ;;
  esac
  callers=$(awk -F'\t' -v s="$symbol" '$1 == s { print $2 }' "$work/callers" | sort -u \
    | awk '{ n++ } n <= 8 { list = list (n > 1 ? ", " : "") $0 } END { if (n > 8) list = list ", and " n - 8 " more"; print list }')
  printf '%s\n    %s (%s)%s\n' "$(echo "$symbol" | c++filt)" "$symbol" "$kind" "${callers:+; called from $callers}"
done <"$work/missing"
exit 1
