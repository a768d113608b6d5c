# shellcheck shell=bash
# Common library of the network-namespace lab (docs/lab.md). Source it from a
# lab test; it never runs anything by itself.
#
# What it gives a test:
#   - namespaces that only this run owns (names start with $LAB_ID), joined by
#     veth pairs created from inside them, holding documentation addresses
#     only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32),
#     IPv6 DAD, router advertisements and autoconf off, no default route;
#   - a private root of Debian's Postfix, Exim, Sendmail and OpenSMTPD
#     (scripts/lab/install.sh extracts their .debs with dpkg-deb -x, so the
#     MTAs never conflict and no system MTA is installed or started);
#   - a private Postfix smtpd instance and a knot authoritative DNS server;
#   - cleanup on exit, error and signal: every process this run started (and
#     only those), every namespace and /etc/netns entry it created.
#
# Conventions: a test is a bash script named t-*.sh (or mta-t-*.sh) that
# sources this file, calls lab_init, exits 0 on success, $LAB_SKIP (77) to
# skip with a reason, anything else on failure. scripts/lab/run.sh runs them.

set -euo pipefail

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_HERE/../.." && pwd)
# Where install.sh extracts the private MTA root.
LAB_ROOT=${MAILCHECK_LAB_ROOT:-/var/lib/mailcheck-lab/root}
# Debian packages extracted into the private root (not installed system-wide).
LAB_PRIVATE_DEBS=${LAB_PRIVATE_DEBS:-"postfix exim4-daemon-light exim4-base exim4-config libidn12 sendmail-bin sendmail-cf libwrap0 opensmtpd libevent-2.1-7"}
# Debian packages installed system-wide: none of them is a mail server.
LAB_SYSTEM_DEBS=${LAB_SYSTEM_DEBS:-"iproute2 knot knot-dnsutils jq openssl time procps gcc libc6-dev nginx unbound m4"}
# Installed system-wide when the archive has them; a test that needs one
# skips that part when it is missing (t-mtasts: a real MTA-STS client).
LAB_OPTIONAL_DEBS=${LAB_OPTIONAL_DEBS:-"postfix-mta-sts-resolver"}
LAB_SKIP=77

# Unprivileged accounts the MTAs need. They exist only inside the lab's
# namespaces (an /etc/netns/NS/passwd and group that `ip netns exec`
# bind-mounts over /etc), never in the host's /etc/passwd.
LAB_POSTFIX_UID=64925
LAB_POSTDROP_GID=64926
LAB_EXIM_UID=64927
LAB_OPENSMTPD_UID=64928
LAB_OPENSMTPQ_UID=64929

lab_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
lab_die() { lab_log "FAIL: $*"; exit 1; }
lab_skip() { lab_log "SKIP: $*"; echo "SKIP: $*" >"${LAB_DIR:-/tmp}/.skip-reason" 2>/dev/null || true; exit "$LAB_SKIP"; }

lab_require_root() {
	[ "$(id -u)" = 0 ] || lab_skip "the lab needs root (network namespaces)"
}

# lab_init: a private work directory and the cleanup traps. LAB_DIR is
# world-traversable because Postfix daemons drop to the postfix user and must
# reach their queue directory inside it.
lab_init() {
	lab_require_root
	LAB_ID=${LAB_ID:-mcl$$}
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mailcheck-lab.XXXXXX")
	chmod 755 "$LAB_DIR"
	: >"$LAB_DIR/namespaces"
	: >"$LAB_DIR/pids"
	: >"$LAB_DIR/etcdirs"
	export LAB_ID LAB_DIR
	trap lab_cleanup EXIT
	trap 'lab_log "interrupted"; exit 130' INT
	trap 'lab_log "terminated"; exit 143' TERM
	# A closed output pipe or terminal must not kill the test before its
	# cleanup: exit through the EXIT trap instead.
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
	lab_log "lab $LAB_ID in $LAB_DIR"
}

