#!/usr/bin/env bash
# The whole test suite: lint, types, then every test (unit, cross-module, interop, runtimes).
# Services the tests need (PostgreSQL, an S3-compatible server) are started by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup-test-tools.sh
npx biome check .
npx tsc --noEmit
npx vitest run "$@"
