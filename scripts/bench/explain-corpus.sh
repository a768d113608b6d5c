#!/usr/bin/env bash
# explain-corpus.sh DIR [LABELS]: runs mailcheck's bounce reader over every
# file of DIR (one message per file, as a maildir holds them) and prints
# coverage (messages a rule recognised, reasons by count) and CPU per
# message (median, 90th percentile, maximum). With LABELS, a file of lines
# "NAME<TAB>STATUS,REPLYCODE,REASON" (one per recipient, as bounce parsers'
# regression tables list them), it also prints how many messages get the
# labelled reason. Set VERBOSE=1 for one line per message, DISAGREE=1 (with
# LABELS) for the messages whose reason differs, grouped by (labelled, got).
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR [LABELS]" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
args=()
[ $# -eq 2 ] && args+=(-labels "$2")
[ -n "${VERBOSE:-}" ] && args+=(-v)
[ -n "${DISAGREE:-}" ] && args+=(-disagree)
cd "$root"
exec go run ./scripts/explaincorpus "${args[@]}" "$1"
