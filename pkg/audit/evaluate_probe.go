package audit

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// conclusive reports whether a probe result says something about the
// server (as opposed to this machine's connectivity).
func (e *evaluator) conclusive(r smtpprobe.Result) bool {
	if r.Status == smtpprobe.StatusInconclusive || r.Status == "" {
		return false
	}
	// A probe that timed out while the domain's deadline ran out may have
	// been cut short by that deadline, not by the server (MC903 says so).
	if e.f.DeadlineHit && r.Status == smtpprobe.StatusTimeout {
		return false
	}
	return !e.f.NoRoute[r.Family] && !e.f.Port25Blocked[r.Family]
}

// failed reports a conclusive probe that did not reach a working SMTP
// greeting and EHLO.
func failed(r smtpprobe.Result) bool {
	switch r.Status {
	case smtpprobe.StatusOK, smtpprobe.StatusTLSFailed, smtpprobe.StatusInconclusive, "":
		return false
	}
	return true
}

func (e *evaluator) probes() {
	probes := e.f.Probes
	dom := e.f.Discovery.Domain
	// Self-check first: what this machine could not test is not the
	// domain's fault.
	byFam := map[string][]smtpprobe.Result{}
	for _, r := range probes {
		byFam[r.Family] = append(byFam[r.Family], r)
	}
	for _, fam := range []string{addr.IPv4, addr.IPv6} {
		rs := byFam[fam]
		if len(rs) == 0 {
			continue
		}
		allInc := true
		for _, r := range rs {
			// A probe the run's deadline cut short says nothing about
			// this machine's routes.
			if r.Status != smtpprobe.StatusInconclusive || r.DeadlineReached() {
				allInc = false
			}
		}
		switch {
		case e.f.Port25Blocked[fam]:
			down := "every server of " + dom + " is down"
			if e.f.Target != TargetMailDomain {
				down = dom + " is down"
			}
			e.add(report.CodePort25Blocked, dom, "", "Every %s connection to port %d timed out although this machine has a route: outbound port %d is probably blocked here (or %s; from here the two look the same), so %s not judged.", addr.Label(fam), rs[0].Port, rs[0].Port, down, count(len(rs), "the "+addr.Label(fam)+" probe is", "the %d "+addr.Label(fam)+" probes are"))
		case e.f.NoRoute[fam] || allInc:
			if fam == addr.IPv6 {
				switch e.f.Target {
				case TargetAddress:
					e.add(report.CodeNoIPv6Route, dom, "", "This machine has no IPv6 route, so %s could not be tested.", dom)
				case TargetHost:
					e.add(report.CodeNoIPv6Route, dom, "", "This machine has no IPv6 route, so %s of %s could not be tested.", count(len(rs), "the IPv6 address", "the %d IPv6 addresses"), dom)
				default:
					e.add(report.CodeNoIPv6Route, dom, "", "This machine has no IPv6 route to the MX addresses, so %s of %s could not be tested.", count(len(rs), "the IPv6 address", "the %d IPv6 addresses"), dom)
				}
			}
		}
	}
	nConclusive, nOK := 0, 0
	for _, r := range probes {
		if e.conclusive(r) {
			nConclusive++
			if r.Status == smtpprobe.StatusOK || r.Status == smtpprobe.StatusTLSFailed {
				nOK++
			}
		}
	}
	cut := e.deadlineCut(probes)
	if len(probes) > 0 && nConclusive == 0 {
		if len(cut) == len(probes) {
			e.undecided("the deadline (--timeout) ended every SMTP probe of " + dom + " before it was conclusive")
		} else {
			e.undecided("no SMTP probe of " + dom + " was conclusive from this machine")
		}
	}
	if !e.f.StartTLSAttempted && len(probes) > 0 {
		e.notTried(probes)
	}
	ptrOf := e.ptrNames()
	for _, r := range probes {
		if e.conclusive(r) {
			ptr, ok := ptrOf[r.IP]
			if !ok {
				ptr = r.PTR
			}
			e.probe(r, ptr)
		}
	}
	if nConclusive > 0 && nOK == 0 && nConclusive == len(probes) {
		switch {
		case e.f.Target == TargetAddress || len(probes) == 1 && e.f.Target == TargetHost:
			r := probes[0]
			e.add(report.CodeNoMXAcceptsSMTP, dom, fmt.Sprintf("Make the MTA accept SMTP on %s port %d (see the finding for the address).", r.IP, r.Port),
				"%s did not accept an SMTP session on port %d: no mail can be delivered to it.", hostAt(r), r.Port)
		case e.f.Target == TargetHost:
			e.add(report.CodeNoMXAcceptsSMTP, dom, fmt.Sprintf("Make the MTA on %s accept SMTP on port %d (see the findings for each address).", dom, probes[0].Port),
				"None of the %d addresses of %s accepted an SMTP session: no mail can be delivered to it.", len(probes), dom)
		case len(probes) == 1:
			e.add(report.CodeNoMXAcceptsSMTP, dom, "", "The one MX address of %s, %s, did not accept an SMTP session: %s cannot receive mail.", dom, hostAt(probes[0]), dom)
		default:
			e.add(report.CodeNoMXAcceptsSMTP, dom, "", "None of the %d MX addresses of %s accepted an SMTP session: %s cannot receive mail.", len(probes), dom, dom)
		}
	}
	e.parity(probes)
}

