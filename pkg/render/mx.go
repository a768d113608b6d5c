package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/iprev"
)

// MXText writes the mx report for people: a headline, what the MX answer
// means (null MX, implicit MX, no such domain, failure), one table row per
// address or failed address lookup, notes on irregular records with what
// Postfix and Exim do about them, then the findings.
func MXText(w io.Writer, st *Styles, doc document.MX) error {
	p := NewPrinter(w)
	r := doc.Result
	domain := Sanitize(r.Domain)

	title := st.Paint(ToneBold, domain)
	if r.DomainUnicode != "" && r.DomainUnicode != r.Domain {
		title += " (" + Sanitize(r.DomainUnicode) + ")"
	}
	p.Line(title, "  ", st.Paint(ToneDim, mxSummary(r)))
	if len(r.MXCNAME) > 0 {
		p.Line(st.Paint(ToneDim, fmt.Sprintf("%s is an alias (CNAME) for %s; its MX records apply (RFC 5321 §5.1).",
			domain, Sanitize(r.MXCNAME[len(r.MXCNAME)-1]))))
	}

	switch {
	case r.NullMX:
		p.Line(st.Paint(ToneInfo, fmt.Sprintf("%s publishes a null MX (RFC 7505): it accepts no mail, and senders bounce at once.", domain)))
	case r.MXStatus == dnsq.StatusNXDomain:
		p.Line(st.Paint(ToneBad, fmt.Sprintf("%s does not exist (NXDOMAIN): mail to it bounces.", domain)))
	case r.MXStatus == dnsq.StatusTimeout || r.MXStatus == dnsq.StatusError:
		// No answer at all: this machine's resolver or network failed,
		// which says nothing about the domain.
		p.Line(st.Paint(ToneWarn, fmt.Sprintf("No answer to the MX query for %s (%s): the resolver or the network failed, so nothing could be checked from here.",
			domain, Sanitize(cmpOr(r.MXError, string(r.MXStatus))))))
	case r.MXStatus != dnsq.StatusOK && r.MXStatus != dnsq.StatusNoData:
		p.Line(st.Paint(ToneBad, fmt.Sprintf("The MX lookup for %s failed (%s): senders defer mail until it answers.",
			domain, Sanitize(cmpOr(r.MXError, string(r.MXStatus))))))
	case r.ImplicitMX:
		p.Line(st.Paint(ToneWarn, fmt.Sprintf("%s has no MX records: mail goes to the domain's own addresses (implicit MX, RFC 5321 §5.1).", domain)))
	}
	if r.NullMXMixed {
		p.Line(st.Paint(ToneBad, fmt.Sprintf("%s publishes a null MX beside other MX records, which RFC 7505 §3 forbids. "+
			"Postfix 3.0 and later treat the domain as null MX and bounce (5.1.0); Exim and OpenSMTPD deliver to the other records.", domain)))
	}

	if len(r.MX) > 0 {
		p.Line()
		p.Table(mxTable(w, st, r))
		if notes := mxNotes(st, r); len(notes) > 0 {
			p.Line()
			for _, n := range notes {
				p.Line(n)
			}
		}
	}
	if line := mxDNSSECLine(doc); line != "" {
		p.Line(st.Paint(ToneDim, line))
	}
	if !doc.Families.IPv4 && doc.Families.IPv6 {
		p.Line(st.Paint(ToneDim, "IPv4 not checked (-6)."))
	}
	if doc.Families.IPv4 && !doc.Families.IPv6 {
		p.Line(st.Paint(ToneDim, "IPv6 not checked (-4)."))
	}
	return p.EndWithFindings(st, doc.Findings)
}

