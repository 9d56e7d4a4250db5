#!/usr/bin/env bash
# run.sh - one command: Meshwork's sidecar pair against direct, an nginx pair and a HAProxy pair, all
# doing mTLS on this machine, in one interleaved run of the shared peers harness.
#
#   sudo bench/run.sh [--out report.md] [any run-peers.sh argument]
#
# 1. installs nginx, haproxy and wrk with apt-get when missing (apt-get update once first);
# 2. builds Meshwork (Release): through the ./meshwork launcher, or with `dotnet build` into the
#    build slot's own tree when MESHWORK_BUILD_SLOT is set;
# 3. runs the peers harness (../shared/bench/run-peers.sh beside the repo, or $PEERS) with
#    --custom meshwork='exec bench/start-pair.sh' (control plane + two sidecars, mTLS, secure naming,
#    metrics on), then prints Meshwork's figures next to direct, nginx and HAProxy as ratios, and the
#    per-sidecar start-to-ready time and RSS.
#
# Settings: the harness's (DURATION, ROUNDS, MODES, TARGETS, ...; see its README), plus
#   PEERS                         path of run-peers.sh
#   MESHWORK_BIN                  an already built meshwork executable (skips the build)
#   MESHWORK_PROXY_BIN            the sidecar executable (default: meshwork-proxy beside MESHWORK_BIN, else `meshwork proxy`)
#   MESHWORK_PAIR_EXTRA_SERVICES  extra services in every sidecar's snapshot (scaling runs)
# Quick run while iterating: DURATION=5 ROUNDS=1 TARGETS="direct nginx-2hop haproxy-2hop" bench/run.sh
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
log() { printf '[run %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ $EUID -eq 0 ]] || { log "run as root (the harness installs packages and reads /proc)"; exit 1; }

# ---------------------------------------------------------------- 1. tools, 2. build
. "$HERE/common.sh"
install_tools nginx haproxy wrk curl openssl
build_meshwork

# ---------------------------------------------------------------- 3. run the harness
PEERS=${PEERS:-}
if [[ -z $PEERS ]]; then
  for p in "$REPO/../shared/bench/run-peers.sh" "$REPO/shared/bench/run-peers.sh"; do
    [[ -f $p ]] && { PEERS=$p; break; }
  done
fi
[[ -n $PEERS && -f $PEERS ]] || { log "run-peers.sh not found: put shared/ beside the repo or set PEERS"; exit 1; }

# --out FILE is ours: the harness writes its report to a temporary file that this script extends.
USER_OUT=""; ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) USER_OUT=$2; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
INFO=$(mktemp /tmp/meshwork-run.XXXXXX)
OUT=$(mktemp /tmp/meshwork-report.XXXXXX)
export MESHWORK_PAIR_INFO=$INFO
export CRYPTO=${CRYPTO:-0}
log "harness: $PEERS"
bash "$PEERS" --custom meshwork="exec $HERE/start-pair.sh" --out "$OUT" "${ARGS[@]}" > /dev/null

# ---------------------------------------------------------------- 4. Meshwork next to the peers, as ratios
report() {
echo
cat "$OUT"
echo
echo "**Meshwork vs peers (ratios from the same run)**"
echo
awk -F'|' '
  function trim(s) { gsub(/^ +| +$/, "", s); return s }
  /^\*\*Saturation/ { mode = "max" } /^\*\*Paced/ { mode = "rate" }
  /^\| / && mode != "" {
    t = trim($2)
    if (t == "target" || t ~ /^-+$/) next
    if (mode == "max") { rps[t] = trim($3); cpu[t] = trim($8); p99m[t] = trim($6) }
    else { split(trim($7), a, "/"); added99[t] = trim(a[3]); split(trim($8), v, "/"); vcpu[t] = v[1] + (v[2] == "-" ? 0 : v[2]) }
  }
  END {
    printf "| measure | meshwork | direct | nginx-2hop | haproxy-2hop | meshwork / nginx | meshwork / haproxy |\n|---|---:|---:|---:|---:|---:|---:|\n"
    row("closed-loop req/s (higher is better)", rps)
    row("proxy CPU us/request, both sidecars (lower is better)", cpu)
    row("closed-loop p99 ms", p99m)
    row("paced added p99 ms vs direct (lower is better)", added99)
    row("paced vCPU per 1000 req/s, both sidecars", vcpu)
  }
  function row(name, m) {
    if (!("meshwork" in m)) return
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", name, m["meshwork"], ("direct" in m ? m["direct"] : "-"),
      ("nginx-2hop" in m ? m["nginx-2hop"] : "-"), ("haproxy-2hop" in m ? m["haproxy-2hop"] : "-"),
      ratio(m["meshwork"], m["nginx-2hop"]), ratio(m["meshwork"], m["haproxy-2hop"])
  }
  function ratio(a, b) { return (b + 0 != 0 && a != "-" && b != "-") ? sprintf("%.2f", a / b) : "-" }
' "$OUT"
echo
echo "Meshwork sidecars (control plane excluded from the harness columns; it runs in its own session):"
sed 's/^/  /' "$INFO"
[[ -f $INFO.max ]] && sed 's/^/  /' "$INFO.max"
awk '/^rss_idle_kib/ { for (i = 2; i <= NF; i++) { split($i, p, "="); printf "  idle RSS %s: %.1f MiB\n", p[1], p[2] / 1024 } }
     /^rss_max_kib/  { for (i = 2; i <= NF; i++) { split($i, p, "="); printf "  max RSS over the whole run %s: %.1f MiB\n", p[1], p[2] / 1024 } }' "$INFO" "$INFO.max" 2>/dev/null || true
}
if [[ -n $USER_OUT ]]; then report | tee "$USER_OUT"; else report; fi
rm -f "$INFO" "$INFO.max" "$OUT"
