# shellcheck shell=bash
# Helpers of the MTA conformance lab (mta-t-conformance.sh), on top of
# lib.sh: a real Postfix and a real Exim from the private root as
# *delivering clients*, the lab's DNS and 421 peers, and reading the order of
# their connection attempts. Source it after lib.sh; it runs nothing itself.
#
# Facts it relies on are in research/lab-notes.md; the ones found while
# building it are noted next to the code.

# mta_tools: build the lab's Go helpers once (mta-peers: DNS server and 421
# listeners; mta-compare: log parsing and the statistical comparison).
mta_tools() {
	local t
	for t in mta-peers mta-compare mta-submit; do
		if [ -n "${LAB_TOOLS:-}" ] && [ -x "$LAB_TOOLS/$t" ]; then
			ln -sf "$LAB_TOOLS/$t" "$LAB_DIR/$t"
		else
			(cd "$LAB_REPO" && go build -o "$LAB_DIR/$t" "./scripts/lab/$t") || lab_die "go build ./scripts/lab/$t"
		fi
	done
}

# mta_peers ZONEFILE [-servfail NAME/TYPE]... [-smtp421 ADDR:PORT]...: the
# lab's DNS server on 198.51.100.53:53 in $LAB_S (own server: see
# scripts/lab/mta-peers for why not knot) plus the 421 listeners; waits until
# every socket is bound.
mta_peers() {
	local zone=$1
	shift
	lab_server_addr 198.51.100.53
	lab_spawn "$LAB_S" mta-peers "$LAB_DIR/mta-peers" -dns 198.51.100.53:53 -zone "$zone" \
		-log "$LAB_DIR/mta-peers.events" "$@" >/dev/null
	local i
	for i in $(seq 1 100); do
		grep -q '^ready$' "$LAB_DIR/mta-peers.log" 2>/dev/null && return 0
		sleep 0.1
	done
	lab_show "$LAB_DIR/mta-peers.log"
	lab_die "mta-peers did not start"
}

# mta_postfix_client NS NAME [-- MAIN_CF_LINE...] [--master MASTER_CF_LINE...]:
# a private Postfix instance in NS that delivers over SMTP: empty
# mydestination, its only smtpd on 127.0.0.1:10025 for the lab's submissions
# (mta_postfix_submit), chroot off for every service
# (chrooted smtp would read the chroot's resolv.conf, not the namespace's).
# Settings for one delivery attempt per message (research/lab-notes.md):
#   bounce_queue_lifetime = 0 with null-sender messages: a deferred message
#     expires after its first attempt, without a bounce;
#   default_destination_concurrency_failed_cohort_limit high: otherwise qmgr
#     marks the destination dead after one all-failed attempt and defers the
#     rest with "delivery temporarily suspended" without connecting;
#   queue_run_delay and backoff long: no second attempt during the lab.
# Sets MTA_PF_CONF, MTA_PF_LOG and MTA_PF_BIN (wrappers for the commands).
mta_postfix_client() {
	local ns=$1 name=$2
	shift 2
	local extra=() master=() mode=main
	while [ $# -gt 0 ]; do
		case "$1" in
		--) mode=main ;;
		--master) mode=master ;;
		*) if [ "$mode" = main ]; then extra+=("$1"); else master+=("$1"); fi ;;
		esac
		shift
	done
	lab_private_env
	local d="$LAB_DIR/$name"
	local conf="$d/etc" spool="$d/spool" data="$d/data" bin="$d/bin"
	mkdir -p "$conf" "$spool" "$data" "$bin"
	# sendmail runs postdrop with a scrubbed environment, before it reads
	# import_environment, so postdrop would lose LD_LIBRARY_PATH and not find
	# Postfix's shared libraries. command_directory points at wrappers that
	# set it again.
	local f b
	for f in "$LAB_ROOT"/usr/sbin/post* "$LAB_ROOT/usr/sbin/sendmail"; do
		b=$(basename "$f")
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$LD_LIBRARY_PATH" "$f" >"$bin/$b"
		chmod 755 "$bin/$b"
	done
	: >"$conf/dynamicmaps.cf"
	cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $spool
