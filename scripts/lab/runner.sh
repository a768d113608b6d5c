# shellcheck shell=bash
# Set-up shared by the lab runner (scripts/lab/run.sh) and the benchmark
# runner (scripts/bench/run.sh): a private work directory removed on exit;
# the test running at the time (its pid in $current) ended on exit or
# interrupt, which makes it clean up its namespaces; the mailcheck binary
# built once unless MAILCHECK_BIN names one; the lab's Go tools (the delay
# wire) built into $LAB_TOOLS.
#
# Usage: . runner.sh; runner_setup PREFIX REPO [go build flags...]

runner_cleanup() {
	if [ -n "${current:-}" ] && kill -0 "$current" 2>/dev/null; then
		kill -TERM "$current" 2>/dev/null
		wait "$current" 2>/dev/null
	fi
	rm -rf -- "$work"
}

runner_setup() {
	runner_prefix=$1
	local repo=$2
	shift 2
	work=$(mktemp -d "${TMPDIR:-/tmp}/mailcheck-$runner_prefix.XXXXXX")
	chmod 755 "$work"
	current=""
	trap runner_cleanup EXIT
	trap 'echo "$runner_prefix: interrupted"; runner_cleanup; trap - EXIT; exit 130' INT TERM

	if [ -z "${MAILCHECK_BIN:-}" ]; then
		echo "$runner_prefix: building mailcheck"
		(cd "$repo" && go build "$@" -o "$work/mailcheck" ./cmd/mailcheck) || {
			echo "$runner_prefix: FAIL build"
			exit 1
		}
		export MAILCHECK_BIN="$work/mailcheck"
	fi
	export LAB_TOOLS="$work"
	(cd "$repo" && go build -o "$work/delaywire" ./scripts/lab/delaywire) || {
		echo "$runner_prefix: FAIL build of scripts/lab/delaywire"
		exit 1
	}
}