# lab_cleanup ends the processes this run started (their whole process
# groups: each was started as a session leader by lab_spawn), then anything
# still inside a namespace this run created (only our own processes can be
# there), then deletes the namespaces and /etc/netns entries.
lab_cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM HUP
	trap '' PIPE
	[ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ] || return "$rc"
	local pid ns
	while read -r pid; do
		[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null
	done <"$LAB_DIR/pids"
	while read -r ns; do
		[ -n "$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
	done <"$LAB_DIR/namespaces"
	local i
	for i in $(seq 1 20); do
		local alive=0
		while read -r pid; do
			[ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null && alive=1
		done <"$LAB_DIR/pids"
		while read -r ns; do
			[ -n "$ns" ] && [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && alive=1
		done <"$LAB_DIR/namespaces"
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	while read -r pid; do
		[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
	done <"$LAB_DIR/pids"
	while read -r ns; do
		[ -n "$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done <"$LAB_DIR/namespaces"
	local d
	while read -r d; do
		case "$d" in /etc/netns/"$LAB_ID"*) rm -rf -- "$d" ;; esac
	done <"$LAB_DIR/etcdirs"
	# LAB_KEEP=1 keeps the work directory (configs, logs) for a post-mortem.
	if [ -n "${LAB_KEEP:-}" ]; then lab_log "kept $LAB_DIR"; else rm -rf -- "$LAB_DIR"; fi
	return "$rc"
}

# lab_ns_add SHORT: create namespace "$LAB_ID-SHORT" with lo up and IPv6
# DAD/RA/autoconf off, print its name. Nothing in it is connected to the host.
lab_ns_add() {
	local ns="$LAB_ID-$1"
	ip netns add "$ns"
	echo "$ns" >>"$LAB_DIR/namespaces"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0 >/dev/null
	echo "$ns"
}

# lab_veth NS1 IF1 NS2 IF2: a veth pair created from inside NS1 with its peer
# placed straight into NS2 (never in the host's namespace); both ends up.
lab_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# lab_addr NS DEV CIDR...: add addresses; IPv6 ones with nodad so they are
# usable at once.
lab_addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		lab_check_doc_addr "${a%/*}"
		case "$a" in
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" ;;
		esac
	done
}

# lab_check_doc_addr IP: refuse anything but documentation addresses and
# loopback (and ULA fd00::/8), so no lab traffic can ever be aimed outside
# the machine.
lab_check_doc_addr() {
	case "$1" in
	192.0.2.* | 198.51.100.* | 203.0.113.* | 127.* | ::1) return 0 ;;
	2001:db8:* | 2001:DB8:* | 2001:0db8:*) return 0 ;;
	fd[0-9a-f][0-9a-f]:*) return 0 ;; # ULA fd00::/8: never routed outside a site
	esac
	lab_die "address $1 is not a documentation address"
}

# lab_route NS ARGS...: `ip route add` inside NS (use "-6" as first arg for IPv6).
lab_route() {
	local ns=$1 fam=""
	shift
	if [ "${1:-}" = -6 ]; then
		fam=-6
		shift
	fi
	ip $fam -n "$ns" route add "$@"
}

lab_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# lab_spawn NS NAME CMD...: start CMD in NS in the background as the leader
# of its own session and process group (so cleanup can end it and all its
# children, and nothing else), output in $LAB_DIR/NAME.log; print its pid.
lab_spawn() {
	local ns=$1 name=$2
	shift 2
	setsid ip netns exec "$ns" "$@" >"$LAB_DIR/$name.log" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	echo "$pid"
}

# lab_wait_tcp NS IP PORT [SECONDS]: wait until something accepts on IP:PORT
# inside NS (bash's /dev/tcp, one bounded attempt at a time).
lab_wait_tcp() {
	local ns=$1 ip=$2 port=$3 secs=${4:-10} i
	for i in $(seq 1 $((secs * 10))); do
		if ip netns exec "$ns" timeout 1 bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	lab_die "nothing listens on $ip port $port in $ns after ${secs}s"
}

