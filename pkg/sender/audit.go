package sender

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Options say what to audit. The zero value audits nothing; the CLI fills it
// from flags.
type Options struct {
	// IPs are the sending addresses to audit (--ip). When empty the
	// addresses are found from MainCF and Routes.
	IPs []netip.Addr
	// Origin is recorded for IPs (OriginFlag by default, OriginBounce for
	// explain).
	Origin string
	// Domain is the envelope/From domain whose SPF and DMARC are checked.
	Domain string
	// HELO is the name announced in HELO/EHLO (--helo); when empty,
	// MainCF's smtp_helo_name, else Hostname when auditing this host.
	HELO     string
	MainCF   *MainCF
	Hostname string
	Want4    bool
	Want6    bool
	// Routes finds this host's source addresses; nil disables discovery.
	Routes RouteFinder
	// LocalAddrs are this host's addresses: when the address the kernel
	// picks has no working reverse DNS and another local address of the
	// family does, the fix is smtp_bind_address6 (or smtp_bind_address).
	LocalAddrs []netip.Addr
	// DNSBL enables blocklist lookups in DNSBLZones (opt-in: it asks third
	// parties about the address).
	DNSBL      bool
	DNSBLZones []string
}

// Wants reports whether ip is of a family this run checks (-4/-6): an
// IPv4-mapped IPv6 address counts as IPv4.
func (o Options) Wants(ip netip.Addr) bool {
	if addr.Family(ip.Unmap()) == addr.IPv4 { // the family the socket uses
		return o.Want4
	}
	return o.Want6
}

// DefaultDNSBLZones are asked when --dnsbl is given without zones.
// Spamhaus ZEN covers IPv4 and IPv6 (CSS lists IPv6 per /64).
var DefaultDNSBLZones = []string{"zen.spamhaus.org"}

// maxLocalCandidates bounds the other local addresses tried for
// smtp_bind_address6 advice.
const maxLocalCandidates = 8

