#!/usr/bin/env bash
# Builds bin/bench against baton-sdk v0.8.0 from the Go module proxy (pinned by go.sum,
# GONOSUMDB as in test/interop/go/build.sh). Exit 3: no Go toolchain here.
set -euo pipefail
cd "$(dirname "$0")"
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
command -v "$GO" >/dev/null || { echo "go is not installed" >&2; exit 3; }
export GONOSUMDB=github.com/conductorone/baton-sdk
"$GO" mod tidy >/dev/null 2>&1 || true
"$GO" build -o bin/bench .
"$GO" build -o bin/syncbench ./syncbench
