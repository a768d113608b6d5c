package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// SenderText writes a sender audit for people: one block per sending
// address (reverse DNS, HELO, SPF, DMARC, blocklists, then what Gmail and
// Microsoft will do), then the findings with their fixes. PTR names, TXT
// records and HELO names come from DNS and are sanitised.
func SenderText(w io.Writer, st *Styles, rep *sender.Report) error {
	p := NewPrinter(w)
	title := "Sending side"
	if rep.Domain != "" {
		title += " of " + Sanitize(rep.Domain)
	}
	n := len(rep.Senders)
	p.Line(st.Paint(ToneBold, title), "  ", st.Paint(ToneDim, plural(n, "address", "addresses")))
	if pf := rep.Postfix; pf != nil {
		p.Line(st.Paint(ToneDim, fmt.Sprintf("Postfix %s: inet_protocols = %s, smtp_address_preference = %s",
			Sanitize(pf.File), Sanitize(pf.InetProtocols), Sanitize(pf.SMTPAddressPreference))))
	}
	if len(rep.Excluded) > 0 {
		ips := make([]string, len(rep.Excluded))
		for i, ip := range rep.Excluded {
			ips[i] = ip.String()
		}
		p.Line(st.Paint(ToneDim, "Not checked (another family than -4/-6 asks for): "+strings.Join(ips, ", ")))
	}
	for i := range rep.Senders {
		p.Line()
		senderBlock(p, st, &rep.Senders[i])
	}
	if len(rep.Senders) == 0 {
		p.Line()
		p.Line(st.Paint(ToneWarn, "No sending address to check: pass --ip ADDRESS (repeatable)."))
	}
	if len(rep.LookupPaths) > 0 {
		p.Line()
		p.Line(st.Paint(ToneBold, "First connection to "+Sanitize(rep.Domain)+"'s exchanges"), "  ", st.Paint(ToneDim, "per way of looking them up"))
		for _, lp := range rep.LookupPaths {
			p.Line("  ", lookupPathLabel(lp.Path), ": ", st.Paint(ToneBold, FirstFamilyText(lp.FirstFamily)), " because ", Sanitize(lp.Reason))
		}
	}
	if len(rep.Findings) > 0 {
		p.Line()
		p.Line(st.Paint(ToneBold, "Findings"))
		if p.Err() == nil {
			if err := Findings(p.Writer(), st, rep.Findings); err != nil {
				return err
			}
		}
	}
	return p.Err()
}

func senderBlock(p *Printer, st *Styles, s *sender.Sender) {
	origin := map[string]string{
		sender.OriginFlag: "given with --ip", sender.OriginRoute: "this host's source address",
		sender.OriginMainCF: "from main.cf", sender.OriginBounce: "from the bounce",
	}[s.Origin]
	kind := s.SourceKind
	kindTone := ToneDim
	if kind != sender.KindPublic {
		kindTone = ToneWarn
	}
	p.Line(st.Paint(ToneBold, s.IP.String()), "  ", s.Family, "  ", st.Paint(kindTone, strings.ReplaceAll(kind, "_", "-")),
		"  ", st.Paint(ToneDim, origin))
	row := func(label, value string) { p.Line("  ", fmt.Sprintf("%-10s", label), " ", value) }
	if s.Skipped != "" {
		row("checks", st.Paint(ToneWarn, "skipped: "+s.Skipped))
	} else {
		row("PTR", senderPTR(st, s))
		row("FCrDNS", st.Paint(fcrdnsTone(s.FCrDNS), string(s.FCrDNS))+senderConfirmed(s))
		if s.GenericRDNS {
			row("", st.Paint(ToneWarn, "generic name: "+Sanitize(s.GenericReason)))
		}
	}
	if h := s.HELO; h != nil {
		row("HELO", senderHELO(st, h, s))
	}
	if spf := s.SPF; spf != nil {
		v := st.Paint(senderSpfTone(spf.Result), spf.Result)
		if spf.Mechanism != "" {
			v += " by " + Sanitize(spf.Mechanism)
		}
		v += st.Paint(ToneDim, " (SPF of "+Sanitize(spf.Domain)+")")
		if spf.Error != "" {
			v += ": " + Sanitize(spf.Error)
		}
		row("SPF", v)
	}
	if d := s.DMARC; d != nil {
		row("DMARC", senderDMARC(st, d))
	}
	for _, l := range s.DNSBL {
		v := st.Paint(senderDnsblTone(l.Status), strings.ReplaceAll(l.Status, "_", " ")) + " on " + Sanitize(l.Zone)
		if len(l.Codes) > 0 {
			v += " (" + Sanitize(strings.Join(l.Codes, ", ")) + ")"
		}
		if l.Network != "" {
			v += st.Paint(ToneDim, ", listed per /64: "+l.Network)
		}
		row("DNSBL", v)
	}
	senderVerdictRows(p, st, "Gmail", s.Receivers.Gmail)
	senderVerdictRows(p, st, "Microsoft", s.Receivers.Microsoft)
}