// deadlineCut says which probes the run's own deadline ended before their
// servers had used up the connect or command timeout (smtpprobe marks
// them inconclusive, so no server is blamed), and reports them with MC903
// unless the domain's deadline is already reported (check).
func (e *evaluator) deadlineCut(probes []smtpprobe.Result) []string {
	var cut []string
	for _, r := range probes {
		if r.DeadlineReached() {
			cut = append(cut, r.IP.String())
		}
	}
	if len(cut) > 0 && !e.f.DeadlineHit {
		e.add(report.CodeDeadlineReached, e.f.Discovery.Domain, "",
			"The deadline (--timeout) ended %s before %s had used up its connect or command timeout (--connect-timeout, --command-timeout): %s not judged.",
			count(len(cut), "the probe of "+cut[0], "the probes of "+strings.Join(cut, ", ")),
			count(len(cut), "the server", "the servers"), count(len(cut), "it is", "they are"))
	}
	return cut
}

// hostAt names the server of a probe: "192.0.2.1", or "mx1.example.org
// (192.0.2.1)" when it was probed by name.
func hostAt(r smtpprobe.Result) string {
	if isAddress(r.Host) || r.Host == "" {
		return r.IP.String()
	}
	return fmt.Sprintf("%s (%s)", r.Host, r.IP)
}

