#!/usr/bin/env bash
# Installs what the lab needs (docs/lab.md). Idempotent, and fast when
# everything is already there: it asks apt only for what is missing.
#
# System-wide: knot (authoritative DNS), knot-dnsutils, iproute2, jq, openssl,
# GNU time, procps, gcc with libc6-dev (t-gai builds a small getaddrinfo
# client: real glibc is its oracle), unbound (t-dane's validating
# resolver), nginx (t-mtasts runs its own instance as
# the MTA-STS policy server) and, where the archive has it,
# postfix-mta-sts-resolver (t-mtasts's real MTA-STS client), and m4 (the lab
# builds Sendmail's configuration from sendmail-cf's macros). None of them is
# a mail server; package scripts are kept from starting services.
# Private root ($MAILCHECK_LAB_ROOT, default /var/lib/mailcheck-lab/root):
# Debian's Postfix, Exim, Sendmail and OpenSMTPD .debs (sendmail-bin,
# sendmail-cf and its libwrap0; opensmtpd and its libevent-2.1-7)
# extracted with dpkg-deb -x. The MTA packages all provide
# mail-transport-agent and would remove each other if installed, and an
# installed MTA would start a system daemon; extracted, they are only files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "install.sh: needs root (apt-get, network namespaces)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		apt-get update -qq
		updated=1
	fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in $LAB_SYSTEM_DEBS; do
	installed "$p" || missing+=("$p")
done
# Optional packages: only those the archive has (the tests that use them
# skip that part otherwise).
for p in $LAB_OPTIONAL_DEBS; do
	installed "$p" && continue
	apt_update
	if [ -n "$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]; then
		missing+=("$p")
	else
		echo "install.sh: $p is not in this archive; the tests that use it skip that part"
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install.sh: installing ${missing[*]}"
	apt_update
	# Keep package scripts from starting knot or nginx as a system service: a
	# policy-rc.d that denies every start, only while we install.
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	set +e
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/mailcheck-lab-apt.log 2>&1
	rc=$?
	set -e
	[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ "$rc" != 0 ]; then
		tail -20 /tmp/mailcheck-lab-apt.log >&2
		exit 1
	fi
	# If the system started a service anyway (a machine with a service
	# manager), stop it: the lab runs its own instances only.
	for svc in knot unbound nginx postfix-mta-sts-resolver; do
		if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || true
		fi
	done
fi

# The private root. The stamp records which packages it holds, so a second
# run does nothing unless the list changed. Packages added to the list are
# extracted into the existing root; any other change rebuilds it.
stamp="$LAB_ROOT/.mailcheck-lab-debs"
want="$LAB_PRIVATE_DEBS"
have=""
[ -f "$stamp" ] && [ -x "$LAB_ROOT/usr/lib/postfix/sbin/master" ] && have=$(cat "$stamp")
added=() kept=1
for p in $want; do [[ " $have " == *" $p "* ]] || added+=("$p"); done
for p in $have; do [[ " $want " == *" $p "* ]] || kept=0; done
if [ -z "$have" ] || [ "$kept" = 0 ] || [ ${#added[@]} -gt 0 ]; then
	if [ -n "$have" ] && [ "$kept" = 1 ]; then
		get="${added[*]}" target=$LAB_ROOT
	else
		get="$want" target=$LAB_ROOT.new
	fi
	echo "install.sh: extracting $get into $LAB_ROOT"
	apt_update
	dl=$(mktemp -d)
	trap 'rm -rf -- "$dl"' EXIT
	chmod 755 "$dl"
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	(cd "$dl" && apt-get download $get >/dev/null 2>"$dl/err") || {
		cat "$dl/err" >&2
		exit 1
	}
	if [ "$target" = "$LAB_ROOT.new" ]; then
		rm -rf -- "$LAB_ROOT.new"
		mkdir -p "$LAB_ROOT.new"
	fi
	for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$target"; done
	echo "$want" >"$target/.mailcheck-lab-debs"
	if [ "$target" = "$LAB_ROOT.new" ]; then
		rm -rf -- "$LAB_ROOT"
		mv "$LAB_ROOT.new" "$LAB_ROOT"
	fi
fi

# Every extracted binary must find its libraries (host's plus private ones).
lab_private_env
bad=0
for bin in "$LAB_ROOT/usr/lib/postfix/sbin/master" "$LAB_ROOT/usr/lib/postfix/sbin/smtpd" \
	"$LAB_ROOT/usr/lib/postfix/sbin/smtp" "$LAB_ROOT/usr/sbin/exim4" "$LAB_ROOT/usr/libexec/sendmail/sendmail" \
	"$LAB_ROOT/usr/sbin/smtpd"; do
	[ -e "$bin" ] || continue
	if ldd "$bin" | grep -q 'not found'; then
		echo "install.sh: $bin lacks libraries:" >&2
		ldd "$bin" | grep 'not found' >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
echo "install.sh: lab ready (knot $(knotd --version 2>/dev/null | awk '{print $NF}'), private root $LAB_ROOT)"
