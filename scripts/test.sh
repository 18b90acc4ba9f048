#!/usr/bin/env bash
# The whole test suite: lint, types, then every test (unit, cross-module, interop, runtimes).
# Services the tests need (PostgreSQL, an S3-compatible server) are started by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
# sql.js with its FS exposed, for the paged database (npm install writes it too).
node scripts/gen-sqljs-paged.mjs
# The prebuilt Node CLI the tests spawn (bin/baton-edge.js falls back to the sources when it is stale).
node scripts/build-node.mjs
bash scripts/setup-test-tools.sh
npx biome check .
npx tsc --noEmit
# No import cycles (modules, folders of src/), plugins only through the SDK: .dependency-cruiser.cjs
npm run --silent check:imports
npx vitest run "$@"
