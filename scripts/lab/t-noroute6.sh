#!/usr/bin/env bash
# Lab test: a host without IPv6 (the client namespace has IPv4 routes only).
# `mailcheck probe` of a dual-stack domain must call its IPv6 addresses
# inconclusive (this host cannot tell), never unreachable or timeout, and
# still report IPv4; when every probe is inconclusive the exit code is 3
# (DESIGN.md, exit codes).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
lab_standard_lab -n
# The namespace really has no IPv6 route: the kernel refuses at once.
lab_expect "the client namespace has no IPv6 route" bash -c \
	"! ip netns exec '$LAB_C' timeout 2 bash -c 'exec 3<>/dev/tcp/2001:db8:25::10/25' 2>/dev/null"
lab_need_cmd probe --resolver

probes='[.. | objects | select(has("banner_code") and has("status"))]'
probe() { # probe NAME TARGET [FLAGS...]
	local name=$1
	shift
	lab_run "$LAB_C" "$LAB_DIR/$name.json" "$MAILCHECK_BIN" probe "$@" --resolver 198.51.100.53 \
		--timeout 30s --connect-timeout 5s -o json
	lab_log "mailcheck probe $*: exit $LAB_RC in ${LAB_ELAPSED}s"
}


probe dual dual.lab.example
f="$LAB_DIR/dual.json"
lab_expect "dual: IPv4 probes ok" lab_jq "$f" "$probes | map(select(.family == \"ipv4\")) | length == 2 and all(.status == \"ok\")"
lab_expect "dual: IPv6 probes inconclusive" lab_jq "$f" "$probes | map(select(.family == \"ipv6\")) | length == 2 and all(.status == \"inconclusive\")"
lab_expect "dual: no probe says unreachable or timeout" lab_jq "$f" "$probes | all(.status != \"unreachable\" and .status != \"timeout\")"
lab_expect "dual: IPv4 works, so not 'could not determine': exit 0 (got $LAB_RC)" test "$LAB_RC" = 0
lab_expect "dual: done well before the connect timeout (${LAB_ELAPSED}s)" awk -v e="$LAB_ELAPSED" 'BEGIN{exit !(e < 4)}'

probe only6 dual.lab.example -6
lab_expect "-6: every probe inconclusive" lab_jq "$LAB_DIR/only6.json" "$probes | length == 2 and all(.status == \"inconclusive\")"
lab_expect "-6: exit 3, could not determine (got $LAB_RC)" test "$LAB_RC" = 3

probe lit6 2001:db8:25::10
lab_expect "IPv6 literal: inconclusive, exit 3 (got $LAB_RC)" lab_jq "$LAB_DIR/lit6.json" "$probes | length == 1 and .[0].status == \"inconclusive\" and ($LAB_RC == 3)"

# Text output says why, in words a person understands.
lab_run "$LAB_C" "$LAB_DIR/text.txt" "$MAILCHECK_BIN" probe dual.lab.example --resolver 198.51.100.53 --timeout 30s --no-color
lab_expect "text output mentions the missing IPv6 route" grep -qiE 'no ipv6 route|ipv6.*(route|connectivity)' "$LAB_DIR/text.txt" "$LAB_DIR/text.txt.err"

if [ "$LAB_FAILURES" -gt 0 ]; then
	for j in "$LAB_DIR"/*.json "$LAB_DIR/text.txt"; do lab_show "$j" "$j.err"; done
fi
lab_done