// count writes one or n things: count(1, "the probe", "the %d probes").
func count(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// notTried says that TLS was not judged (--no-starttls), and what the
// EHLO replies advertised, which the probes did see.
func (e *evaluator) notTried(probes []smtpprobe.Result) {
	ehlo, offered := 0, 0
	for _, r := range probes {
		if r.Status == smtpprobe.StatusOK {
			ehlo++
			if r.StartTLS {
				offered++
			}
		}
	}
	msg := "STARTTLS was not tried (--no-starttls), so TLS is not judged: no STARTTLS or certificate findings"
	if e.p.Expect.STARTTLS {
		msg += ", and --require-starttls could not be checked"
	}
	msg += "."
	if ehlo > 0 {
		word := "addresses"
		if ehlo == 1 {
			word = "address"
		}
		msg += fmt.Sprintf(" In their EHLO replies, %d of %d %s offered STARTTLS.", offered, ehlo, word)
	}
	e.add(report.CodeNoSTARTTLSTried, e.f.Discovery.Domain, "", "%s", msg)
}

func (e *evaluator) ptrNames() map[netip.Addr][]string {
	m := map[netip.Addr][]string{}
	for _, x := range e.f.Discovery.MX {
		for _, a := range x.Addresses {
			m[a.IP] = a.PTR
		}
	}
	return m
}

func (e *evaluator) probe(r smtpprobe.Result, ptr []string) {
	ip := r.IP.String()
	// named: the probe went to a host name (an MX host), not to an
	// IP-literal MX target or an address given as the target.
	named := !isAddress(r.Host)
	where := fmt.Sprintf("%s (%s) port %d", ip, r.Host, r.Port)
	if !named {
		where = fmt.Sprintf("%s port %d", ip, r.Port)
	}
	detail := ""
	if r.Error != "" {
		detail = ": " + r.Error
	}
	switch r.Status {
	case smtpprobe.StatusRefused, smtpprobe.StatusUnreachable, smtpprobe.StatusReset:
		e.add(report.CodeSMTPUnreachable, ip, e.listenFix(r), "%s: %s%s.", where, r.Status, detail)
	case smtpprobe.StatusTimeout:
		if r.Phase == "" || r.Phase == smtpprobe.PhaseConnect {
			e.add(report.CodeSMTPUnreachable, ip, e.listenFix(r), "%s: the TCP connection timed out%s.", where, detail)
		} else {
			e.add(report.CodeSMTPTimeoutPartial, ip, "", "%s: connected, then no reply in the %s phase%s.", where, r.Phase, detail)
		}
	case smtpprobe.StatusGreeting5xx:
		e.add(report.CodeGreeting5xx, ip, "", "%s greets with %d %s.", where, r.BannerCode, oneLine(r.Banner))
	case smtpprobe.StatusGreeting4xx:
		e.add(report.CodeGreeting4xx, ip, "", "%s greets with %d %s.", where, r.BannerCode, oneLine(r.Banner))
	case smtpprobe.StatusNotSMTP:
		e.add(report.CodeNotSMTP, ip, "", "%s does not speak SMTP%s.", where, detail)
	case smtpprobe.StatusTLSFailed:
		e.add(report.CodeTLSFailed, ip, "", "%s offers STARTTLS but the TLS handshake fails%s.", where, detail)
		if e.p.Expect.STARTTLS && e.f.StartTLSAttempted {
			e.add(report.CodeSTARTTLSRequired, ip, "", "%s: STARTTLS is required and its handshake fails.", where)
		}
	}
	if n := len(r.EarlyTalk); n > 0 {
		lines := count(n, "a line", "%d lines")
		if n >= smtpprobe.MaxEarlyTalk {
			lines = fmt.Sprintf("%d lines or more", n)
		}
		e.add(report.CodeEarlyTalk, ip, "",
			"%s sent %s out of turn, after its greeting and before its EHLO reply (%s): a client that takes such lines for its EHLO reply misses STARTTLS and the extensions and gets out of step; mailcheck skipped them.",
			where, lines, quoteLines(r.EarlyTalk, 3))
	}
	if r.Status != smtpprobe.StatusOK {
		return
	}
	if e.f.StartTLSAttempted {
		e.tls(r, where, named)
	}
	if r.EHLOName != "" && len(ptr) > 0 && !nameIn(r.EHLOName, ptr) {
		e.add(report.CodeEHLONotPTR, ip, fmt.Sprintf("Postfix: `myhostname = %s`, or publish `%s IN PTR %s.`", ptr[0], addr.ReverseName(r.IP), r.EHLOName),
			"%s answers EHLO as %s, but its PTR is %s.", where, r.EHLOName, strings.Join(ptr, ", "))
	}
}

// tls judges the STARTTLS offer, the session and the certificate of a
// probe that tried STARTTLS (not --no-starttls).
func (e *evaluator) tls(r smtpprobe.Result, where string, named bool) {
	ip := r.IP.String()
	if !r.StartTLS {
		e.add(report.CodeNoSTARTTLS, ip, "Postfix: `smtpd_tls_chain_files = /etc/ssl/private/mx.pem` and `smtpd_tls_security_level = may`, then `postfix reload`.",
			"%s does not offer STARTTLS: mail to it travels in clear text.", where)
		if e.p.Expect.STARTTLS {
			e.add(report.CodeSTARTTLSRequired, ip, "", "%s: STARTTLS is required and not offered.", where)
		}
	}
	if t := r.TLS; t != nil {
		if oldTLS(t.Version) {
			e.add(report.CodeOldTLS, ip, "",
				"%s negotiates %s (%s) although the probe offered up to TLS 1.3, so it knows nothing newer: senders that require TLS 1.2 (RFC 8996) fail the handshake, then send in clear text or defer.",
				where, t.Version, t.Cipher)
		}
		na, naErr := time.Parse(time.RFC3339, t.NotAfter)
		expired := naErr == nil && !e.p.Now.IsZero() && !na.After(e.p.Now)
		// An expired certificate does not verify either; MC310 says it all.
		if !t.Verified && !expired {
			why := ""
			if t.VerifyError != "" {
				why = " (" + t.VerifyError + ")"
			}
			if named {
				e.add(report.CodeCertNotVerified, ip, fmt.Sprintf("Install a certificate from a public CA that names %s (e.g. via ACME), with its chain.", r.Host),
					"The certificate of %s does not verify for %s%s; names: %s.", where, r.Host, why, orNone(t.CertNames))
			} else {
				name := "the host name senders use for this address"
				if x := e.exchange(r.Host); x != nil {
					name = e.nameOf(x) + ", the name MC106 suggests for this MX"
				}
				e.add(report.CodeCertNotVerified, ip, fmt.Sprintf("Install a certificate from a public CA (e.g. via ACME), with its chain, for %s.", name),
					"The certificate of %s does not verify%s; names: %s.", where, why, orNone(t.CertNames))
			}
		}
		if naErr == nil && !e.p.Now.IsZero() {
			left := na.Sub(e.p.Now)
			switch {
			case left <= 0:
				e.add(report.CodeCertExpired, ip, "", "The certificate of %s expired on %s.", where, na.UTC().Format("2006-01-02"))
			case left < e.p.CertWarn:
				e.add(report.CodeCertExpiresSoon, ip, "", "The certificate of %s expires on %s, in %d day(s).", where, na.UTC().Format("2006-01-02"), int(math.Ceil(left.Hours()/24)))
			}
		}
		// An address has no MX name to compare with; MC311 compares the
		// EHLO name with the PTR instead.
		if named && e.f.Target == TargetMailDomain && r.EHLOName != "" && !strings.EqualFold(r.EHLOName, r.Host) && !t.Verified && !nameIn(r.Host, t.CertNames) {
			e.add(report.CodeEHLONotMXName, ip, fmt.Sprintf("Postfix: `myhostname = %s`, and a certificate naming %s.", r.Host, r.Host),
				"%s calls itself %s, not %s, and its certificate does not name %s.", where, r.EHLOName, r.Host, r.Host)
		}
	}
}

// oldTLS reports a TLS version (as smtpprobe writes it) older than 1.2.
func oldTLS(version string) bool {
	switch version {
	case "TLS1.0", "TLS1.1", "SSLv3":
		return true
	}
	return false
}

// quoteLines quotes up to n lines, "..." standing for the rest.
func quoteLines(lines []string, n int) string {
	var q []string
	for i, l := range lines {
		if i == n {
			q = append(q, "...")
			break
		}
		if len(l) > 80 {
			l = l[:77] + "..."
		}
		q = append(q, fmt.Sprintf("%q", l))
	}
	return strings.Join(q, ", ")
}

func (e *evaluator) listenFix(r smtpprobe.Result) string {
	// What publishes the address: the host's A/AAAA record, or for an
	// IP-literal MX target the MX record; nothing for a probed address.
	rr := "A"
	if r.Family == addr.IPv6 {
		rr = "AAAA"
	}
	remove := fmt.Sprintf(", or remove `%s. IN %s %s`", r.Host, rr, r.IP)
	if isAddress(r.Host) {
		remove = ""
		if x := e.exchange(r.Host); x != nil {
			remove = fmt.Sprintf(", or remove `%s. IN MX %d %s.`", e.f.Discovery.Domain, x.Preference, x.Host)
		}
	}
	if r.Family == addr.IPv6 {
		return fmt.Sprintf("Make the MTA listen on [%s]:%d (Postfix `inet_protocols = all`, `inet_interfaces = all`) and allow TCP port %d in ip6tables/nftables%s.", r.IP, r.Port, r.Port, remove)
	}
	return fmt.Sprintf("Make the MTA listen on %s:%d (Postfix `inet_interfaces = all`) and allow TCP port %d in the firewall%s.", r.IP, r.Port, r.Port, remove)
}

func nameIn(name string, names []string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	for _, m := range names {
		m = strings.ToLower(strings.TrimSuffix(m, "."))
		if m == n || (strings.HasPrefix(m, "*.") && strings.HasSuffix(n, m[1:]) && !strings.Contains(n[:len(n)-len(m)+1], ".")) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " / ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// hostFamilies gathers, per MX host, the conclusive probes of each family.
type hostFamilies struct {
	host   string
	v4, v6 []smtpprobe.Result
}

func (e *evaluator) parity(probes []smtpprobe.Result) {
	dom := e.f.Discovery.Domain
	byHost := map[string]*hostFamilies{}
	var order []string
	any6, ok6 := false, false
	// Each address is probed once, under the first MX host that has it;
	// the comparison is per MX host, so with a discovery the probes are
	// grouped by the hosts that publish their addresses.
	add := func(host string, r smtpprobe.Result) {
		h := byHost[host]
		if h == nil {
			h = &hostFamilies{host: host}
			byHost[host] = h
			order = append(order, host)
		}
		if r.Family == addr.IPv6 {
			h.v6 = append(h.v6, r)
		} else {
			h.v4 = append(h.v4, r)
		}
	}
	byIP := map[netip.Addr]smtpprobe.Result{}
	for _, r := range probes {
		if !e.conclusive(r) {
			continue
		}
		byIP[r.IP] = r
		if r.Family == addr.IPv6 {
			any6 = true
			if !failed(r) {
				ok6 = true
			}
		}
		if len(e.f.Discovery.MX) == 0 {
			add(r.Host, r)
		}
	}
	for _, x := range e.f.Discovery.MX {
		if byHost[x.Host] != nil {
			continue // the same host twice in the MX set
		}
		for _, a := range x.Addresses {
			if r, ok := byIP[a.IP]; ok {
				add(x.Host, r)
			}
		}
	}
	sort.Strings(order)
	for _, host := range order {
		h := byHost[host]
		if len(h.v4) == 0 || len(h.v6) == 0 {
			continue
		}
		w4, w6 := working(h.v4), working(h.v6)
		switch {
		case len(w4) > 0 && len(w6) == 0:
			e.add(report.CodeIPv6DownIPv4Up, host, e.listenFix(h.v6[0]),
				"%s accepts SMTP over IPv4 (%s) but not over IPv6 (%s): %s.", host, ips(w4), statuses(h.v6), failoverCost(h.v6, "IPv6", "IPv4"))
		case len(w6) > 0 && len(w4) == 0:
			e.add(report.CodeIPv4DownIPv6Up, host, e.listenFix(h.v4[0]),
				"%s accepts SMTP over IPv6 (%s) but not over IPv4 (%s): IPv4-only senders cannot use it, and %s.", host, ips(w6), statuses(h.v4), failoverCost(h.v4, "IPv4", "IPv6"))
		}
		if len(w4) == 0 || len(w6) == 0 {
			continue
		}
		n4, n6 := ehloNames(w4), ehloNames(w6)
		if n4 != "" && n6 != "" && !strings.EqualFold(n4, n6) {
			e.add(report.CodeEHLODiffers, host, fmt.Sprintf("Set the same name on both listeners (Postfix `myhostname = %s`), or make both addresses reach the same server.", host),
				"%s answers EHLO as %s over IPv4 and as %s over IPv6.", host, n4, n6)
		} else if b4, b6 := bannerKey(w4[0].Banner), bannerKey(w6[0].Banner); b4 != b6 {
			e.add(report.CodeBannerDiffers, host, "", "%s greets differently over IPv4 (%q) and IPv6 (%q).", host, oneLine(w4[0].Banner), oneLine(w6[0].Banner))
		}
		if !e.f.StartTLSAttempted {
			continue
		}
		t4, t6 := offersTLS(w4), offersTLS(w6)
		if t4 != t6 {
			with, without := "IPv4", "IPv6"
			if t6 {
				with, without = without, with
			}
			e.add(report.CodeSTARTTLSOneFamily, host, fmt.Sprintf("Enable TLS on the %s listener of %s (Postfix `smtpd_tls_security_level = may` with a certificate).", without, host),
				"%s offers STARTTLS over %s but not over %s.", host, with, without)
		}
		if c4, c6 := certKey(w4), certKey(w6); c4 != "" && c6 != "" && c4 != c6 {
			e.add(report.CodeCertDiffers, host, "", "%s presents a certificate for %s over IPv4 and for %s over IPv6.", host, c4, c6)
		}
	}
	// A single address has no family comparison: MC301 and MC305 say it.
	if any6 && !ok6 && e.f.Target != TargetAddress {
		if e.f.Target == TargetHost {
			e.add(report.CodeIPv6OnlyUnreachable, dom, fmt.Sprintf("Make the MTA on %s listen on its IPv6 addresses (Postfix `inet_protocols = all`), or remove its AAAA records until it does.", dom),
				"%s has IPv6 addresses but none of them accepts SMTP: IPv6-only senders cannot reach it.", dom)
		} else {
			e.add(report.CodeIPv6OnlyUnreachable, dom, "", "%s publishes IPv6 MX addresses but none of them accepts SMTP: IPv6-only senders cannot deliver.", dom)
		}
	}
	if e.p.Expect.IPv6 && any6 && !ok6 {
		e.add(report.CodeExpectedIPv6, dom, e.aaaaFix(), "IPv6 was expected, and no MX address of %s accepted SMTP over IPv6.", dom)
	}
}

// failoverCost says what a failing family costs a sender that tries it
// first: a dropped connection holds it for the connect timeout (Postfix
// smtp_connect_timeout, 30 s), a refusal or an unreachable network only
// uses up one of its attempts (smtp_mx_address_limit, research §1.6).
func failoverCost(failing []smtpprobe.Result, fam, other string) string {
	for _, r := range failing {
		if r.Status == smtpprobe.StatusTimeout && (r.Phase == "" || r.Phase == smtpprobe.PhaseConnect) {
			return fmt.Sprintf("senders that try %s first lose a connect timeout (Postfix smtp_connect_timeout, 30 s) on every message before they fall back to %s", fam, other)
		}
	}
	for _, r := range failing {
		if r.Status == smtpprobe.StatusTimeout {
			return fmt.Sprintf("senders that try %s first wait for a reply until their own timeout (Postfix smtp_helo_timeout, 300 s) before they fall back to %s", fam, other)
		}
	}
	return fmt.Sprintf("senders that try %s first fail at once and fall back to %s, but each failure uses up one of their attempts (Postfix smtp_mx_address_limit)", fam, other)
}

func working(rs []smtpprobe.Result) []smtpprobe.Result {
	var out []smtpprobe.Result
	for _, r := range rs {
		if r.Status == smtpprobe.StatusOK || r.Status == smtpprobe.StatusTLSFailed {
			out = append(out, r)
		}
	}
	return out
}

func ips(rs []smtpprobe.Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.IP.String())
	}
	return strings.Join(s, ", ")
}

func statuses(rs []smtpprobe.Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.IP.String()+" "+string(r.Status))
	}
	return strings.Join(s, ", ")
}

