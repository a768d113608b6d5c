#!/usr/bin/env bash
# Static checks with pinned tool versions: golangci-lint (config in
# .golangci.yml), `go mod tidy` leaving no diff, and govulncheck when asked
# (MAILCHECK_VULNCHECK=1: it needs to reach the Go vulnerability database).
set -euo pipefail
cd "$(dirname "$0")/.."

GOLANGCI_LINT_VERSION=v2.15.0
GOVULNCHECK_VERSION=v1.9.0
bin="$(go env GOPATH)/bin"

if ! "$bin/golangci-lint" version 2>/dev/null | grep -q "${GOLANGCI_LINT_VERSION#v}"; then
	echo "== installing golangci-lint $GOLANGCI_LINT_VERSION"
	GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi
echo "== golangci-lint"
"$bin/golangci-lint" run ./...

echo "== go mod tidy leaves no diff"
cp go.mod /tmp/mailcheck-go.mod.bak; cp go.sum /tmp/mailcheck-go.sum.bak
go mod tidy
if ! git diff --exit-code -- go.mod go.sum; then
	cp /tmp/mailcheck-go.mod.bak go.mod; cp /tmp/mailcheck-go.sum.bak go.sum
	echo "go mod tidy changes go.mod/go.sum: run it and commit the result"; exit 1
fi

if [ "${MAILCHECK_VULNCHECK:-0}" = 1 ]; then
	echo "== govulncheck"
	GOFLAGS= go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" ./...
else
	echo "== govulncheck skipped (set MAILCHECK_VULNCHECK=1; it needs vuln.go.dev)"
fi