# lab_etc NS [RESOLVER_IP]: per-namespace /etc overrides that `ip netns exec`
# bind-mounts over /etc: resolv.conf pointing at the lab's DNS server, and a
# passwd/group with the accounts Postfix, Exim and OpenSMTPD need.
lab_etc() {
	local ns=$1 resolver=${2:-}
	local d="/etc/netns/$ns"
	mkdir -p "$d"
	echo "$d" >>"$LAB_DIR/etcdirs"
	if [ -n "$resolver" ]; then
		printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$resolver" >"$d/resolv.conf"
	fi
	{
		grep -v -E '^(postfix|Debian-exim|opensmtpd|opensmtpq):' /etc/passwd
		echo "postfix:x:$LAB_POSTFIX_UID:$LAB_POSTFIX_UID::/nonexistent:/usr/sbin/nologin"
		echo "Debian-exim:x:$LAB_EXIM_UID:$LAB_EXIM_UID::/nonexistent:/usr/sbin/nologin"
		echo "opensmtpd:x:$LAB_OPENSMTPD_UID:$LAB_OPENSMTPD_UID::/var/lib/opensmtpd/empty:/usr/sbin/nologin"
		echo "opensmtpq:x:$LAB_OPENSMTPQ_UID:$LAB_OPENSMTPQ_UID::/var/lib/opensmtpd/empty:/usr/sbin/nologin"
	} >"$d/passwd"
	{
		grep -v -E '^(postfix|postdrop|Debian-exim|opensmtpd|opensmtpq):' /etc/group
		echo "postfix:x:$LAB_POSTFIX_UID:"
		echo "postdrop:x:$LAB_POSTDROP_GID:"
		echo "Debian-exim:x:$LAB_EXIM_UID:"
		echo "opensmtpd:x:$LAB_OPENSMTPD_UID:"
		echo "opensmtpq:x:$LAB_OPENSMTPQ_UID:"
	} >"$d/group"
}

# lab_private_env: environment for binaries from the private root. Debian's
# Postfix finds its shared libraries through RUNPATH /usr/lib/postfix, which
# LD_LIBRARY_PATH precedes; the extra multiarch dir holds libraries (libidn12
# for Exim) that the host lacks.
lab_private_env() {
	[ -x "$LAB_ROOT/usr/lib/postfix/sbin/master" ] ||
		lab_skip "private MTA root missing in $LAB_ROOT: run scripts/lab/install.sh"
	export LD_LIBRARY_PATH="$LAB_ROOT/usr/lib/postfix:$LAB_ROOT/usr/lib/x86_64-linux-gnu:$LAB_ROOT/lib/x86_64-linux-gnu"
}

# lab_tls_cert DIR NAME...: self-signed ECDSA certificate for the names
# (first one is the CN) in DIR/cert.pem and DIR/key.pem.
lab_tls_cert() {
	local dir=$1
	shift
	local san="" n
	for n in "$@"; do san="${san:+$san,}DNS:$n"; done
	mkdir -p "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=$1" -addext "subjectAltName=$san" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
		lab_die "openssl could not make a certificate"
	chmod 600 "$dir/key.pem"
}

