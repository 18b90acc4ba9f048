#!/usr/bin/env bash
# Builds bin/interop against the published baton-sdk v0.7.27.
#
# The module is required as github.com/conductorone/baton-sdk v0.7.27 and
# replaced by ./.sdk/baton-sdk, filled from the first source that works:
#   1. $BATON_SDK_SRC (a checkout of the v0.7.27 tag),
#   2. the Go module proxy (`go mod download`), when it serves baton-sdk,
#   3. a git mirror of ConductorOne/baton-sdk ($BATON_SDK_GIT), tag v0.7.27.
# Its dependencies come from the Go module proxy, pinned by go.sum.
# Exit 3 means "no baton-sdk source here" (the tests skip and say so).
set -euo pipefail
cd "$(dirname "$0")"
VERSION=v0.7.27
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
SDK=.sdk/baton-sdk

# Test files build in parallel: one at a time here.
if command -v flock >/dev/null; then
  exec 9>.build.lock
  flock 9
fi

if [ ! -f "$SDK/go.mod" ]; then
  rm -rf .sdk && mkdir -p .sdk
  if [ -n "${BATON_SDK_SRC:-}" ] && [ -f "$BATON_SDK_SRC/go.mod" ]; then
    cp -R "$BATON_SDK_SRC" "$SDK"
  elif dir=$(cd /tmp && "$GO" mod download -json "github.com/conductorone/baton-sdk@$VERSION" 2>/dev/null |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') && [ -n "$dir" ] && [ -d "$dir" ]; then
    cp -R "$dir" "$SDK" && chmod -R u+w "$SDK"
  else
    git_dir=${BATON_SDK_GIT:-/work/.mirror/ConductorOne+baton-sdk/repo}
    if ! git --git-dir="$git_dir" rev-parse -q --verify "refs/tags/$VERSION" >/dev/null 2>&1; then
      echo "baton-sdk $VERSION source not found: the Go module proxy does not serve it here, BATON_SDK_SRC is unset and there is no git mirror at $git_dir" >&2
      exit 3
    fi
    # Only the Go sources: the mirror may lack large test fixtures.
    git --git-dir="$git_dir" ls-tree -r --name-only "$VERSION" -- go.mod go.sum LICENSE pkg pb internal |
      grep -v -e '/testdata/' -e '_test\.go$' >.sdk/files.txt
    # shellcheck disable=SC2046
    git --git-dir="$git_dir" archive --prefix=baton-sdk/ "$VERSION" -- $(cat .sdk/files.txt) 2>/dev/null | tar -x -C .sdk
    [ -f "$SDK/pkg/dotc1z/dotc1z.go" ] || { echo "extracting baton-sdk $VERSION from $git_dir failed" >&2; exit 1; }
  fi
fi

"$GO" build -o bin/interop .
