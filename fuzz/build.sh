#!/usr/bin/env bash
# fuzz/build.sh: publishes the fuzz targets to artifacts/fuzz/bin and instruments the assemblies they fuzz
# with sharpfuzz (AFL's edge coverage). A fresh copy every time: sharpfuzz refuses an instrumented assembly.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/artifacts/fuzz/bin"
cd "$root"
dotnet tool restore >/dev/null
rm -rf "$bin"
dotnet publish fuzz/Meshwork.Fuzz -c Release -o "$bin" -p:MESHWORK_BUILD_SLOT=fuzz --nologo -v quiet
# The parsers under test (the control plane's for port-forward's SPDY frames), and the YAML library the manifest reader is built on.
for assembly in Meshwork.Proxy Meshwork.Model Meshwork.CertificateAuthority Meshwork.Identity Meshwork.ControlPlane YamlDotNet; do
  dotnet sharpfuzz "$bin/$assembly.dll" >/dev/null
done
echo "fuzz targets built and instrumented in ${bin#"$root"/}"
