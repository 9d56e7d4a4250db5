#!/usr/bin/env bash
# fuzz/run-all.sh SECONDS: builds once, then runs every target (one folder of fuzz/corpus each) for SECONDS,
# one after another (afl-fuzz keeps a core busy). Exits 1 when any target failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:?usage: fuzz/run-all.sh SECONDS}"
"$root/fuzz/build.sh"
failed=()
for corpus in "$root"/fuzz/corpus/*/; do
  target="$(basename "$corpus")"
  MESHWORK_FUZZ_BUILT=1 "$root/fuzz/run.sh" "$target" "$seconds" || failed+=("$target")
done
if (( ${#failed[@]} )); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
