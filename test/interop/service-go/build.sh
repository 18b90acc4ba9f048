#!/usr/bin/env bash
# Builds bin/service-go, a stand-in for ConductorOne's connector API on baton-sdk
# v0.25.0's own BatonService stubs and c1z reader, from the Go module proxy.
#
# Why v0.25.0 and not the v0.8.0 of test/interop/go: v0.8.0 does have
# pb/c1/connectorapi/baton/v1, but its SyncFullTask lacks sync_resource_type_ids
# and skip_grants (added in v0.8.21 and v0.13.5), which the tests hand out. The
# proxy here serves v0.25.0 (v0.13.5 and most others answer 403). Its hash is
# pinned by our committed go.sum (the checksum database is not asked: GONOSUMDB).
# Exit 3 means "no Go toolchain here" (the tests skip and say so).
set -euo pipefail
cd "$(dirname "$0")"
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
command -v "$GO" >/dev/null || { echo "go is not installed" >&2; exit 3; }
export GONOSUMDB=github.com/conductorone/baton-sdk

if command -v flock >/dev/null; then
  exec 9>.build.lock
  flock 9
fi

"$GO" build -o bin/service-go .