// Audit runs the sending-side checks. It never fails: lookups that fail
// are recorded in the report (and make Undetermined true when nothing could
// be determined at all).
func Audit(ctx context.Context, r dnsq.Resolver, o Options) *Report {
	rep := &Report{SchemaVersion: report.SchemaVersion, Domain: strings.ToLower(strings.TrimSuffix(o.Domain, "."))}
	if o.MainCF != nil {
		m := o.MainCF
		rep.Postfix = &Postfix{File: m.File, InetProtocols: m.InetProtocols, SMTPBindAddress: m.SMTPBindAddress,
			SMTPBindAddress6: m.SMTPBindAddress6, HELOName: m.HELOName, SMTPAddressPreference: m.SMTPAddressPreference}
	}
	var findings []report.Finding
	add := func(f report.Finding) { findings = append(findings, f) }

	// 1. Sending addresses.
	type cand struct {
		ip     netip.Addr
		origin string
	}
	var cands []cand
	if len(o.IPs) > 0 {
		origin := o.Origin
		if origin == "" {
			origin = OriginFlag
		}
		for _, ip := range o.IPs {
			if !o.Wants(ip) {
				rep.Excluded = append(rep.Excluded, ip)
				continue
			}
			cands = append(cands, cand{ip, origin})
		}
	} else {
		for _, fam := range []struct {
			name string
			want bool
			dst  netip.Addr
			bind func(*MainCF) string
			set  string
		}{
			{"IPv4", o.Want4, InternetIPv4, func(m *MainCF) string { return m.SMTPBindAddress }, "smtp_bind_address"},
			{"IPv6", o.Want6, InternetIPv6, func(m *MainCF) string { return m.SMTPBindAddress6 }, "smtp_bind_address6"},
		} {
			if !fam.want {
				continue
			}
			if o.MainCF != nil {
				v4, v6 := o.MainCF.families()
				if fam.name == "IPv4" && !v4 || fam.name == "IPv6" && !v6 {
					add(report.Newf(report.CodeSenderFamilyDisabled, o.MainCF.File, "",
						"inet_protocols = %s: Postfix does not send over %s.", o.MainCF.InetProtocols, fam.name))
					continue
				}
				if b := strings.TrimSpace(fam.bind(o.MainCF)); b != "" {
					ip, err := addr.ParseLiteralZone(b)
					if err == nil {
						cands = append(cands, cand{ip.WithZone(""), OriginMainCF})
						continue
					}
					add(report.Newf(report.CodeSenderUnusable, b, "Set "+fam.set+" to an address of this host.",
						"%s = %s is not an IP address.", fam.set, b))
					continue
				}
			}
			if o.Routes == nil {
				continue
			}
			ip, err := o.Routes.Source(ctx, fam.dst)
			if err != nil {
				add(report.Newf(report.CodeSenderNoRoute, fam.name, "",
					"This host has no %s route (%v): it cannot send mail over %s.", fam.name, err, fam.name))
				continue
			}
			cands = append(cands, cand{ip, OriginRoute})
		}
	}

	// 2. The HELO name.
	helo, heloOrigin := o.HELO, "--helo"
	if helo == "" && o.MainCF != nil && o.MainCF.HELOName != "" {
		helo, heloOrigin = o.MainCF.HELOName, "main.cf smtp_helo_name"
	}
	if helo == "" && len(o.IPs) == 0 && strings.Contains(o.Hostname, ".") {
		helo, heloOrigin = o.Hostname, "hostname (Postfix's default $myhostname)"
	}
	helo = strings.ToLower(strings.TrimSuffix(helo, "."))

	// 3. DMARC, once.
	if rep.Domain != "" {
		rep.DMARC = checkDMARC(ctx, r, rep.Domain)
		findings = append(findings, dmarcFindings(rep.Domain, rep.DMARC)...)
	}

	// 4. Every address, concurrently; results by index.
	rep.Senders = make([]Sender, len(cands))
	perSender := make([][]report.Finding, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Senders[i], perSender[i] = auditOne(ctx, r, o, c.ip, c.origin, helo, heloOrigin, rep)
		}()
	}
	wg.Wait()
	for _, fs := range perSender {
		findings = append(findings, fs...)
	}
	report.SortFindings(findings)
	rep.Findings = findings
	if rep.Findings == nil {
		rep.Findings = []report.Finding{}
	}
	rep.Undetermined = undetermined(rep)
	return rep
}

// undetermined is true when no sending address could be found, when every
// address is behind a NAT (receivers judge another address, which mailcheck
// cannot see), or when every DNS answer the audit depended on failed
// temporarily (the resolver is unreachable): a verdict would be a guess.
func undetermined(rep *Report) bool {
	for _, s := range rep.Senders {
		switch {
		case s.Skipped != "":
			if !behindNAT(s.SourceKind) {
				return false // loopback and the like: a definite bad result
			}
		case !s.PTRStatus.Temporary():
			return false
		case s.SPF != nil && s.SPF.Result != "temperror":
			return false
		}
	}
	return true
}

// kindPhrase names an address kind in a sentence.
func kindPhrase(kind string) string {
	switch kind {
	case KindPrivate:
		return "a private (RFC 1918) address"
	case KindShared:
		return "a shared (RFC 6598, carrier-grade NAT) address"
	case KindULA:
		return "a unique local IPv6 address (RFC 4193)"
	case KindLoopback:
		return "a loopback address"
	case KindLinkLocal:
		return "a link-local address"
	case KindUnspecified:
		return "the unspecified address"
	case KindMulticast:
		return "a multicast address"
	case KindIPv4Mapped:
		return "an IPv4-mapped IPv6 address"
	}
	return "a reserved address"
}

func behindNAT(kind string) bool {
	return kind == KindPrivate || kind == KindShared || kind == KindULA
}

