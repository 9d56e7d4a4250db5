# common.sh - steps shared by bench/run.sh and bench/scaling.sh; sourced, not run.
# Expects REPO and a log() function.

# install_tools CMD... : installs the commands that are missing with apt-get (as root), keeping the
# packages' own services from starting.
install_tools() {
  local missing=() c made_policy=0
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $EUID -eq 0 ]] || { log "missing ${missing[*]}: run as root to install them"; exit 1; }
  log "installing: ${missing[*]}"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [[ $made_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# build_meshwork : sets and exports MESHWORK_BIN (the CLI) and, when the native sidecar was built,
# MESHWORK_PROXY_BIN (meshwork-proxy: what the runtime runs for every sidecar).
#   MESHWORK_BIN set         -> used as it is (no build)
#   MESHWORK_BUILD_SLOT set  -> dotnet build + publish into that slot's tree
#   otherwise                -> through the ./meshwork launcher (which builds both)
build_meshwork() {
  if [[ -n ${MESHWORK_BIN:-} ]]; then
    log "using the meshwork executable $MESHWORK_BIN (no build)"
  elif [[ -n ${MESHWORK_BUILD_SLOT:-} ]]; then
    log "building Meshwork (Release, build slot $MESHWORK_BUILD_SLOT) and the native sidecar"
    dotnet build "$REPO/src/Meshwork.Cli/Meshwork.Cli.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    MESHWORK_BIN="$REPO/artifacts/slots/$MESHWORK_BUILD_SLOT/bin/Meshwork.Cli/release/meshwork"
    dotnet publish "$REPO/src/Meshwork.Sidecar/Meshwork.Sidecar.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly \
      -o "$REPO/artifacts/slots/$MESHWORK_BUILD_SLOT/publish/meshwork-proxy" >&2
    MESHWORK_PROXY_BIN=${MESHWORK_PROXY_BIN:-$REPO/artifacts/slots/$MESHWORK_BUILD_SLOT/publish/meshwork-proxy/meshwork-proxy}
  else
    log "building Meshwork (Release) and the native sidecar through the launcher"
    "$REPO/meshwork" --help > /dev/null
    MESHWORK_BIN="$REPO/artifacts/bin/Meshwork.Cli/release/meshwork"
  fi
  [[ -x $MESHWORK_BIN ]] || { log "no meshwork executable at $MESHWORK_BIN"; exit 1; }
  if [[ -z ${MESHWORK_PROXY_BIN:-} && -x $(dirname "$MESHWORK_BIN")/meshwork-proxy ]]; then
    MESHWORK_PROXY_BIN=$(dirname "$MESHWORK_BIN")/meshwork-proxy
  fi
  if [[ -n ${MESHWORK_PROXY_BIN:-} ]]; then log "sidecars: $MESHWORK_PROXY_BIN (native)"; export MESHWORK_PROXY_BIN
  else log "sidecars: $MESHWORK_BIN proxy (JIT; no native meshwork-proxy was built)"; fi
  export MESHWORK_BIN
}