func ehloNames(rs []smtpprobe.Result) string {
	for _, r := range rs {
		if r.EHLOName != "" {
			return strings.ToLower(r.EHLOName)
		}
	}
	return ""
}

// bannerKey normalises a greeting for comparison across families: digits
// (timestamps, queue ids) and spacing differ between any two sessions.
func bannerKey(b string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, b)), " ")
}

func offersTLS(rs []smtpprobe.Result) bool {
	for _, r := range rs {
		if r.StartTLS {
			return true
		}
	}
	return false
}

func certKey(rs []smtpprobe.Result) string {
	for _, r := range rs {
		if r.TLS != nil && len(r.TLS.CertNames) > 0 {
			n := append([]string(nil), r.TLS.CertNames...)
			sort.Strings(n)
			return strings.Join(n, ",")
		}
	}
	return ""
}

func (e *evaluator) simulation() {
	s := e.f.Sim
	dom := e.f.Discovery.Domain
	if s.MTA == "" {
		s.MTA = "Postfix"
	}
	fails := s.Failing
	if fails == nil {
		fails = map[netip.Addr]bool{}
		if e.f.Probed {
			for _, r := range e.f.Probes {
				if e.conclusive(r) && failed(r) {
					fails[r.IP] = true
				}
			}
		}
	}
	pFail := 0.0
	var failing []string
	for ip, p := range s.PFirst {
		if fails[ip] && p > 0 {
			pFail += p
			failing = append(failing, ip.String())
		}
	}
	sort.Strings(failing)
	if pFail > 0 {
		cost := ""
		if s.ExpectedDelay > 0 {
			cost = fmt.Sprintf("; on average %s is lost per message before a working address", roundDur(s.ExpectedDelay))
		} else if s.ConnectTimeout > 0 {
			// The replay ran and lost no time: the failures are
			// immediate (refused, unreachable), they cost an attempt.
			cost = "; over what the probes saw, the failure is immediate, but it uses up one of the sender's attempts"
			if s.AddressLimit > 0 {
				cost += fmt.Sprintf(" (smtp_mx_address_limit=%d)", s.AddressLimit)
			}
		}
		e.add(report.CodeFirstAttemptFails, dom, fmt.Sprintf("Fix or remove %s (see the MC3xx/MC4xx findings for it).", strings.Join(failing, ", ")),
			"%s sends its first attempt to a failing address (%s) with probability %s%s.", s.MTA, strings.Join(failing, ", "), pct(pFail), cost)
	}
	// Deferrals that TLS policy explains, every one, are MC721's alone.
	if s.PDefer > 0 && (s.TLS == nil || s.TLS.PDeferred < s.PDefer) {
		e.add(report.CodeDeliveryDefers, dom, "", "%s defers delivery to %s with probability %s: every address it tries within smtp_mx_address_limit=%d fails although a working one exists.", s.MTA, dom, pct(s.PDefer), s.AddressLimit)
	}
	has4, has6 := false, false
	for ip := range s.PFirst {
		if addr.Family(ip) == addr.IPv4 {
			has4 = true
		} else {
			has6 = true
		}
	}
	if has4 && has6 {
		e.add(report.CodeFirstIPv6Share, dom, "", "%s tries IPv6 first for %s of messages to %s.", s.MTA, pct(s.PFirstIPv6), dom)
	}
	e.tlsReplay(s, dom)
	if len(s.NeverTried) > 0 {
		var n []string
		for _, a := range s.NeverTried {
			n = append(n, a.String())
		}
		e.add(report.CodeAddressLimitCuts, dom, "", "%s never tries %s: they are beyond smtp_mx_address_limit=%d.", s.MTA, strings.Join(n, ", "), s.AddressLimit)
	}
}

// tlsReplay reports, per family, the messages that the simulated TLS
// security level defers (MC721) or delivers only at a later attempt
// (MC722) because it refused that family's addresses.
func (e *evaluator) tlsReplay(s *SimFacts, dom string) {
	if s.TLS == nil {
		return
	}
	for _, fam := range []string{addr.IPv4, addr.IPv6} {
		share, refused := s.TLS.ByFamily[fam], strings.Join(s.TLSRefused[fam], ", ")
		if refused == "" {
			continue
		}
		if share.PDeferred > 0 {
			e.add(report.CodeTLSPolicyDefers, dom, "", "At smtp_tls_security_level = %s, %s defers %s of messages to %s after refusing its %s address %s.", s.TLS.Level, s.MTA, pct(share.PDeferred), dom, addr.Label(fam), refused)
		}
		if share.PDelayed > 0 {
			e.add(report.CodeTLSPolicyDelays, dom, "", "At smtp_tls_security_level = %s, %s delivers %s of messages to %s only at a later attempt after refusing its %s address %s.", s.TLS.Level, s.MTA, pct(share.PDelayed), dom, addr.Label(fam), refused)
		}
	}
}

func pct(p float64) string {
	v := p * 100
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

func roundDur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