data_directory = $data
daemon_directory = $LAB_ROOT/usr/lib/postfix/sbin
command_directory = $bin
shlib_directory = $LAB_ROOT/usr/lib/postfix
meta_directory = $conf
sendmail_path = $bin/sendmail
mail_owner = postfix
setgid_group = postdrop
myhostname = client.lab.example
mydomain = lab.example
myorigin = \$myhostname
mydestination =
relay_domains =
inet_interfaces = loopback-only
inet_protocols = all
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = $d/maillog
maillog_file_prefixes = $d
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH
smtp_tls_security_level = none
smtp_connect_timeout = 5s
smtp_helo_timeout = 5s
bounce_queue_lifetime = 0
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
default_destination_concurrency_failed_cohort_limit = 1000000
default_process_limit = 20
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
EOF
	local line
	for line in "${extra[@]}"; do echo "$line" >>"$conf/main.cf"; done
	{
		cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
127.0.0.1:10025 inet n  -       n       -       1       smtpd
EOF
		for line in "${master[@]}"; do echo "$line"; done
	} >"$conf/master.cf"
	# Queue directories with the owners postfix-files gives them (master -d
	# does not run postfix-script, which would create them).
	local q
	for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		mkdir -p "$spool/$q"
		chown "$LAB_POSTFIX_UID:0" "$spool/$q"
		chmod 700 "$spool/$q"
	done
	mkdir -p "$spool/pid" "$spool/maildrop" "$spool/public"
	chown "$LAB_POSTFIX_UID:$LAB_POSTDROP_GID" "$spool/maildrop" "$spool/public"
	chmod 730 "$spool/maildrop"
	chmod 710 "$spool/public"
	chown "$LAB_POSTFIX_UID:0" "$data"
	chmod 700 "$data"
	[ -f "/etc/netns/$ns/passwd" ] || lab_etc "$ns"
	lab_spawn "$ns" "$name-master" env MAIL_CONFIG="$conf" LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
		"$LAB_ROOT/usr/lib/postfix/sbin/master" -c "$conf" -d >/dev/null
	MTA_PF_CONF=$conf
	MTA_PF_LOG=$d/maillog
	MTA_PF_BIN=$bin
	# The submission listener accepts once master runs (lab_wait_tcp dies
	# with a message otherwise; the logs are kept with LAB_KEEP=1).
	lab_wait_tcp "$ns" 127.0.0.1 10025 20
}

# mta_postfix_submit NS COUNT RCPT...: queue COUNT messages to each RCPT, one
# message per recipient, with the null sender (research/lab-notes.md, "One
# attempt per message"), over one SMTP connection to the instance's
# loopback smtpd.
mta_postfix_submit() {
	local ns=$1 count=$2
	shift 2
	ip netns exec "$ns" "$LAB_DIR/mta-submit" -addr 127.0.0.1:10025 -n "$count" "$@"
}

# mta_postfix_wait COUNT SECONDS: wait until COUNT smtp(8) status lines are in
# the Postfix log.
mta_postfix_wait() {
	local want=$1 secs=$2 i n=0
	for i in $(seq 1 $((secs * 5))); do
		n=$(grep -c -E 'postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: to=<' "$MTA_PF_LOG" 2>/dev/null || true)
		[ "${n:-0}" -ge "$want" ] && return 0
		sleep 0.2
	done
	lab_log "Postfix logged $n of $want deliveries after ${secs}s"
	return 1
}

