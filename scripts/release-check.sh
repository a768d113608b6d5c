#!/usr/bin/env bash
# Checks the release configuration and builds a local snapshot of every
# archive and package (nothing is published): goreleaser check, then
# goreleaser release --snapshot --clean, then a look inside the results.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=v2.15.1
bin="$(go env GOPATH)/bin"
if ! "$bin/goreleaser" --version 2>/dev/null | grep -q "${GORELEASER_VERSION#v}"; then
	echo "== installing goreleaser $GORELEASER_VERSION (from the Go module proxy)"
	GOFLAGS= go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
fi
echo "== goreleaser check"
"$bin/goreleaser" check
echo "== goreleaser release --snapshot --clean"
# goreleaser reads the VCS state; it needs at least one commit and no
# half-staged tree, which a CI checkout has.
MAILCHECK_COMMIT=$(git rev-parse --short=12 HEAD) "$bin/goreleaser" release --snapshot --clean --parallelism 2 >/tmp/mailcheck-goreleaser.log 2>&1 || {
	tail -50 /tmp/mailcheck-goreleaser.log; exit 1; }

echo "== checking the snapshot"
n_archives=$(ls dist/*.tar.gz dist/*.zip 2>/dev/null | wc -l)
n_pkgs=$(ls dist/*.deb dist/*.rpm 2>/dev/null | wc -l)
echo "archives: $n_archives, packages: $n_pkgs"
[ "$n_archives" -eq 8 ] || { echo "want 8 archives (4 OS x 2 arch)"; exit 1; }
[ "$n_pkgs" -eq 4 ] || { echo "want 4 packages (deb and rpm x 2 arch)"; exit 1; }
# List once (grep -q on a pipe would close it early and, with pipefail,
# fail the pipeline).
listing=$(tar -tzf dist/mailcheck_*_linux_amd64.tar.gz)
for want in completions/mailcheck.bash completions/_mailcheck man/mailcheck.1 LICENSE README.md; do
	grep -qx "$want" <<<"$listing" || { echo "linux archive lacks $want"; exit 1; }
done
grep -q 'mailcheck_.*_linux_amd64.tar.gz' dist/checksums.txt || { echo "checksums.txt incomplete"; exit 1; }
bin_path=$(ls dist/mailcheck_linux_amd64*/mailcheck | head -1)
stamped=$("$bin_path" version)
full=$(git rev-parse HEAD)
# "mailcheck VERSION (commit C, built D, GO)": C is a prefix of HEAD's hash
# (goreleaser's short commit, or the 12 digits release-check passes).
c=$(sed -n 's/.*(commit \([0-9a-f]\{7,40\}\),.*/\1/p' <<<"$stamped")
case "$stamped" in
*snapshot*) ;;
*) echo "version is not the snapshot's: $stamped"; exit 1 ;;
esac
if [ -z "$c" ] || [ "${full#"$c"}" = "$full" ]; then
	echo "version not stamped with commit $full: $stamped"; exit 1
fi
echo "snapshot ok: $stamped"