# lab_postfix_smtpd NS NAME MYHOSTNAME LISTEN... [-- MAIN_CF_LINE...]:
# a private Postfix instance (own config, queue and data directories under
# $LAB_DIR/NAME, chroot off for every service, log in $LAB_DIR/NAME/maillog)
# whose smtpd listens on each LISTEN ("203.0.113.10:25", "[2001:db8::25]:25")
# with STARTTLS (self-signed certificate for MYHOSTNAME). A LISTEN may carry
# master.cf options for that listener alone after a space
# ("203.0.113.51:25 -o smtpd_tls_chain_files=KEY,CERT"). Extra main.cf lines
# after "--" override the defaults (postconf syntax, later lines win).
# master runs in the foreground (-d) as a lab_spawn'ed process; waits until
# every listener accepts. The namespace needs lab_etc first (accounts).
lab_postfix_smtpd() {
	local ns=$1 name=$2 myhostname=$3
	shift 3
	local listen=() extra=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		listen+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	extra=("$@")
	lab_private_env
	[ -f "/etc/netns/$ns/passwd" ] || lab_etc "$ns"
	local d="$LAB_DIR/$name"
	local conf="$d/etc" spool="$d/spool" data="$d/data"
	mkdir -p "$conf" "$spool" "$data"
	lab_tls_cert "$conf" "$myhostname"
	: >"$conf/dynamicmaps.cf"
	cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $spool
data_directory = $data
daemon_directory = $LAB_ROOT/usr/lib/postfix/sbin
command_directory = $LAB_ROOT/usr/sbin
shlib_directory = $LAB_ROOT/usr/lib/postfix
meta_directory = $conf
mail_owner = postfix
setgid_group = postdrop
myhostname = $myhostname
mydomain = lab.example
myorigin = \$myhostname
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
inet_interfaces = all
inet_protocols = all
alias_maps =
alias_database =
biff = no
smtpd_banner = \$myhostname ESMTP mailcheck-lab
maillog_file = $d/maillog
maillog_file_prefixes = $d
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH
smtpd_tls_security_level = may
smtpd_tls_cert_file = $conf/cert.pem
smtpd_tls_key_file = $conf/key.pem
smtpd_tls_loglevel = 1
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
EOF
	local line
	for line in "${extra[@]}"; do echo "$line" >>"$conf/main.cf"; done
	{
		local l
		for l in "${listen[@]}"; do
			# "ADDR:PORT -o name=value ...": options for this listener
			# only (master.cf -o overrides), e.g. its own certificate.
			echo "${l%% *} inet n - n - - smtpd${l#"${l%% *}"}"
		done
		cat <<'EOF'
postlog   unix-dgram n - n - 1 postlogd
anvil     unix - - n - 1 anvil
tlsmgr    unix - - n 1000? 1 tlsmgr
proxymap  unix - - n - - proxymap
rewrite   unix - - n - - trivial-rewrite
EOF
	} >"$conf/master.cf"
	mkdir -p "$spool/pid" "$spool/private" "$spool/public"
	chown "$LAB_POSTFIX_UID:0" "$spool/private" "$data"
	chown "$LAB_POSTFIX_UID:$LAB_POSTDROP_GID" "$spool/public"
	chmod 700 "$spool/private" "$data"
	chmod 710 "$spool/public"
	lab_spawn "$ns" "$name-master" env MAIL_CONFIG="$conf" LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
		"$LAB_ROOT/usr/lib/postfix/sbin/master" -c "$conf" -d >/dev/null
	printf '%s\n' "$ns" "${listen[@]}" >"$d/listen"
	[ -n "${LAB_NOWAIT:-}" ] || lab_postfix_wait "$name"
}

# lab_postfix_wait NAME...: wait until every listener of each instance
# accepts (start several with LAB_NOWAIT=1, then wait for all at once).
lab_postfix_wait() {
	local name ns l ip port listen
	for name in "$@"; do
		{
			read -r ns
			mapfile -t listen
		} <"$LAB_DIR/$name/listen"
		for l in "${listen[@]}"; do
			l=${l%% *}
			# A bare port listens on every address: the caller waits.
			[[ $l == *:* ]] || continue
			port=${l##*:}
			ip=${l%:*}
			ip=${ip#[}
			ip=${ip%]}
			lab_wait_tcp "$ns" "$ip" "$port" 15
		done
	done
}

# lab_knot NS NAME LISTEN_IP... -- ZONEFILE...: knot authoritative server in
# NS on port 53 of each LISTEN_IP, serving each zone file (named ORIGIN.zone,
# e.g. lab.example.zone, 113.0.203.in-addr.arpa.zone, "..zone" for the root).
# Zones named in LAB_KNOT_SIGN ("example ."; origins without the trailing
# dot, "." for the root) are signed by knot. Waits for TCP 53.
lab_knot() {
	local ns=$1 name=$2
	shift 2
	local listen=() zones=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		listen+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	zones=("$@")
	command -v knotd >/dev/null || lab_skip "knotd missing: run scripts/lab/install.sh"
	local d="$LAB_DIR/$name"
	mkdir -p "$d/zones" "$d/db"
	local l z origin lst=""
	for l in "${listen[@]}"; do lst="${lst:+$lst, }$l@53"; done
	{
		cat <<EOF
server:
    rundir: "$d"
    listen: [ $lst ]
    udp-workers: ${LAB_KNOT_WORKERS:-2}
    tcp-workers: 1
    background-workers: 1
log:
  - target: "$d/knot.log"
    any: info
database:
    storage: "$d/db"
control:
    listen: "$d/knot.sock"
EOF
		# Query counters for the benchmarks (knotc stats mod-stats).
		if [ -n "${LAB_KNOT_STATS:-}" ]; then
			printf 'mod-stats:\n  - id: default\n    request-protocol: on\n    query-type: on\n'
		fi
		cat <<EOF
template:
  - id: default
    storage: "$d/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
EOF
		if [ -n "${LAB_KNOT_STATS:-}" ]; then echo '    global-module: mod-stats/default'; fi
		echo 'zone:'
		for z in "${zones[@]}"; do
			origin=$(basename "$z" .zone)
			# knot's "%s" is the name without its trailing dot: "" for
			# the root, whose file is ".zone".
			cp "$z" "$d/zones/${origin%.}.zone"
			echo "  - domain: $origin"
			# LAB_KNOT_SIGN: zones knot signs itself (automatic
			# signing, default policy: ECDSA P-256 KSK and ZSK).
			case " ${LAB_KNOT_SIGN:-} " in
			*" $origin "*) echo "    dnssec-signing: on" ;;
			esac
		done
	} >"$d/knot.conf"
	lab_spawn "$ns" "$name" knotd -c "$d/knot.conf" >/dev/null
	for l in "${listen[@]}"; do lab_wait_tcp "$ns" "$l" 53 20; done
	# knot listens before it has loaded its zones (a big one takes seconds):
	# wait until each zone's SOA is served.
	local i
	for z in "${zones[@]}"; do
		origin=$(basename "$z" .zone)
		origin=${origin%.}.
		for i in $(seq 1 600); do
			[ -n "$(ip netns exec "$ns" kdig +short +time=1 +retry=0 "@${listen[0]}" SOA "$origin" 2>/dev/null)" ] && break
			[ "$i" = 600 ] && { lab_show "$d/knot.log"; lab_die "knot did not load $origin"; }
			sleep 0.1
		done
	done
}