// mxDNSSECLine says the DNSSEC status of the lookups in one line: "DNSSEC:
// MX secure, A/AAAA insecure", per exchange only where the exchanges
// differ, or why it is not judged and the fix. Empty when the document has
// no DNSSEC facts.
func mxDNSSECLine(doc document.MX) string {
	v := doc.DNSSECValidation
	if v == nil {
		return ""
	}
	if !v.Validates {
		return "DNSSEC: not judged (" + Sanitize(cmpOr(v.Error, "the resolver does not validate")) + "); " + Sanitize(v.Fix) + "."
	}
	word := func(s string) string { return strings.ReplaceAll(s, "_", " ") }
	// addrs is one exchange's (or every exchange's) A and AAAA statuses.
	addrs := func(a, aaaa string) string {
		switch {
		case a == aaaa:
			return "A/AAAA " + word(a)
		case aaaa == "":
			return "A " + word(a)
		case a == "":
			return "AAAA " + word(aaaa)
		}
		return "A " + word(a) + ", AAAA " + word(aaaa)
	}
	var parts []string
	if r := doc.Result; r.MXDNSSEC != "" {
		parts = append(parts, "MX "+word(r.MXDNSSEC))
	}
	a, aaaa := map[string]bool{}, map[string]bool{}
	var per []string
	sep := ", "
	for _, x := range doc.MX {
		if x.ADNSSEC == "" && x.AAAADNSSEC == "" {
			continue
		}
		if x.ADNSSEC != "" {
			a[x.ADNSSEC] = true
		}
		if x.AAAADNSSEC != "" {
			aaaa[x.AAAADNSSEC] = true
		}
		per = append(per, Sanitize(x.Host)+" "+addrs(x.ADNSSEC, x.AAAADNSSEC))
	}
	switch {
	case len(per) == 0:
	case len(a) <= 1 && len(aaaa) <= 1:
		only := func(m map[string]bool) string {
			for k := range m {
				return k
			}
			return ""
		}
		parts = append(parts, addrs(only(a), only(aaaa)))
	default:
		parts, sep = append(parts, strings.Join(per, "; ")), "; "
	}
	if len(parts) == 0 {
		return ""
	}
	return "DNSSEC: " + strings.Join(parts, sep)
}