func auditOne(ctx context.Context, r dnsq.Resolver, o Options, ip netip.Addr, origin, helo, heloOrigin string, rep *Report) (Sender, []report.Finding) {
	// Family is the family the connection uses: a Linux socket bound to
	// ::ffff:192.0.2.1 sends IPv4, and receivers see an IPv4 client.
	s := Sender{IP: ip, Family: addr.Family(ip.Unmap()), Origin: origin, SourceKind: string(addr.Classify(ip)), PTR: []string{}}
	subject := ip.String()
	var fs []report.Finding
	add := func(f report.Finding) { fs = append(fs, f) }

	switch {
	case behindNAT(s.SourceKind):
		s.Skipped = kindPhrase(s.SourceKind) + ": receivers see the public address it is translated to"
		add(report.Newf(report.CodeSenderBehindNAT, subject,
			"Rerun with the public address receivers see: `mailcheck sender --ip PUBLIC-ADDRESS` (e.g. from the \"client=\" or \"[address]\" in a receiver's bounce).",
			"%s is %s; %s. Receivers judge the public address it is translated to, which mailcheck cannot see from here.",
			ip, kindPhrase(s.SourceKind), natHint(ip, s.SourceKind)))
	case s.SourceKind != KindPublic && s.SourceKind != KindDocumentation:
		s.Skipped = kindPhrase(s.SourceKind) + " cannot send to the Internet"
		add(report.Newf(report.CodeSenderUnusable, subject, "",
			"%s is %s: no connection to another network can come from it.", ip, kindPhrase(s.SourceKind)))
	case s.SourceKind == KindDocumentation:
		fix := "Check the address you passed with --ip or set in main.cf."
		if origin == OriginRoute {
			fix = "This host's own source address is a documentation address: it sits in a lab or test network; check from the real sending host or pass its address with --ip."
		}
		add(report.Newf(report.CodeSenderDocumentation, subject, fix,
			"%s is in a documentation range (RFC 5737 / RFC 3849).", ip))
	}
	if s.Skipped != "" {
		s.FCrDNS = ""
		s.PTRStatus = dnsq.StatusSkipped
		s.Receivers = judge(&s, rep.Domain)
		return s, fs
	}

	// Reverse DNS.
	iv := iprev.Check(ctx, r, ip)
	s.PTRStatus, s.FCrDNS = iv.PTRStatus, iv.Status
	for _, n := range iv.PTR {
		s.PTR = append(s.PTR, dnsq.Bare(n))
	}
	for _, n := range iv.Confirmed {
		s.Confirmed = append(s.Confirmed, dnsq.Bare(n))
	}
	for _, n := range iv.PTR {
		if g, why := iprev.Generic(n, ip); g {
			s.GenericRDNS, s.GenericReason = true, dnsq.Bare(n)+": "+why
			break
		}
	}
	hostName := suggestedName(helo, rep.Domain, s.Confirmed)
	fwd := "A"
	if s.Family == addr.IPv6 {
		fwd = "AAAA"
	}
	rev := addr.ReverseName(ip)
	stopGap := ""
	if s.Family == addr.IPv6 {
		stopGap = " Until it is in place: `postconf -e 'smtp_address_preference = ipv4'` makes Postfix try IPv4 first " +
			"for dual-stack destinations (IPv6 then used only when IPv4 fails; IPv6-only destinations still get IPv6)."
	}
	bind := ""
	if s.FCrDNS != iprev.StatusPass && origin == OriginRoute {
		bind = betterLocal(ctx, r, ip, o.LocalAddrs)
	}
	switch s.FCrDNS {
	case iprev.StatusNone, iprev.StatusPermError:
		msg := fmt.Sprintf("%s has no PTR record (%s).", ip, iv.PTRStatus)
		if s.FCrDNS == iprev.StatusPermError {
			msg = fmt.Sprintf("The PTR record of %s holds no valid host name (%s).", ip, strings.Join(s.PTR, ", "))
		}
		fix := fmt.Sprintf("Ask the owner of %s (your hosting or access provider) for `%s PTR %s.` and publish `%s. %s %s`.",
			ip, rev, hostName, hostName, fwd, ip)
		if bind != "" {
			fix = bind + " Or: " + fix
		}
		add(report.New(report.CodeSenderNoPTR, subject, msg, fix+stopGap))
	case iprev.StatusFail:
		fix := fmt.Sprintf("Publish `%s. %s %s`, or have the PTR of %s changed to a name that has it (e.g. `%s PTR %s.` with `%s. %s %s`).",
			s.PTR[0], fwd, ip, ip, rev, hostName, hostName, fwd, ip)
		if bind != "" {
			fix = bind + " Or: " + fix
		}
		add(report.Newf(report.CodeSenderPTRNotConfirmed, subject, fix+stopGap,
			"The PTR of %s names %s, but no %s record of %s holds %s.", ip, strings.Join(s.PTR, ", "), fwd,
			plural(len(s.PTR), "that name", "those names"), ip))
	case iprev.StatusTempError:
		e := ""
		if iv.Err != nil {
			e = ": " + iv.Err.Error()
		}
		add(report.Newf(report.CodeSenderPTRTempError, subject, "", "The reverse DNS of %s could not be checked%s.", ip, e))
	}
	if s.GenericRDNS {
		add(report.Newf(report.CodeSenderPTRGeneric, subject,
			fmt.Sprintf("Ask the provider to change it to a name for your mail server: `%s PTR %s.` (with `%s. %s %s`).", rev, hostName, hostName, fwd, ip),
			"The PTR name of %s looks generic (%s).", ip, s.GenericReason))
	}

	// HELO.
	if helo != "" {
		s.HELO = checkHELO(ctx, r, ip, helo, heloOrigin, s.Confirmed)
		fs = append(fs, heloFindings(s.HELO, ip, fwd, s.Confirmed)...)
	}

	// SPF and DMARC.
	if rep.Domain != "" {
		s.SPF = checkSPF(ctx, r, ip, rep.Domain, helo)
		if f, ok := spfFinding(s.SPF, ip, rep.Domain); ok {
			add(f)
		}
		s.DMARC = rep.DMARC
	}

	// Blocklists.
	if o.DNSBL {
		zones := o.DNSBLZones
		if len(zones) == 0 {
			zones = DefaultDNSBLZones
		}
		for _, z := range zones {
			l := checkDNSBL(ctx, r, ip, z)
			s.DNSBL = append(s.DNSBL, l)
			switch l.Status {
			case "listed":
				what := ip.String()
				if l.Network != "" {
					what = fmt.Sprintf("%s (its /64 %s: the listing covers every address in it)", ip, l.Network)
				}
				add(report.Newf(report.CodeDNSBLListed, subject, "",
					"%s is listed on %s (%s).", what, z, strings.Join(l.Codes, ", ")))
			case "refused", "error":
				add(report.Newf(report.CodeDNSBLUnusable, subject, "",
					"%s gave no verdict for %s (%s).", z, ip, strings.Join(append([]string{l.Status}, l.Codes...), " ")))
			}
		}
	}
	s.Receivers = judge(&s, rep.Domain)
	return s, fs
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// suggestedName is the host name to put in a PTR fix: a confirmed PTR name,
// the HELO name, mail.DOMAIN, or a placeholder.
func suggestedName(helo, domain string, confirmed []string) string {
	switch {
	case len(confirmed) > 0:
		return confirmed[0]
	case strings.Contains(helo, ".") && iprev.ValidHostname(helo) && !localName(helo):
		return helo
	case domain != "":
		return "mail." + domain
	}
	return "mail.example.com"
}

// localName reports names that only mean something inside one network
// (RFC 6761 localhost, RFC 6762 .local, the common .localdomain/.internal,
// .lan and .home.arpa of RFC 8375): never a PTR target to ask a provider for.
func localName(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, suf := range []string{"localhost", "localdomain", "local", "internal", "lan", "home.arpa"} {
		if name == suf || strings.HasSuffix(name, "."+suf) {
			return true
		}
	}
	return false
}

// betterLocal looks for another address of this host, in ip's family, whose
// reverse DNS forward-confirms, and returns the smtp_bind_address(6) advice
// (research: the wrong IPv6 source address without PTR is a classic cause
// of Gmail's 550-5.7.1).
func betterLocal(ctx context.Context, r dnsq.Resolver, ip netip.Addr, local []netip.Addr) string {
	tried := 0
	for _, a := range local {
		a = a.WithZone("")
		// Families as the sockets use them (a mapped address sends IPv4).
		fam, class := addr.Family(a.Unmap()), addr.Classify(a)
		if a == ip || fam != addr.Family(ip.Unmap()) || class != addr.Public && class != addr.Documentation {
			continue
		}
		if tried++; tried > maxLocalCandidates {
			break
		}
		if iv := iprev.Check(ctx, r, a); iv.Status == iprev.StatusPass {
			param := "smtp_bind_address"
			if fam == addr.IPv6 {
				param = "smtp_bind_address6"
			}
			return fmt.Sprintf("This host's %s has working reverse DNS (%s): `postconf -e '%s = %s'` makes Postfix send from it.",
				a, dnsq.Bare(iv.Confirmed[0]), param, a)
		}
	}
	return ""
}

func checkHELO(ctx context.Context, r dnsq.Resolver, ip netip.Addr, name, origin string, confirmed []string) *HELO {
	h := &HELO{Name: name, Origin: origin, FQDN: strings.Contains(name, ".") && iprev.ValidHostname(name)}
	for _, c := range confirmed {
		if strings.EqualFold(c, name) {
			h.PTRMatch = true
		}
	}
	if !h.FQDN {
		h.Status = dnsq.StatusSkipped
		return h
	}
	var same, other dnsq.AddrResult
	if addr.Family(ip.Unmap()) == addr.IPv6 { // a mapped address connects over IPv4
		same, other = r.LookupAAAA(ctx, dnsq.Fqdn(name)), r.LookupA(ctx, dnsq.Fqdn(name))
	} else {
		same, other = r.LookupA(ctx, dnsq.Fqdn(name)), r.LookupAAAA(ctx, dnsq.Fqdn(name))
	}
	h.Status = same.Status
	h.Resolves = len(same.Addrs)+len(other.Addrs) > 0
	for _, a := range same.Addrs {
		if a.Unmap() == ip.Unmap() {
			h.Matches = true
		}
	}
	return h
}

func heloFindings(h *HELO, ip netip.Addr, fwd string, confirmed []string) []report.Finding {
	subject := h.Name
	better := ""
	if len(confirmed) > 0 {
		better = fmt.Sprintf(" or `postconf -e 'smtp_helo_name = %s'` (the confirmed PTR name)", confirmed[0])
	}
	switch {
	case !h.FQDN:
		name := "mail.example.com"
		if len(confirmed) > 0 {
			name = confirmed[0]
		}
		return []report.Finding{report.Newf(report.CodeHELONotFQDN, subject,
			fmt.Sprintf("`postconf -e 'smtp_helo_name = %s'`.", name),
			"The HELO name %q (%s) is not a fully qualified domain name.", h.Name, h.Origin)}
	case h.Status.Temporary():
		return nil // not determined; the DNS failure shows elsewhere
	case !h.Resolves:
		return []report.Finding{report.Newf(report.CodeHELONotResolving, subject,
			fmt.Sprintf("Publish `%s. %s %s`%s.", h.Name, fwd, ip, better),
			"The HELO name %s (%s) has no A or AAAA record.", h.Name, h.Origin)}
	case !h.Matches:
		return []report.Finding{report.Newf(report.CodeHELONotMatching, subject,
			fmt.Sprintf("Publish `%s. %s %s`%s.", h.Name, fwd, ip, better),
			"The HELO name %s (%s) has no %s record holding %s.", h.Name, h.Origin, fwd, ip)}
	case len(confirmed) > 0 && !h.PTRMatch:
		return []report.Finding{report.Newf(report.CodeHELONotPTR, subject,
			fmt.Sprintf("`postconf -e 'smtp_helo_name = %s'`, or point the PTR of %s at %s.", confirmed[0], ip, h.Name),
			"The HELO name %s differs from the PTR name %s of %s.", h.Name, confirmed[0], ip)}
	}
	return nil
}

func spfFinding(s *SPF, ip netip.Addr, domain string) (report.Finding, bool) {
	subject := ip.String()
	change := fmt.Sprintf("Publish `%s. TXT \"%s\"`.", domain, s.Suggested)
	decided := ""
	if s.Mechanism != "" {
		decided = fmt.Sprintf(" (decided by `%s`)", s.Mechanism)
	}
	switch s.Result {
	case "fail":
		return report.Newf(report.CodeSPFFail, subject, change, "SPF of %s fails for %s%s.", domain, ip, decided), true
	case "softfail":
		return report.Newf(report.CodeSPFSoftFail, subject, change, "SPF of %s soft-fails for %s%s.", domain, ip, decided), true
	case "neutral":
		return report.Newf(report.CodeSPFNeutral, subject, change, "SPF of %s is neutral for %s%s.", domain, ip, decided), true
	case "none":
		return report.Newf(report.CodeSPFNone, domain, change, "%s publishes no SPF record.", domain), true
	case "permerror":
		return report.Newf(report.CodeSPFPermError, domain, "",
			"The SPF record of %s cannot be evaluated%s: %s.", domain, decided, orUnknown(s.Error)), true
	case "temperror":
		return report.Newf(report.CodeSPFTempError, domain, "",
			"SPF of %s could not be evaluated for %s: %s.", domain, ip, orUnknown(s.Error)), true
	}
	return report.Finding{}, false
}

func orUnknown(s string) string {
	if s == "" {
		return "no detail"
	}
	return s
}

func dmarcFindings(domain string, d *DMARC) []report.Finding {
	rec := fmt.Sprintf("`_dmarc.%s. TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\"`", domain, domain)
	switch d.Status {
	case "none":
		return []report.Finding{report.Newf(report.CodeDMARCMissing, domain, "Publish "+rec+".",
			"%s publishes no DMARC record (nor does its organisational domain).", domain)}
	case "invalid":
		return []report.Finding{report.Newf(report.CodeDMARCInvalid, domain, "Publish exactly one record: "+rec+".",
			"The DMARC record at _dmarc.%s is invalid: %s.", d.Domain, d.Error)}
	case "ok":
		if d.Policy == "none" {
			return []report.Finding{report.Newf(report.CodeDMARCNone, domain, "",
				"The DMARC policy of %s is p=none (found at _dmarc.%s).", domain, d.Domain)}
		}
	}
	return nil
}

// checkDNSBL asks one DNS blocklist about ip (RFC 5782 §2: the reversed
// octets or nibbles under the zone, an A query).
func checkDNSBL(ctx context.Context, r dnsq.Resolver, ip netip.Addr, zone string) Listing {
	// A mapped address connects over IPv4: the list holds the IPv4 address.
	ip = ip.Unmap()
	q := addr.ReverseUnder(ip, dnsq.Fqdn(zone))
	l := Listing{Zone: zone, Query: dnsq.Bare(q)}
	if addr.Family(ip) == addr.IPv6 {
		// Spamhaus lists IPv6 per /64 (CSS FAQ); the query is for the
		// address, the listing is for its /64.
		l.Network = netip.PrefixFrom(ip, 64).Masked().String()
	}
	res := r.LookupA(ctx, q)
	switch res.Status {
	case dnsq.StatusNXDomain, dnsq.StatusNoData:
		l.Status = "not_listed"
		l.Network = ""
		return l
	case dnsq.StatusOK:
	default:
		l.Status = "error"
		l.Codes = []string{string(res.Status)}
		l.Network = ""
		return l
	}
	refused := false
	for _, a := range res.Addrs {
		l.Codes = append(l.Codes, a.String())
		// RFC 5782 §2.1: answers are 127.0.0.2 and up. Spamhaus uses
		// 127.255.255.0/24 for errors (252 typo, 254 public resolver,
		// 255 excessive queries): not listings.
		if b := a.As4(); a.Is4() && b[0] == 127 && b[1] == 255 && b[2] == 255 {
			refused = true
		}
	}
	if refused {
		l.Status = "refused"
		l.Network = ""
		return l
	}
	l.Status, l.Listed = "listed", true
	return l
}