# lab_mailcheck: build the binary once per run (run.sh exports MAILCHECK_BIN).
lab_mailcheck() {
	if [ -z "${MAILCHECK_BIN:-}" ] || [ ! -x "$MAILCHECK_BIN" ]; then
		MAILCHECK_BIN="$LAB_DIR/mailcheck"
		(cd "$LAB_REPO" && go build -o "$MAILCHECK_BIN" ./cmd/mailcheck) || lab_die "go build failed"
	fi
	export MAILCHECK_BIN
}

# lab_has_cmd SUBCOMMAND: true when the built binary lists the subcommand.
lab_has_cmd() {
	lab_mailcheck
	local help
	help=$("$MAILCHECK_BIN" --help 2>/dev/null || true)
	grep -qE "^  $1( |$)" <<<"$help"
}

# lab_need_cmd SUBCOMMAND [FLAG...]: skip unless the built binary has the
# subcommand (listed in --help: placeholders are hidden) and every flag.
lab_need_cmd() {
	local sub=$1 f help
	shift
	lab_mailcheck
	# Captured first: `cmd | grep -q` under pipefail fails when grep exits
	# early and cmd gets SIGPIPE.
	help=$("$MAILCHECK_BIN" --help 2>/dev/null || true)
	grep -qE "^  $sub( |$)" <<<"$help" || lab_skip "mailcheck $sub is not implemented yet"
	help=$("$MAILCHECK_BIN" "$sub" --help 2>/dev/null || true)
	for f in "$@"; do
		grep -qE -- "(^| )$f([ ,=]|$)" <<<"$help" || lab_skip "mailcheck $sub has no $f flag yet"
	done
}

# lab_run NS OUTFILE CMD...: run CMD in NS with stdout to OUTFILE and stderr
# to OUTFILE.err; set LAB_RC to its exit code and LAB_ELAPSED to its wall
# time in seconds (fractional). Never fails by itself.
lab_run() {
	local ns=$1 out=$2
	shift 2
	local t0 t1
	t0=$(date +%s.%N)
	set +e
	ip netns exec "$ns" "$@" >"$out" 2>"$out.err"
	LAB_RC=$?
	set -e
	t1=$(date +%s.%N)
	LAB_ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
}

