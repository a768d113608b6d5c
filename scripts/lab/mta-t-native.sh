#!/usr/bin/env bash
# Conformance of `mailcheck simulate` against real MTAs that take their
# addresses from the C library, whose order can depend on the host: its
# source addresses and routes and /etc/gai.conf. Three client namespaces,
# each with its own MTAs and its own /etc/gai.conf (bind-mounted by
# `ip netns exec` from /etc/netns/NS/):
#   dual  IPv4 and a global IPv6 address, gai.conf that sets nothing
#         (glibc's defaults: IPv6 first, rule 6);
#   no6   IPv4 only, no IPv6 address but link-local and no IPv6 route
#         (rule 1: IPv6 destinations are unusable, so IPv4 first);
#   prec  like dual, gai.conf "precedence ::ffff:0:0/96 100" (IPv4 first).
# In each, Postfix (Debian 12's 3.7.11, smtp_host_lookup = native: each MX
# host's addresses from getaddrinfo()), Sendmail (8.17.1.9, which uses
# gethostbyname2() per family) and OpenSMTPD (6.8.0p2, libasr's
# getaddrinfo_async with AI_ADDRCONFIG) deliver to the cells' domains;
# every address refuses the connection, so one delivery attempt walks the
# whole list. The order of the connection attempts, read from the MTA's
# log (Sendmail: its debug output; OpenSMTPD: smtpd -d's), is compared with `mailcheck simulate` run in the same
# namespace with the same settings (it measures the namespace's addresses,
# routes and gai.conf as libc does), with the conformance lab's statistics
# (scripts/lab/mta-compare).
#
# Run: sudo scripts/lab/run.sh mta-t-native   (after scripts/lab/install.sh)
# Environment: MTA_NATIVE_N (deliveries per cell whose order is fixed,
# default 10: the model gives one order, and a single other order fails
# the cell), MTA_NATIVE_RANDOM_N (deliveries per cell that Postfix shuffles,
# default 100), MTA_NATIVE_SENDMAIL_N (Sendmail deliveries per cell,
# default 30), MTA_NATIVE_OPENSMTPD_N (OpenSMTPD deliveries per cell with
# equal-preference hosts, default 12), MTA_NATIVE_OPENSMTPD_WORKERS (smtpd
# processes side by side per cell, default 3), MTA_NATIVE_MTAS (which MTAs
# run, default "postfix sendmail opensmtpd"), MTA_LAB_ALPHA (per-test
# false-alarm rate, default 1e-4).
# Measured on a 2-core machine shared with other work: 2 min 26 s (Postfix
# 18 s for 420 deliveries, Sendmail 28 s for 270, OpenSMTPD 73 s for 81).
# lab-timeout: 600
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=mta-lib.sh
. "$here/mta-lib.sh"

N=${MTA_NATIVE_N:-10}
RANDOM_N=${MTA_NATIVE_RANDOM_N:-100}
SM_N=${MTA_NATIVE_SENDMAIL_N:-30}
OS_N=${MTA_NATIVE_OPENSMTPD_N:-12}
OS_WORKERS=${MTA_NATIVE_OPENSMTPD_WORKERS:-3}
MTAS=${MTA_NATIVE_MTAS:-postfix sendmail opensmtpd}
MTA_ALPHA=${MTA_LAB_ALPHA:-1e-4}

lab_init
lab_private_env
mta_tools
lab_mailcheck
lab_need_cmd simulate --gai-conf --source-addr
# Without an /etc/gai.conf to mount over, `ip netns exec` cannot give a
# namespace its own file, and glibc would read none.
[ -f /etc/gai.conf ] || lab_skip "this machine has no /etc/gai.conf to bind-mount a namespace's own over"

ZONE=$LAB_DIR/lab.zone
cat >"$ZONE" <<'EOF'
$ORIGIN lab.example.
$TTL 300
@            SOA   ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
@            NS    ns
ns           A     198.51.100.53

