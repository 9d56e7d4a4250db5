#!/usr/bin/env bash
# Exercise 8: the plug-in CA files of the cacerts secret (ca-cert.pem, ca-key.pem, root-cert.pem,
# cert-chain.pem), written to this folder: a self-signed root, then an intermediate it signs.
set -euo pipefail
meshwork ca create-root
meshwork ca create-intermediate
