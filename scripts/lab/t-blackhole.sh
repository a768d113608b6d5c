#!/usr/bin/env bash
# Lab test: addresses whose SYNs vanish (the server routes 2001:db8:dead::/48
# and 203.0.113.240/28 to blackhole). blackhole.lab.example has two exchanges
# with three such IPv6 addresses and two live IPv4 ones: the whole probe must
# take about one connect timeout, not the sum of three.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
lab_standard_lab

# The lab itself: a connect to a blackholed address hangs (no RST, no ICMP).
for ip in 2001:db8:dead::25 203.0.113.241; do
	set +e
	lab_exec "$LAB_C" timeout 1 bash -c "exec 3<>/dev/tcp/$ip/25" 2>/dev/null
	rc=$?
	set -e
	lab_expect "a connect to $ip hangs until killed (rc $rc)" test "$rc" = 124
done

lab_need_cmd probe --resolver --connect-timeout

ct=3 # seconds
probes='[.. | objects | select(has("banner_code") and has("status"))]'
lab_run "$LAB_C" "$LAB_DIR/probe.json" "$MAILCHECK_BIN" probe blackhole.lab.example --resolver 198.51.100.53 \
	--timeout 30s --connect-timeout "${ct}s" -o json
f="$LAB_DIR/probe.json"
echo "FIGURE: probe of 3 blackholed + 2 live addresses, --connect-timeout ${ct}s: ${LAB_ELAPSED}s (exit $LAB_RC)"
lab_expect "blackholed IPv6 addresses time out in the connect phase" lab_jq "$f" \
	"$probes | map(select(.family == \"ipv6\")) | length == 3 and all(.status == \"timeout\" and .phase == \"connect\")"
lab_expect "live IPv4 addresses ok" lab_jq "$f" "$probes | map(select(.family == \"ipv4\")) | length == 2 and all(.status == \"ok\")"
lab_expect "elapsed ${LAB_ELAPSED}s >= connect timeout ${ct}s (the timeout was really waited for)" \
	awk -v e="$LAB_ELAPSED" -v c="$ct" 'BEGIN{exit !(e >= c)}'
# The target is connect timeout + 10%; the test allows 1.5s more for process
# start and DNS on a loaded machine, and is far below the sum (9s).
lab_expect "elapsed ${LAB_ELAPSED}s < connect timeout + 10% + 1.5s (not a sum of timeouts)" \
	awk -v e="$LAB_ELAPSED" -v c="$ct" 'BEGIN{exit !(e < c * 1.1 + 1.5)}'
lab_expect "probe: IPv6 timing out while IPv4 works is a finding: exit 1 (got $LAB_RC)" test "$LAB_RC" = 1

if lab_has_cmd check; then
	lab_run "$LAB_C" "$LAB_DIR/check.json" "$MAILCHECK_BIN" check blackhole.lab.example --resolver 198.51.100.53 \
		--timeout 30s --connect-timeout "${ct}s" -o json
	echo "FIGURE: check of the same domain: ${LAB_ELAPSED}s (exit $LAB_RC)"
	lab_expect "check: blackholed addresses time out" lab_jq "$LAB_DIR/check.json" \
		"$probes | map(select(.family == \"ipv6\")) | length == 3 and all(.status == \"timeout\")"
	lab_expect "check: elapsed ${LAB_ELAPSED}s < connect timeout + 10% + 1.5s" \
		awk -v e="$LAB_ELAPSED" -v c="$ct" 'BEGIN{exit !(e < c * 1.1 + 1.5)}'
	lab_expect "check: IPv6 timing out while IPv4 works is a finding: exit 1 (got $LAB_RC)" test "$LAB_RC" = 1
else
	lab_log "mailcheck check is not implemented yet: only probe measured"
fi

if [ "$LAB_FAILURES" -gt 0 ]; then
	for j in "$LAB_DIR"/*.json; do lab_show "$j" "$j.err"; done
fi
lab_done