// mxSummary counts exchanges and addresses per family.
func mxSummary(r discover.Result) string {
	switch {
	case r.NullMX:
		return "null MX"
	case r.MXStatus == dnsq.StatusNXDomain:
		return "no such domain"
	case len(r.MX) == 0 && r.MXStatus != dnsq.StatusOK && r.MXStatus != dnsq.StatusNoData:
		return "MX lookup " + string(r.MXStatus)
	}
	var v4, v6 int
	for _, e := range r.MX {
		for _, a := range e.Addresses {
			if a.Family == addr.IPv4 {
				v4++
			} else {
				v6++
			}
		}
	}
	sum := fmt.Sprintf("%s, %s (%d IPv4, %d IPv6)", plural(len(r.MX), "exchange", "exchanges"),
		plural(v4+v6, "address", "addresses"), v4, v6)
	if r.MXAuthentic {
		// AD bit from a validating resolver (RFC 4035 §3.2.3); only as
		// trustworthy as the path to that resolver.
		sum += ", MX answer DNSSEC-validated"
	}
	return sum
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// mxTable has one row per address and one per failed A or AAAA lookup.
// Preference and exchange are written on the exchange's first row only.
func mxTable(w io.Writer, st *Styles, r discover.Result) *Table {
	t := NewTable(w, st.Paint(ToneBold, "PREF"), st.Paint(ToneBold, "EXCHANGE"), st.Paint(ToneBold, "FAMILY"),
		st.Paint(ToneBold, "ADDRESS"), st.Paint(ToneBold, "PTR"), st.Paint(ToneBold, "FCRDNS"))
	for _, e := range r.MX {
		first := true
		row := func(family, addr, ptr, fcrdns string) {
			pref, host := "", ""
			if first {
				pref, host = fmt.Sprint(e.Preference), Sanitize(e.Host)
				if len(e.CNAME) > 0 || e.IPLiteral || e.InvalidName {
					host += st.Paint(ToneWarn, " *")
				}
				first = false
			}
			t.Row(pref, host, family, addr, ptr, fcrdns)
		}
		emitFamily := func(family, qtype string, status dnsq.Status) {
			for _, a := range e.Addresses {
				if a.Family != family {
					continue
				}
				addr := a.IP.String()
				if a.Class != discover.ClassPublic {
					addr += " " + st.Paint(classTone(a.Class), "("+strings.ReplaceAll(string(a.Class), "_", "-")+")")
				}
				row(family, addr, ptrCell(st, a), st.Paint(fcrdnsTone(a.FCrDNS), string(a.FCrDNS)))
			}
			if status != dnsq.StatusOK && status != dnsq.StatusSkipped {
				row(family, st.Paint(lookupTone(status), lookupText(qtype, status)), "", "")
			}
		}
		emitFamily(addr.IPv4, "A", e.AStatus)
		emitFamily(addr.IPv6, "AAAA", e.AAAAStatus)
		if first {
			// IP literal of a family not asked for: still show the exchange.
			row("", st.Paint(ToneDim, "(no address checked)"), "", "")
		}
	}
	return t
}

func ptrCell(st *Styles, a discover.Address) string {
	switch {
	case a.PTRStatus == dnsq.StatusSkipped:
		return st.Paint(ToneDim, "-")
	case len(a.PTR) > 0:
		names := make([]string, len(a.PTR))
		for i, n := range a.PTR {
			names[i] = Sanitize(n)
		}
		return strings.Join(names, ", ")
	case a.PTRStatus == dnsq.StatusNXDomain || a.PTRStatus == dnsq.StatusNoData:
		return st.Paint(ToneWarn, "(none)")
	default:
		return st.Paint(ToneWarn, "("+string(a.PTRStatus)+")")
	}
}

// lookupText says what a failed address lookup means in one cell.
func lookupText(qtype string, s dnsq.Status) string {
	switch s {
	case dnsq.StatusNoData:
		return "no " + qtype + " record"
	case dnsq.StatusNXDomain:
		return "name does not exist"
	default:
		return qtype + " lookup " + string(s)
	}
}

func lookupTone(s dnsq.Status) Tone {
	switch s {
	case dnsq.StatusNoData:
		return ToneWarn
	default:
		return ToneBad
	}
}

func fcrdnsTone(s iprev.Status) Tone {
	switch s {
	case iprev.StatusPass:
		return ToneGood
	case iprev.StatusFail, iprev.StatusPermError:
		return ToneBad
	case iprev.StatusTempError, iprev.StatusNone:
		return ToneWarn
	}
	return ToneDim
}

func classTone(c discover.AddrClass) Tone {
	switch c {
	case discover.ClassPrivate, discover.ClassULA, discover.ClassDocumentation:
		return ToneWarn
	}
	return ToneBad
}

// mxNotes explains irregular exchanges and lookup errors below the table.
func mxNotes(st *Styles, r discover.Result) []string {
	var notes []string
	mark := st.Paint(ToneWarn, "*")
	seen := map[string]bool{}
	for _, e := range r.MX {
		host := Sanitize(e.Host)
		if seen[host] {
			continue
		}
		seen[host] = true
		if len(e.CNAME) > 0 {
			notes = append(notes, fmt.Sprintf("%s %s is an alias (CNAME) for %s. An MX target must not be an alias "+
				"(RFC 2181 §10.3; RFC 5321 §5.1 leaves it out of scope). Postfix and Exim follow it anyway: "+
				"Postfix keeps the MX name for TLS checks and logs, Exim uses the canonical name.",
				mark, host, Sanitize(e.CNAME[len(e.CNAME)-1])))
		}
		if e.IPLiteral {
			notes = append(notes, fmt.Sprintf("%s %s is an IP address, not a host name; RFC 5321 §5.1 requires a name. "+
				"Postfix uses the address anyway (with a warning); Exim refuses the MX and bounces unless allow_mx_to_ip is set.",
				mark, host))
		}
		if e.InvalidName {
			notes = append(notes, fmt.Sprintf("%s %s is not a valid host name (RFC 1123 §2.1). Postfix skips this MX record "+
				"(\"malformed domain name\") and bounces the mail (5.4.4) when no valid record remains.",
				mark, host))
		}
		if e.AError != "" {
			notes = append(notes, fmt.Sprintf("%s A: %s", host, Sanitize(e.AError)))
		}
		if e.AAAAError != "" {
			notes = append(notes, fmt.Sprintf("%s AAAA: %s", host, Sanitize(e.AAAAError)))
		}
		for _, a := range e.Addresses {
			if seen[a.IP.String()] {
				continue
			}
			seen[a.IP.String()] = true
			if a.PTRError != "" {
				notes = append(notes, fmt.Sprintf("%s rDNS %s: %s", a.IP, a.FCrDNS, Sanitize(a.PTRError)))
			}
			if a.PTRTruncated {
				notes = append(notes, fmt.Sprintf("%s has %d PTR names; only the first %d were forward-checked.",
					a.IP, len(a.PTR), iprev.MaxNames))
			}
		}
	}
	return notes
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