# mta_exim_setup NAME [--local DOMAIN=DIR] [ROUTER_OPTION=VALUE...]: an Exim
# configuration for one cell in $LAB_DIR/NAME (own spool and log), with extra
# dnslookup router options ("ipv4_prefer=true"). With --local, mail to DOMAIN
# (the bounces Exim sends to a sender there) is written into DIR, one file
# per message (appendfile's directory mode). Sets nothing global; prints the
# config path.
# Exim re-executes itself (exim_path) for delivery, and the ld.so of a
# set-uid binary ignores LD_LIBRARY_PATH, so the lab runs a copy without the
# set-uid bit (it is root already) through a wrapper that sets it.
mta_exim_setup() {
	local name=$1
	shift
	local d="$LAB_DIR/$name" opt router_opts="" local_router="" local_transport=""
	if [ "${1:-}" = --local ]; then
		local ldomain=${2%%=*} ldir=${2#*=}
		shift 2
		mkdir -p "$ldir"
		chown "$LAB_EXIM_UID:$LAB_EXIM_UID" "$ldir"
		local_router="local_file:
  driver = accept
  domains = $ldomain
  transport = local_file
"
		local_transport="local_file:
  driver = appendfile
  directory = $ldir
  user = Debian-exim
"
	fi
	for opt in "$@"; do router_opts="$router_opts  ${opt%%=*} = ${opt#*=}
"; done
	mkdir -p "$d/spool" "$d/log"
	if [ ! -x "$LAB_DIR/exim4" ]; then
		cp "$LAB_ROOT/usr/sbin/exim4" "$LAB_DIR/exim4.bin"
		chmod 755 "$LAB_DIR/exim4.bin"
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$LD_LIBRARY_PATH" "$LAB_DIR/exim4.bin" >"$LAB_DIR/exim4"
		chmod 755 "$LAB_DIR/exim4"
	fi
	chown -R "$LAB_EXIM_UID:$LAB_EXIM_UID" "$d/spool" "$d/log"
	# Defaults everywhere that matters for address order (dnslookup router,
	# smtp transport: hosts_max_try 5); connect_timeout short only as a guard.
	cat >"$d/exim.conf" <<EOF
exim_path = $LAB_DIR/exim4
primary_hostname = client.lab.example
spool_directory = $d/spool
log_file_path = $d/log/%slog
local_interfaces = <; 127.0.0.1 ; ::1
trusted_users = root
never_users =
begin routers
${local_router}dnslookup:
  driver = dnslookup
  transport = remote_smtp
${router_opts}  no_more
begin transports
remote_smtp:
  driver = smtp
  connect_timeout = 5s
  command_timeout = 5s
${local_transport}begin retry
* * F,1h,1h
EOF
	echo "$d/exim.conf"
}

# mta_exim_deliver NS CONF COUNT RCPT: COUNT deliveries of one message each
# (`exim -odi`: receive, then deliver in the foreground), wiping the spool
# between messages: Exim remembers per-IP retry times in spool/db and would
# skip addresses that failed before (research/lab-notes.md, "Exim").
mta_exim_deliver() {
	local ns=$1 conf=$2 count=$3 rcpt=$4
	local d
	d=$(dirname "$conf")
	ip netns exec "$ns" bash -c '
		exim=$1 conf=$2 spool=$3 count=$4 rcpt=$5
		for i in $(seq 1 "$count"); do
			rm -rf "$spool/db" "$spool/input" "$spool/msglog"
			printf "Subject: lab %s\n\nconformance lab message\n" "$i" |
				timeout 30 "$exim" -C "$conf" -odi -f "<>" "$rcpt" || echo "exim exit $? on message $i" >&2
		done' mta-exim "$LAB_DIR/exim4" "$conf" "$d/spool" "$count" "$rcpt"
}

# mta_serve_zone ZONEFILE [MTA_PEERS_ARGS...]: every address of the zone's A
# and AAAA records (but the name server's) on the server's lo, and the lab's
# DNS server for the zone. Nothing listens on port 25 there except the 421
# peers given (-smtp421 ADDR:PORT), so every other connect gets an RST at
# once.
mta_serve_zone() {
	local zone=$1
	shift
	local addrs
	addrs=$(awk '$2 == "A" && $3 != "198.51.100.53" {print $3} $2 == "AAAA" {print $3}' "$zone" | sort -u)
	# shellcheck disable=SC2086 # one address per word
	lab_server_addr $addrs
	mta_peers "$zone" "$@"
}

# mta_model NS MTA DOMAIN OUT SETTINGS...: `mailcheck simulate` of DOMAIN
# against the lab's DNS, run in NS (so a model that reads the host, such as
# getaddrinfo's order, sees that namespace's addresses, routes and
# /etc/gai.conf), JSON in OUT. Fails (counted in LAB_FAILURES) when no
# model was computed.
mta_model() {
	local ns=$1 mta=$2 domain=$3 out=$4
	shift 4
	local args=(simulate "$domain" --resolver 198.51.100.53 -o json --mta "$mta" --max-orderings 100000)
	local s
	for s in "$@"; do args+=(--set "$s"); done
	lab_run "$ns" "$out" "$MAILCHECK_BIN" "${args[@]}"
	# 0 or 1 (findings, e.g. documentation addresses, null MX): a model was
	# computed. 2 or 3: it was not.
	if [ "$LAB_RC" -gt 1 ]; then
		lab_show "$out" "$out.err"
		lab_log "NOT OK: mailcheck ${args[*]} exited $LAB_RC"
		LAB_FAILURES=$((LAB_FAILURES + 1))
		return 1
	fi
}

# mta_check NS MTA_LABEL MTA_SPEC TSV SENT CELL DOMAIN SETTINGS...: compare
# the deliveries to DOMAIN in TSV (mta-compare postfix-log or exim-log) with
# the model (mta_model in NS with the same settings); one Markdown row is
# appended to $MTA_REPORT, a disagreement is counted in LAB_FAILURES.
# MTA_ALPHA is the per-test false-alarm rate; with MTA_SUPPORT_ONLY set,
# only an ordering the model rules out fails (mta-compare -support-only).
mta_check() {
	local ns=$1 label=$2 spec=$3 tsv=$4 sent=$5 cell=$6 domain=$7
	shift 7
	local out="$LAB_DIR/model-${label// /-}-$cell.json"
	mta_model "$ns" "$spec" "$domain" "$out" "$@" || return 0
	# shellcheck disable=SC2046 # no flag or one
	if "$LAB_DIR/mta-compare" check -mta "$label" -cell "$cell" -domain "$domain" -model "$out" \
		-deliveries "$tsv" -want "$sent" -alpha "$MTA_ALPHA" $([ -z "${MTA_SUPPORT_ONLY:-}" ] || echo -support-only) >>"$MTA_REPORT" 2>"$LAB_DIR/compare-${label// /-}-$cell.err"; then
		lab_log "ok: $label $cell agrees with the model"
	else
		lab_log "NOT OK: $label $cell disagrees with the model:"
		cat "$LAB_DIR/compare-${label// /-}-$cell.err" >&2
		LAB_FAILURES=$((LAB_FAILURES + 1))
	fi
}

# mta_summary TSV LABEL: what the real MTA did per domain (count, status,
# order), into the test's log whatever the model says.
mta_summary() {
	local tsv=$1 label=$2
	echo "== $label: observed orderings per domain (count, status, order)" >&2
	awk -F'\t' '{print $1 "\t" $2 "\t" $4}' "$tsv" | sort | uniq -c | sort -k2,2 -k1,1nr >&2
}

# mta_sendmail_setup NAME: a Sendmail configuration for one client in
# $LAB_DIR/NAME (own queue), built with m4 from sendmail-cf's macros in the
# private root: Debian's linux OSTYPE, the smtp mailers, no canonification,
# no interface probing, a 5 s connect timeout as a guard, everything else
# Sendmail's default (InetMode inet6 since IPv6 sockets work, no
# ResolverOptions, no DANE). Prints the config path; fails when Sendmail or
# m4 is missing. Like Exim, the lab runs a copy of the binary without its
# set-gid bit, so that ld.so honours LD_LIBRARY_PATH (libwrap0 is in the
# private root only).
mta_sendmail_setup() {
	local name=$1
	local d="$LAB_DIR/$name" cf="$LAB_ROOT/usr/share/sendmail/cf"
	[ -x "$LAB_ROOT/usr/libexec/sendmail/sendmail" ] && [ -f "$cf/m4/cf.m4" ] || return 1
	command -v m4 >/dev/null || return 1
	mkdir -p "$d/queue"
	chmod 700 "$d/queue"
	if [ ! -x "$LAB_DIR/sendmail.bin" ]; then
		cp "$LAB_ROOT/usr/libexec/sendmail/sendmail" "$LAB_DIR/sendmail.bin"
		chmod 755 "$LAB_DIR/sendmail.bin"
	fi
	cat >"$d/sendmail.mc" <<MC
divert(-1)
divert(0)dnl
include(\`$cf/m4/cf.m4')dnl
VERSIONID(\`mailcheck lab')dnl
OSTYPE(\`linux')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$d/queue')dnl
define(\`confTO_CONNECT', \`5s')dnl
FEATURE(\`nocanonify')dnl
MAILER(\`smtp')dnl
MC
	m4 "$d/sendmail.mc" >"$d/sendmail.cf" 2>"$d/m4.err" || return 1
	echo "$d/sendmail.cf"
}

# mta_sendmail_deliver NS CONF COUNT RCPT: COUNT deliveries of one message
# each (`sendmail -odi`: one process that receives, then delivers in the
# foreground; each process seeds random(), which orders equal-preference
# MX hosts, with its pid and the time in microseconds).
# The process gets its own UTS namespace with the host name
# client.lab.example: Sendmail looks up its own name at start, and a short
# name (searched in no domain, refused by the lab's DNS) would stall it.
# Prints "== delivery DOMAIN", Sendmail's -d16.1 connect lines and
# "== end deferred|bounced" (deferred when the message is still queued) per
# message; mta-compare sendmail-log reads that.
mta_sendmail_deliver() {
	local ns=$1 conf=$2 count=$3 rcpt=$4
	local d
	d=$(dirname "$conf")
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" unshare --uts bash -c '
		hostname client.lab.example
		sm=$1 conf=$2 queue=$3 count=$4 rcpt=$5
		for i in $(seq 1 "$count"); do
			rm -f "$queue"/*
			echo "== delivery ${rcpt#*@}"
			printf "Subject: lab %s\n\nnative lab message\n" "$i" |
				timeout 30 "$sm" -C "$conf" -d16.1 -odi -f "<>" "$rcpt" || echo "sendmail exit $? on message $i" >&2
			if ls "$queue"/qf* >/dev/null 2>&1; then echo "== end deferred"; else echo "== end bounced"; fi
		done' mta-sendmail "$LAB_DIR/sendmail.bin" "$conf" "$d/queue" "$count" "$rcpt"
}

# mta_opensmtpd_deliver NS NAME PORT COUNT RCPT: COUNT deliveries of one
# message each by Debian's OpenSMTPD from the private root, one smtpd
# process (foreground, -d) per message, so that its mta starts with no
# route state: it remembers a failed route across messages (penalised,
# then disabled for 15 s x penalty^2, mta.c mta_route_disable), which would
# make every later message skip the addresses that failed before.
# smtpd's spool, control socket and chroot are compiled-in paths
# (/var/spool/smtpd, /var/run/smtpd.sock, /var/lib/opensmtpd/empty), so the
# process tree runs in a mount namespace of its own (unshare -m inside NS):
# a tmpfs on /run and on /var/spool, and an overlay on /var/lib whose upper
# layer, in $LAB_DIR/NAME, holds the empty chroot; nothing of the host
# changes. Its only listener is 127.0.0.1:PORT, where mta-submit hands it
# the message with the null sender; "match from local for any action relay"
# sends it to the MX hosts. The UTS namespace gives it the host name
# client.lab.example. Prints "== delivery DOMAIN", smtpd's "mta
# connecting address=..." lines and "== end STATUS" per message (STATUS:
# deferred, bounced or sent from smtpd's result for the envelope, "none"
# when it logged none within 20 s); mta-compare opensmtpd-log reads that.
# With the defaults a message to five addresses takes about 12 s: the mta
# waits conn-delay-relay (2 s) between connections to one relay.
mta_opensmtpd_deliver() {
	local ns=$1 name=$2 port=$3 count=$4 rcpt=$5
	local d="$LAB_DIR/$name"
	mkdir -p "$d/up" "$d/work"
	cat >"$d/smtpd.conf" <<EOF
listen on 127.0.0.1 port $port
action "relay" relay
match from local for any action "relay"
EOF
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" unshare -m --propagation private --uts bash -c '
		smtpd=$1 submit=$2 d=$3 port=$4 count=$5 rcpt=$6
		hostname client.lab.example
		mount -t tmpfs tmpfs /run
		mount -t tmpfs tmpfs /var/spool
		mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$d/up,workdir=$d/work" /var/lib
		mkdir -p /var/lib/opensmtpd/empty
		for i in $(seq 1 "$count"); do
			rm -rf /var/spool/smtpd
			log=$d/smtpd-$i.log
			"$smtpd" -d -f "$d/smtpd.conf" >"$log" 2>&1 &
			pid=$!
			up=0
			for _ in $(seq 1 100); do
				if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
				sleep 0.05
			done
			echo "== delivery ${rcpt#*@}"
			if [ "$up" = 1 ] && "$submit" -addr "127.0.0.1:$port" -n 1 "$rcpt" >/dev/null; then
				for _ in $(seq 1 200); do
					grep -q "mta delivery evpid=" "$log" && break
					sleep 0.1
				done
			else
				echo "opensmtpd did not take message $i" >&2
			fi
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			grep -E " mta connecting address=" "$log" || true
			st=$(sed -n "s/.* mta delivery evpid=.* result=\"\{0,1\}\([A-Za-z]*\).*/\1/p" "$log" | head -n 1)
			case "$st" in
			TempFail) st=deferred ;;
			PermFail) st=bounced ;;
			Ok) st=sent ;;
			esac
			echo "== end ${st:-none}"
		done' mta-opensmtpd "$LAB_ROOT/usr/sbin/smtpd" "$LAB_DIR/mta-submit" "$d" "$port" "$count" "$rcpt"
}
