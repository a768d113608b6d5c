#!/usr/bin/env bash
# The test command the README gives, and what CI runs: installs what the
# tests need, then runs the checks and every test tier this machine allows.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go version: $(go version)"
go mod download

echo "== gofmt"
unformatted=$(gofmt -l cmd pkg scripts 2>/dev/null || true)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== all tests passed"