; two equal-preference dual-stack MX plus an IPv4-only backup, under one
; domain name per cell (Postfix picks a cell's settings by domain)
keep         MX    10 mx1.pair
keep         MX    10 mx2.pair
keep         MX    20 mx3.pair
shuffled     MX    10 mx1.pair
shuffled     MX    10 mx2.pair
shuffled     MX    20 mx3.pair
v4pref       MX    10 mx1.pair
v4pref       MX    10 mx2.pair
v4pref       MX    20 mx3.pair
dnsnative    MX    10 mx1.pair
dnsnative    MX    10 mx2.pair
dnsnative    MX    20 mx3.pair
mx1.pair     A     203.0.113.21
mx1.pair     AAAA  2001:db8:c0:2::1
mx2.pair     A     203.0.113.22
mx2.pair     AAAA  2001:db8:c0:2::2
mx3.pair     A     203.0.113.23

; three equal-preference MX with short names (zone mx.test below):
; Sendmail's getmxrr() hashes them (mxrand) into mx1, mx2, mx3 for 47% of
; its seeds, but deliver() re-sorts them by random() keys, so each order
; has 1/6 (pkg/mta others.go)
tri          MX    10 mx1.mx.test.
tri          MX    10 mx2.mx.test.
tri          MX    10 mx3.mx.test.

; one MX with 3 A + 3 AAAA: smtp_mx_address_limit = 5 with balancing keeps
; one more address of the family getaddrinfo puts first
six          MX    10 mx.six
mx.six       A     203.0.113.31
mx.six       A     203.0.113.32
mx.six       A     203.0.113.33
mx.six       AAAA  2001:db8:c0:3::1
mx.six       AAAA  2001:db8:c0:3::2
mx.six       AAAA  2001:db8:c0:3::3

$ORIGIN mx.test.
@            SOA   ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
mx1          A     203.0.113.91
mx1          AAAA  2001:db8:c0:9::1
mx2          A     203.0.113.92
mx3          A     203.0.113.93
mx3          AAAA  2001:db8:c0:9::3
EOF

# Cells: name | domain label | Postfix settings (postconf, space-separated,
# through a transport of its own) | deliveries.
CELLS=(
	"keep|keep|smtp_host_lookup=native smtp_randomize_addresses=no|$N"
	"shuffled|shuffled|smtp_host_lookup=native|$RANDOM_N"
	"v4pref|v4pref|smtp_host_lookup=native smtp_randomize_addresses=no smtp_address_preference=ipv4|$N"
	"six|six|smtp_host_lookup=native smtp_randomize_addresses=no smtp_mx_address_limit=5|$N"
	"dnsnative|dnsnative|smtp_host_lookup=dns,native smtp_randomize_addresses=no|$N"
)

# Sendmail cells: name | domain label. Default settings: Sendmail has no
# setting that changes the order of one host's addresses.
SM_CELLS=(
	"pair|keep"
	"six|six"
	"tri|tri"
)

# OpenSMTPD cells: name | domain label | deliveries; default settings.
# One host's order is fixed, so six needs few.
OS_CELLS=(
	"pair|keep|$OS_N"
	"six|six|$OS_WORKERS"
	"tri|tri|$OS_N"
)

LAB_S=$(lab_ns_add s)
lab_etc "$LAB_S"
mta_serve_zone "$ZONE"

# native_client KEY INDEX V6 GAICONF_LINE: a client namespace joined to the
# server by its own veth pair (192.0.2.128+4*INDEX/30 and
# 2001:db8:2:INDEX::/64), routes to the lab's prefixes through the server
# (IPv6 ones only when V6 is 1), the lab's resolver, "hosts: files dns", and
# an /etc/gai.conf holding GAICONF_LINE. Prints the namespace's name.
native_client() {
	local key=$1 i=$2 v6=$3 gai=$4 ns
	ns=$(lab_ns_add "$key")
	lab_veth "$ns" c0 "$LAB_S" "n$i"
	lab_addr "$ns" c0 "192.0.2.$((128 + 4 * i + 1))/30"
	lab_addr "$LAB_S" "n$i" "192.0.2.$((128 + 4 * i + 2))/30"
	lab_route "$ns" 198.51.100.0/24 via "192.0.2.$((128 + 4 * i + 2))"
	lab_route "$ns" 203.0.113.0/24 via "192.0.2.$((128 + 4 * i + 2))"
	if [ "$v6" = 1 ]; then
		lab_addr "$ns" c0 "2001:db8:2:$i::1/64"
		lab_addr "$LAB_S" "n$i" "2001:db8:2:$i::2/64"
		lab_route "$ns" -6 2001:db8::/32 via "2001:db8:2:$i::2"
	fi
	lab_etc "$ns" 198.51.100.53
	echo 'hosts: files dns' >"/etc/netns/$ns/nsswitch.conf"
	printf '# mailcheck lab: %s\n%s\n' "$key" "$gai" >"/etc/netns/$ns/gai.conf"
	echo "$ns"
}
HOSTS=(
	"dual|1|1|"
	"no6|2|0|"
	"prec|3|1|precedence ::ffff:0:0/96 100"
)

# Postfix: one instance per client namespace; each cell's settings through
# its own smtp transport (master.cf -o), selected per domain.
tmap="" mcf=() rcpts=() sent=0
for row in "${CELLS[@]}"; do
	IFS='|' read -r cell label settings n <<<"$row"
	t="n${cell//-/}"
	tmap="${tmap:+$tmap, }$label.lab.example=$t:"
	line="$t unix - - n - - smtp"
	for s in $settings; do line="$line -o $s"; done
	mcf+=("$line")
	sent=$((sent + n))
done
pf=0
[[ " $MTAS " != *" postfix "* ]] || pf=1
t0=$(date +%s)
for h in "${HOSTS[@]}"; do
	IFS='|' read -r key i v6 gai <<<"$h"
	ns=$(native_client "$key" "$i" "$v6" "$gai")
	echo "$ns" >"$LAB_DIR/ns-$key"
	[ "$pf" = 1 ] || continue
	mta_postfix_client "$ns" "pf-$key" -- "transport_maps = inline:{ $tmap }" --master "${mcf[@]}"
	for row in "${CELLS[@]}"; do
		IFS='|' read -r cell label _ n <<<"$row"
		mta_postfix_submit "$ns" "$n" "u@$label.lab.example" || lab_die "submitting to Postfix in $key failed"
	done
	lab_log "Postfix in $key: $sent deliveries queued"
done
for h in "${HOSTS[@]}"; do
	[ "$pf" = 1 ] || break
	IFS='|' read -r key _ <<<"$h"
	MTA_PF_LOG=$LAB_DIR/pf-$key/maillog
	mta_postfix_wait "$sent" 120 || {
		lab_show "$MTA_PF_LOG"
		lab_die "Postfix in $key did not finish its deliveries"
	}
	"$LAB_DIR/mta-compare" postfix-log "$MTA_PF_LOG" >"$LAB_DIR/postfix-$key.tsv" || lab_die "reading the Postfix log of $key"
	mta_summary "$LAB_DIR/postfix-$key.tsv" "Postfix 3.7.11 in $key"
done
pf_secs=$(($(date +%s) - t0))
[ "$pf" = 0 ] || echo "FIGURE: Postfix 3.7.11 native: $((sent * ${#HOSTS[@]})) deliveries ($sent in each of ${#HOSTS[@]} hosts, ${#CELLS[@]} cells) in ${pf_secs}s"

# collect_outputs PREFIX KIND NAME: for each host, the outputs of its
# PREFIX-KEY-* delivery jobs joined, read by `mta-compare KIND-log` into
# KIND-KEY.tsv and summarised as NAME's.
collect_outputs() {
	local prefix=$1 kind=$2 name=$3 h key
	for h in "${HOSTS[@]}"; do
		IFS='|' read -r key _ <<<"$h"
		cat "$LAB_DIR/$prefix-$key"-*.out >"$LAB_DIR/$prefix-$key.out"
		"$LAB_DIR/mta-compare" "$kind-log" "$LAB_DIR/$prefix-$key.out" >"$LAB_DIR/$kind-$key.tsv" ||
			lab_die "reading $name's output in $key"
		mta_summary "$LAB_DIR/$kind-$key.tsv" "$name in $key"
	done
}

# Sendmail: gethostbyname2() per family, never getaddrinfo() (conf.c
# sm_gethostbyname on glibc), so gai.conf and the routes do not reorder its
# addresses; the same hosts show that. One configuration (and queue) per
# cell and host, all in parallel.
sm_skip=""
if [[ " $MTAS " != *" sendmail "* ]]; then
	sm_skip="not selected (MTA_NATIVE_MTAS)"
elif [ ! -x "$LAB_ROOT/usr/libexec/sendmail/sendmail" ]; then
	sm_skip="Sendmail is not in the private root (run scripts/lab/install.sh)"
elif ! command -v m4 >/dev/null; then
	sm_skip="m4 is missing (run scripts/lab/install.sh)"
fi
if [ -z "$sm_skip" ]; then
	t0=$(date +%s)
	jobs_pids=()
	for h in "${HOSTS[@]}"; do
		IFS='|' read -r key _ <<<"$h"
		for row in "${SM_CELLS[@]}"; do
			IFS='|' read -r cell label <<<"$row"
			conf=$(mta_sendmail_setup "sm-$key-$cell") ||
				lab_die "building the Sendmail configuration failed: $(cat "$LAB_DIR/sm-$key-$cell/m4.err" 2>/dev/null)"
			mta_sendmail_deliver "$(cat "$LAB_DIR/ns-$key")" "$conf" "$SM_N" "u@$label.lab.example" \
				>"$LAB_DIR/sm-$key-$cell.out" 2>"$LAB_DIR/sm-$key-$cell.err" &
			jobs_pids+=($!)
		done
	done
	wait "${jobs_pids[@]}" || true
	collect_outputs sm sendmail "Sendmail 8.17.1.9"
	echo "FIGURE: Sendmail 8.17.1.9: $((SM_N * ${#SM_CELLS[@]} * ${#HOSTS[@]})) deliveries ($SM_N in each of ${#SM_CELLS[@]} cells on ${#HOSTS[@]} hosts) in $(($(date +%s) - t0))s"
else
	lab_log "SKIP Sendmail cells: $sm_skip"
	echo "FIGURE: Sendmail cells skipped: $sm_skip"
fi

# OpenSMTPD (Debian's opensmtpd 6.8.0p2): each MX host's addresses from
# libasr's getaddrinfo_async (AI_ADDRCONFIG, AAAA then A, no RFC 6724
# sort), so gai.conf plays no part but a host without a usable IPv6
# address asks for A records only. One smtpd per message
# (mta_opensmtpd_deliver: its mta keeps failed routes between messages),
# in a mount namespace of its own. A message takes about 12 s, nearly all
# of it the 2 s smtpd waits between connections, so each cell runs
# OS_WORKERS such loops side by side, each on its own port.
os_skip=""
if [[ " $MTAS " != *" opensmtpd "* ]]; then
	os_skip="not selected (MTA_NATIVE_MTAS)"
elif [ ! -x "$LAB_ROOT/usr/sbin/smtpd" ]; then
	os_skip="OpenSMTPD is not in the private root (run scripts/lab/install.sh)"
elif ! grep -qw overlay /proc/filesystems; then
	os_skip="the kernel has no overlay file system (smtpd's chroot under /var/lib)"
fi
if [ -z "$os_skip" ]; then
	t0=$(date +%s)
	jobs_pids=()
	for h in "${HOSTS[@]}"; do
		IFS='|' read -r key _ <<<"$h"
		port=10030
		for row in "${OS_CELLS[@]}"; do
			IFS='|' read -r cell label n <<<"$row"
			for w in $(seq 1 "$OS_WORKERS"); do
				port=$((port + 1))
				mta_opensmtpd_deliver "$(cat "$LAB_DIR/ns-$key")" "os-$key-$cell-$w" "$port" \
					$(((n + OS_WORKERS - w) / OS_WORKERS)) "u@$label.lab.example" \
					>"$LAB_DIR/os-$key-$cell-$w.out" 2>"$LAB_DIR/os-$key-$cell-$w.err" &
				jobs_pids+=($!)
			done
		done
	done
	wait "${jobs_pids[@]}" || true
	collect_outputs os opensmtpd "OpenSMTPD 6.8.0p2"
	os_sent=0
	for row in "${OS_CELLS[@]}"; do os_sent=$((os_sent + ${row##*|})); done
	echo "FIGURE: OpenSMTPD 6.8.0p2: $((os_sent * ${#HOSTS[@]})) deliveries ($os_sent on each of ${#HOSTS[@]} hosts, ${#OS_CELLS[@]} cells, one smtpd each, $OS_WORKERS at a time per cell) in $(($(date +%s) - t0))s"
else
	lab_log "SKIP OpenSMTPD cells: $os_skip"
	echo "FIGURE: OpenSMTPD cells skipped: $os_skip"
fi

# The models, run in each namespace: its addresses, routes and gai.conf.
MTA_REPORT=$LAB_DIR/native.md
"$LAB_DIR/mta-compare" header >"$MTA_REPORT"
for h in "${HOSTS[@]}"; do
	IFS='|' read -r key _ <<<"$h"
	ns=$(cat "$LAB_DIR/ns-$key")
	for row in "${CELLS[@]}"; do
		[ "$pf" = 1 ] || break
		IFS='|' read -r cell label settings n <<<"$row"
		# shellcheck disable=SC2086 # settings are words by design
		mta_check "$ns" "Postfix 3.7.11" postfix:3.7.11 "$LAB_DIR/postfix-$key.tsv" "$n" "$key-$cell" \
			"$label.lab.example" $settings
	done
	[ -z "$sm_skip" ] || continue
	for row in "${SM_CELLS[@]}"; do
		IFS='|' read -r cell label <<<"$row"
		mta_check "$ns" "Sendmail 8.17.1.9" sendmail:8.17.1 "$LAB_DIR/sendmail-$key.tsv" "$SM_N" "$key-sm-$cell" \
			"$label.lab.example"
	done
done
for h in "${HOSTS[@]}"; do
	[ -z "$os_skip" ] || break
	IFS='|' read -r key _ <<<"$h"
	ns=$(cat "$LAB_DIR/ns-$key")
	for row in "${OS_CELLS[@]}"; do
		IFS='|' read -r cell label n <<<"$row"
		# Equal-preference hosts come in the order their lookups complete
		# (pkg/mta others.go): the model says which orders can occur, and
		# how often each does depends on the DNS server and the timing.
		MTA_SUPPORT_ONLY=1 mta_check "$ns" "OpenSMTPD 6.8.0p2" opensmtpd:6.8.0 "$LAB_DIR/opensmtpd-$key.tsv" "$n" "$key-os-$cell" \
			"$label.lab.example"
	done
done
cat "$MTA_REPORT" >&2
echo "FIGURE: native: $(grep -c -E '\| pass( \(possible orderings only: .*\))? \|$' "$MTA_REPORT") of $(($(wc -l <"$MTA_REPORT") - 2)) cells agree with mailcheck simulate (alpha $MTA_ALPHA per test)"
lab_done
