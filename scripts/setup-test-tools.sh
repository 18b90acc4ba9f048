#!/usr/bin/env bash
# Installs the independent tools the interop tests compare against, into .tmp/tools:
# moto (an S3-compatible server), protoc (from grpcio-tools) and openpyxl (reads our
# XLSX exports), all from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tmp/tools/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import moto, grpc_tools, openpyxl" 2>/dev/null; then
  "$venv/bin/pip" install --quiet "moto[server]==5.1.*" "grpcio-tools==1.*" "openpyxl==3.1.*"
fi
