#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS: runs afl-fuzz on one target for SECONDS from its seed corpus (fuzz/corpus/TARGET),
# then prints executions, edge coverage, crashes and hangs from AFL's fuzzer_stats. Exits 1 when AFL saved a
# crash, or a hang that replays as one. Builds the targets first unless MESHWORK_FUZZ_BUILT=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:?usage: fuzz/run.sh TARGET SECONDS}"
seconds="${2:?usage: fuzz/run.sh TARGET SECONDS}"
bin="$root/artifacts/fuzz/bin"
findings="$root/artifacts/fuzz/findings/$target"
[ -d "$root/fuzz/corpus/$target" ] || { echo "no corpus for target '$target' in fuzz/corpus" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }
[ "${MESHWORK_FUZZ_BUILT:-}" = 1 ] || "$root/fuzz/build.sh"

rm -rf "$findings"
mkdir -p "$(dirname "$findings")"
# dotnet itself carries no AFL instrumentation (the managed assemblies do): AFL_SKIP_BIN_CHECK. The machine's
# CPU governor and core-dump handler are not ours to change: AFL_SKIP_CPUFREQ, AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES.
# -t: a generous per-input limit for a loaded machine; -m none: the .NET runtime reserves far more address space than it uses.
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 \
AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_TieredPGO=0 \
  afl-fuzz -i "$root/fuzz/corpus/$target" -o "$findings" -V "$seconds" -t 5000 -m none \
    -- dotnet "$bin/Meshwork.Fuzz.dll" "$target" > "$findings.log" 2>&1 || { tail -n 30 "$findings.log" >&2; exit 1; }

stats="$findings/default/fuzzer_stats"
stat() { sed -n "s/^$1 *: //p" "$stats"; }
crashes=("$findings"/default/crashes/id:*)
hangs=("$findings"/default/hangs/id:*)
[ -e "${crashes[0]}" ] || crashes=()
[ -e "${hangs[0]}" ] || hangs=()
echo "fuzz: $target: $(stat execs_done) executions in $(stat run_time) s, $(stat edges_found) edges of $(stat total_edges) ($(stat bitmap_cvg)), corpus $(stat corpus_count), ${#crashes[@]} crashes, ${#hangs[@]} hangs"

# A hang on a loaded machine can be the machine: it counts when the input, replayed on its own, still fails
# or takes over 60 s.
real_hangs=()
for input in "${hangs[@]}"; do
  timeout 60 dotnet "$bin/Meshwork.Fuzz.dll" "$target" "$input" >/dev/null 2>&1 || real_hangs+=("$input")
done
if (( ${#crashes[@]} + ${#real_hangs[@]} )); then
  echo "fuzz: $target: inputs that fail (replay with: dotnet artifacts/fuzz/bin/Meshwork.Fuzz.dll $target FILE):" >&2
  for input in "${crashes[@]}" "${real_hangs[@]}"; do echo "  ${input#"$root"/}" >&2; done
  dotnet "$bin/Meshwork.Fuzz.dll" "$target" "${crashes[@]}" 2>&1 | head -n 40 >&2 || true
  exit 1
fi