# lab_expect DESCRIPTION COMMAND...: run a check; on failure say what was
# expected and remember the failure (the test fails at lab_done).
LAB_FAILURES=0
lab_expect() {
	local what=$1
	shift
	if "$@"; then
		lab_log "ok: $what"
	else
		lab_log "NOT OK: $what"
		LAB_FAILURES=$((LAB_FAILURES + 1))
	fi
}

# lab_jq FILE FILTER: true when the jq filter yields true on FILE.
lab_jq() {
	[ "$(jq -r "$2" "$1" 2>/dev/null)" = true ]
}

# lab_show FILE...: print files into the log (for diagnosing a failure).
lab_show() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "----- $f" >&2
		head -c 20000 "$f" >&2
		echo >&2
	done
}

lab_done() {
	if [ "$LAB_FAILURES" -gt 0 ]; then
		lab_die "$LAB_FAILURES check(s) failed"
	fi
	lab_log "all checks passed"
	exit 0
}

# lab_topology [-d ONE_WAY_DELAY] [-n]: the standard two-namespace lab.
#   $LAB_C  "client": where mailcheck runs. 192.0.2.1, 2001:db8:1::1.
#   $LAB_S  "server": DNS and MX hosts. 192.0.2.2, 2001:db8:1::2 on the link;
#           service addresses go on its lo as /32 and /128 (lab_server_addr).
# The client routes 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 to the
# server and nothing else (no default route). -n leaves out every IPv6
# address and route on the client ("this host has no IPv6"). -d DUR puts the
# delaywire between them instead of a veth pair (round trip = 2 x DUR): the
# lab's stand-in for netem, which this kernel may not have.
# The server forwards, and drops silently what it routes to blackhole:
#   203.0.113.240/28 and 2001:db8:dead::/48 (SYNs vanish: connect timeouts).
lab_topology() {
	local delay="" no6=0 opt OPTIND=1
	while getopts "d:n" opt; do
		case "$opt" in
		d) delay=$OPTARG ;;
		n) no6=1 ;;
		*) lab_die "lab_topology: bad option" ;;
		esac
	done
	LAB_C=$(lab_ns_add c)
	LAB_S=$(lab_ns_add s)
	export LAB_C LAB_S
	if [ -n "$delay" ]; then
		local wire=${LAB_TOOLS:-}/delaywire
		if [ ! -x "$wire" ]; then
			wire="$LAB_DIR/delaywire"
			(cd "$LAB_REPO" && go build -o "$wire" ./scripts/lab/delaywire) || lab_die "build delaywire"
		fi
		# LAB_WIRE_TRACE=1: one line per packet in delaywire.log.
		lab_spawn "$LAB_C" delaywire "$wire" -a lc -b ls -delay "$delay" ${LAB_WIRE_TRACE:+-trace} -ready "$LAB_DIR/wire.ready" >/dev/null
		local i
		for i in $(seq 1 50); do [ -f "$LAB_DIR/wire.ready" ] && break; sleep 0.1; done
		[ -f "$LAB_DIR/wire.ready" ] || { lab_show "$LAB_DIR/delaywire.log"; lab_die "delaywire did not start"; }
		ip -n "$LAB_C" link set ls netns "$LAB_S"
		ip -n "$LAB_C" link set lc up
		ip -n "$LAB_S" link set ls up
	else
		lab_veth "$LAB_C" lc "$LAB_S" ls
	fi
	lab_addr "$LAB_C" lc 192.0.2.1/24
	lab_addr "$LAB_S" ls 192.0.2.2/24 2001:db8:1::2/64
	lab_route "$LAB_C" 198.51.100.0/24 via 192.0.2.2
	lab_route "$LAB_C" 203.0.113.0/24 via 192.0.2.2
	if [ "$no6" = 1 ]; then
		# No global IPv6 address and no IPv6 route, only the link-local one.
		:
	else
		lab_addr "$LAB_C" lc 2001:db8:1::1/64
		lab_route "$LAB_C" -6 2001:db8::/32 via 2001:db8:1::2
	fi
	ip netns exec "$LAB_S" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	lab_route "$LAB_S" blackhole 203.0.113.240/28
	lab_route "$LAB_S" -6 blackhole 2001:db8:dead::/48
	lab_etc "$LAB_C" 198.51.100.53
	lab_etc "$LAB_S" 198.51.100.53
}