func senderPTR(st *Styles, s *sender.Sender) string {
	if len(s.PTR) == 0 {
		return st.Paint(ToneBad, "(none)") + st.Paint(ToneDim, " "+string(s.PTRStatus))
	}
	names := make([]string, len(s.PTR))
	for i, n := range s.PTR {
		names[i] = Sanitize(n)
	}
	return strings.Join(names, ", ")
}

func senderConfirmed(s *sender.Sender) string {
	if len(s.Confirmed) == 0 {
		return ""
	}
	fam := "A"
	if s.Family == addr.IPv6 {
		fam = "AAAA"
	}
	return " (" + Sanitize(strings.Join(s.Confirmed, ", ")) + " " + fam + " holds the address)"
}

func senderHELO(st *Styles, h *sender.HELO, s *sender.Sender) string {
	v := Sanitize(h.Name) + st.Paint(ToneDim, " ("+h.Origin+")") + ": "
	switch {
	case !h.FQDN:
		return v + st.Paint(ToneWarn, "not a fully qualified name")
	case h.Status.Temporary():
		return v + st.Paint(ToneWarn, "lookup "+string(h.Status))
	case !h.Resolves:
		return v + st.Paint(ToneWarn, "does not resolve")
	case !h.Matches:
		return v + st.Paint(ToneWarn, "resolves, but not to "+s.IP.String())
	case !h.PTRMatch && len(s.Confirmed) > 0:
		return v + st.Paint(ToneGood, "resolves to the address") + st.Paint(ToneDim, ", differs from the PTR name")
	}
	return v + st.Paint(ToneGood, "resolves to the address")
}

func senderDMARC(st *Styles, d *sender.DMARC) string {
	switch d.Status {
	case "ok":
		tone := ToneGood
		if d.Policy == "none" {
			tone = ToneInfo
		}
		return st.Paint(tone, "p="+d.Policy) + st.Paint(ToneDim, " (_dmarc."+Sanitize(d.Domain)+")")
	case "none":
		return st.Paint(ToneWarn, "no record")
	}
	return st.Paint(ToneWarn, d.Status) + ": " + Sanitize(d.Error)
}

func senderVerdictRows(p *Printer, st *Styles, who string, v sender.Verdict) {
	head := st.Paint(senderVerdictTone(v.Action), strings.ToUpper(v.Action))
	if v.ReplyCode != 0 {
		head += " " + fmt.Sprintf("%d %s", v.ReplyCode, v.EnhancedCode)
	}
	p.Line("  ", fmt.Sprintf("%-10s", who), " ", head, "  ", v.Reason)
	if v.Reply != "" {
		p.Line("  ", strings.Repeat(" ", 11), st.Paint(ToneDim, "\""+Sanitize(v.Reply)+"\""))
	}
	if v.Condition != "" {
		p.Line("  ", strings.Repeat(" ", 11), st.Paint(ToneDim, v.Condition))
	}
}

func senderVerdictTone(action string) Tone {
	switch action {
	case sender.ActionAccept:
		return ToneGood
	case sender.ActionDefer:
		return ToneWarn
	case sender.ActionReject:
		return ToneBad
	}
	return ToneInfo
}

func senderSpfTone(result string) Tone {
	switch result {
	case "pass":
		return ToneGood
	case "fail", "permerror":
		return ToneBad
	}
	return ToneWarn
}

func senderDnsblTone(status string) Tone {
	switch status {
	case "not_listed":
		return ToneGood
	case "listed":
		return ToneBad
	}
	return ToneWarn
}

// lookupPathLabel names a lookup path in words.
func lookupPathLabel(path string) string {
	switch path {
	case sender.PathPostfixDNS:
		return "Postfix, smtp_host_lookup = dns"
	case sender.PathPostfixNative:
		return "Postfix, smtp_host_lookup = native"
	case sender.PathGetaddrinfo:
		return "libc client (getaddrinfo)"
	case sender.PathGo:
		return "Go client"
	}
	return path
}