# lab_server_addr IP...: service addresses on the server's lo (/32, /128).
lab_server_addr() {
	local a
	for a in "$@"; do
		case "$a" in
		*:*) lab_addr "$LAB_S" lo "$a/128" ;;
		*) lab_addr "$LAB_S" lo "$a/32" ;;
		esac
	done
}

# lab_ptr_name IP: the reverse-DNS name of IP, without the trailing dot.
lab_ptr_name() {
	local ip=$1 a b c d
	if [[ $ip != *:* ]]; then
		IFS=. read -r a b c d <<<"$ip"
		echo "$d.$c.$b.$a.in-addr.arpa"
		return
	fi
	# Expand "::" to the missing zero groups, then reverse the 32 nibbles
	# (RFC 3596 section 2.5).
	local head=${ip%%::*} tail="" h=() t=() full=() g i hex="" out=""
	[[ $ip == *::* ]] && tail=${ip#*::}
	[ -n "$head" ] && IFS=: read -ra h <<<"$head"
	[ -n "$tail" ] && IFS=: read -ra t <<<"$tail"
	full=("${h[@]}")
	for ((i = 0; i < 8 - ${#h[@]} - ${#t[@]}; i++)); do full+=(0); done
	full+=("${t[@]}")
	for g in "${full[@]}"; do
		printf -v g '%04x' "0x${g:-0}"
		hex+=$g
	done
	for ((i = 31; i >= 0; i--)); do out+="${hex:i:1}."; done
	echo "${out}ip6.arpa"
}

# lab_dns_server ZONEFILE...: knot on 198.51.100.53 and 2001:db8:53::53 in
# $LAB_S serving the zone files (each named ORIGIN.zone).
lab_dns_server() {
	lab_server_addr 198.51.100.53 2001:db8:53::53
	lab_knot "$LAB_S" knot 198.51.100.53 2001:db8:53::53 -- "$@"
}

# lab_standard_zones DIR: write the lab's zones into DIR (lab.example and the
# reverse zones of 203.0.113.0/24, 198.51.100.0/24 and 2001:db8::/32) and
# print their paths. docs/lab.md lists what each name is for.
lab_standard_zones() {
	local dir=$1
	[ -n "$dir" ] || lab_die "lab_standard_zones: no directory"
	mkdir -p "$dir"
	local soa='@ SOA ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300'
	cat >"$dir/lab.example.zone" <<EOF
\$ORIGIN lab.example.
\$TTL 300
$soa
@ NS ns
ns A 198.51.100.53
ns AAAA 2001:db8:53::53
; two dual-stack MX, PTR and forward confirmation in both families
dual MX 10 mx1.dual
dual MX 20 mx2.dual
mx1.dual A 203.0.113.10
mx1.dual AAAA 2001:db8:25::10
mx2.dual A 203.0.113.20
mx2.dual AAAA 2001:db8:25::20
; IPv4 only
v4only MX 10 mx.v4only
mx.v4only A 203.0.113.30
; no PTR at all
noptr MX 10 mx.noptr
mx.noptr A 203.0.113.31
mx.noptr AAAA 2001:db8:25::31
; PTR names that do not map back: one to another address, one to NXDOMAIN
badptr MX 10 mx.badptr
mx.badptr A 203.0.113.32
mx.badptr AAAA 2001:db8:25::32
elsewhere A 203.0.113.99
; RFC 7505 null MX
nullmx MX 0 .
; no MX: the domain itself is the exchange (RFC 5321 section 5.1)
implicit A 203.0.113.33
implicit AAAA 2001:db8:25::33
; IPv6 addresses whose SYNs the server drops (blackhole routes), plus one
; live IPv4 address per exchange
blackhole MX 10 mx1.blackhole
blackhole MX 20 mx2.blackhole
mx1.blackhole A 203.0.113.10
mx1.blackhole AAAA 2001:db8:dead::25
mx1.blackhole AAAA 2001:db8:dead::26
mx2.blackhole A 203.0.113.20
mx2.blackhole AAAA 2001:db8:dead::27
; greetings that refuse: 554 and 450 (Postfix smtpd_delay_reject = no)
greet5 MX 10 mx.greet5
mx.greet5 A 203.0.113.40
mx.greet5 AAAA 2001:db8:25::40
greet4 MX 10 mx.greet4
mx.greet4 A 203.0.113.41
mx.greet4 AAAA 2001:db8:25::41
EOF
	{
		printf '$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 300\n%s\n@ NS ns.lab.example.\n' "$soa"
		printf '10 PTR mx1.dual.lab.example.\n20 PTR mx2.dual.lab.example.\n'
		printf '30 PTR mx.v4only.lab.example.\n32 PTR elsewhere.lab.example.\n'
		printf '33 PTR implicit.lab.example.\n40 PTR mx.greet5.lab.example.\n41 PTR mx.greet4.lab.example.\n'
	} >"$dir/113.0.203.in-addr.arpa.zone"
	{
		printf '$ORIGIN 100.51.198.in-addr.arpa.\n$TTL 300\n%s\n@ NS ns.lab.example.\n' "$soa"
		printf '53 PTR ns.lab.example.\n'
	} >"$dir/100.51.198.in-addr.arpa.zone"
	{
		printf '$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n$TTL 300\n%s\n@ NS ns.lab.example.\n' "$soa"
		local ip name pair
		for pair in 2001:db8:25::10=mx1.dual 2001:db8:25::20=mx2.dual 2001:db8:25::32=gone \
			2001:db8:25::33=implicit 2001:db8:25::40=mx.greet5 2001:db8:25::41=mx.greet4 \
			2001:db8:53::53=ns; do
			ip=${pair%%=*}
			name=${pair#*=}
			printf '%s. PTR %s.lab.example.\n' "$(lab_ptr_name "$ip")" "$name"
		done
	} >"$dir/8.b.d.0.1.0.0.2.ip6.arpa.zone"
	ls "$dir"/*.zone
}

# lab_standard_lab [TOPOLOGY_OPTS...]: topology, knot with the standard zones,
# and real Postfix smtpd for the exchanges of dual.lab.example (mx1 on
# 203.0.113.10 and 2001:db8:25::10, mx2 on .20 and ::20), each with its own
# host name in banner, EHLO and certificate. LAB_GREET=1 adds the refusing
# greeters: mx.greet5 (554, smtpd_delay_reject = no with a reject) on .40/::40
# and mx.greet4 (421 from an access map) on .41/::41.
lab_standard_lab() {
	lab_topology "$@"
	local zones
	zones=$(lab_standard_zones "$LAB_DIR/zones")
	# shellcheck disable=SC2086 # one path per line, no spaces
	lab_dns_server $zones
	lab_server_addr 203.0.113.10 2001:db8:25::10 203.0.113.20 2001:db8:25::20
	local LAB_NOWAIT=1 names=(mx1 mx2)
	lab_postfix_smtpd "$LAB_S" mx1 mx1.dual.lab.example 203.0.113.10:25 '[2001:db8:25::10]:25'
	lab_postfix_smtpd "$LAB_S" mx2 mx2.dual.lab.example 203.0.113.20:25 '[2001:db8:25::20]:25'
	if [ -n "${LAB_GREET:-}" ]; then
		lab_server_addr 203.0.113.40 2001:db8:25::40 203.0.113.41 2001:db8:25::41
		# Postfix smtpd.c: with smtpd_delay_reject = no the client
		# restrictions run at connect time and their reply replaces the
		# 220 greeting.
		lab_postfix_smtpd "$LAB_S" greet5 mx.greet5.lab.example 203.0.113.40:25 '[2001:db8:25::40]:25' -- \
			'smtpd_delay_reject = no' 'smtpd_client_restrictions = reject'
		printf '0.0.0.0/0 421 4.3.2 Service shutting down\n::/0 421 4.3.2 Service shutting down\n' >"$LAB_DIR/greet4.cidr"
		lab_postfix_smtpd "$LAB_S" greet4 mx.greet4.lab.example 203.0.113.41:25 '[2001:db8:25::41]:25' -- \
			'smtpd_delay_reject = no' "smtpd_client_restrictions = check_client_access cidr:$LAB_DIR/greet4.cidr"
		names+=(greet5 greet4)
	fi
	unset LAB_NOWAIT
	lab_postfix_wait "${names[@]}"
}
