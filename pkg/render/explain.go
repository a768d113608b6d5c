package render

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/document"
)

var explainReceiverNames = map[string]string{
	bounce.ReceiverGmail:     "Gmail",
	bounce.ReceiverMicrosoft: "Microsoft",
	bounce.ReceiverYahoo:     "Yahoo",
	bounce.ReceiverPostfix:   "a Postfix server",
	bounce.ReceiverLocal:     "your own server",
}

// ExplainText writes the explanation for people. Everything quoted from the
// bounce is remote text and is sanitised (pkg/bounce already did; this is
// the last line of defence at the terminal).
func ExplainText(w io.Writer, st *Styles, doc document.Explain) error {
	p := NewPrinter(w)
	r := doc.Result
	if doc.Subject != "" || doc.ReportingMTA != "" || len(doc.Recipients) > 0 {
		explainMessage(p, st, doc)
	}
	if r.Recognised {
		who := explainReceiverNames[r.Receiver]
		if who == "" {
			who = "a receiver"
		}
		p.Line(st.Paint(ToneBold, "Recognised: "+Sanitize(r.Title)), "  ", st.Paint(ToneDim, "(from "+who+", rule "+r.Rule+")"))
	} else {
		p.Line(st.Paint(ToneWarn, "Not recognised."), " ", st.Paint(ToneDim, "mailcheck knows Gmail, Microsoft, Yahoo and Postfix rejections; this is none of them."))
	}
	if r.ReplyCode != 0 || r.EnhancedCode != "" {
		code := strings.TrimSpace(fmt.Sprintf("%s %s", explainCode(r.ReplyCode), r.EnhancedCode))
		kind := st.Paint(ToneWarn, "temporary: the sender keeps retrying")
		if r.Permanent {
			kind = st.Paint(ToneBad, "permanent: the message bounced")
		}
		line := code + " (" + kind + ")"
		if r.Stage != "" {
			line += ", in reply to " + Sanitize(r.Stage)
		}
		explainRow(p, "Reply", line)
	}
	if r.Reason != "" {
		explainRow(p, "Reason", Sanitize(r.Reason)+st.Paint(ToneDim, " (the reason bounce parsers share)"))
	}
	if r.SenderIP.IsValid() {
		explainRow(p, "From", r.SenderIP.String()+st.Paint(ToneDim, " (the sending address)"))
	}
	if r.SenderDomain != "" {
		explainRow(p, "Domain", Sanitize(r.SenderDomain))
	}
	if r.ReceivingHost != "" || r.ReceivingIP.IsValid() {
		to := Sanitize(r.ReceivingHost)
		if r.ReceivingIP.IsValid() {
			to = strings.TrimSpace(to + " [" + r.ReceivingIP.String() + "]")
		}
		explainRow(p, "To", to)
	}
	if r.Reply != "" {
		explainRow(p, "Text", st.Paint(ToneDim, "\""+Sanitize(r.Reply)+"\""))
	}
	if !r.Recognised {
		explainSeen(p, "Codes seen", r.Codes)
		explainSeen(p, "Addresses", explainAddrs(r.Addresses))
		explainSeen(p, "Hosts", r.Hosts)
	}
	p.Line()
	p.Line(st.Paint(ToneBold, "What it means"))
	p.Line("  ", Sanitize(r.Explanation))
	if r.Fix != "" {
		p.Line()
		p.Line(st.Paint(ToneBold, "Fix"))
		p.Line("  ", Sanitize(r.Fix))
	}
	if len(doc.Recipients) > 1 {
		explainRecipients(p, st, doc)
	}
	if doc.ChecksNote != "" {
		p.Line()
		p.Line(st.Paint(ToneDim, doc.ChecksNote))
	}
	if doc.Sender != nil && p.Err() == nil {
		p.Line()
		if err := SenderText(p.Writer(), st, doc.Sender); err != nil {
			return err
		}
	}
	return p.Err()
}

// explainMessage writes what the message says about itself, before its
// primary recipient's explanation.
func explainMessage(p *Printer, st *Styles, doc document.Explain) {
	line := st.Paint(ToneBold, "Message:")
	if doc.Subject != "" {
		line += " \"" + Sanitize(doc.Subject) + "\""
	}
	if doc.ReportingMTA != "" {
		line += " from " + Sanitize(doc.ReportingMTA)
	}
	switch n := len(doc.Recipients); n {
	case 0:
	case 1:
		line += st.Paint(ToneDim, " (1 recipient: "+Sanitize(doc.Recipients[0].Recipient)+")")
	default:
		line += st.Paint(ToneDim, fmt.Sprintf(" (%d recipients; the first recognised is explained, all are listed below)", n))
	}
	p.Line(line)
	p.Line()
}

// explainRecipients lists every recipient of a message: its reply, reason
// and receiver, and the fix where it differs from the primary one.
func explainRecipients(p *Printer, st *Styles, doc document.Explain) {
	p.Line()
	p.Line(st.Paint(ToneBold, "Recipients"))
	for _, rc := range doc.Recipients {
		head := strings.TrimSpace(Sanitize(rc.Recipient) + "  " + Sanitize(rc.Action))
		if head == "" {
			head = "(recipient not named)"
		}
		p.Line("  ", head)
		code := strings.TrimSpace(explainCode(rc.ReplyCode) + " " + rc.EnhancedCode)
		what := "reason " + Sanitize(rc.Reason)
		if rc.Recognised {
			what += ", " + Sanitize(rc.Title)
			if who := explainReceiverNames[rc.Receiver]; who != "" {
				what += " (" + who + ")"
			}
		}
		p.Line("    ", strings.TrimSpace(code+"  "+what))
		if rc.ReceivingHost != "" || rc.ReceivingIP.IsValid() {
			to := Sanitize(rc.ReceivingHost)
			if rc.ReceivingIP.IsValid() {
				to = strings.TrimSpace(to + " [" + rc.ReceivingIP.String() + "]")
			}
			p.Line("    remote MTA ", to)
		}
		if rc.Reply != "" {
			p.Line("    ", st.Paint(ToneDim, "\""+Sanitize(rc.Reply)+"\""))
		}
		if rc.Fix != "" && rc.Fix != doc.Fix {
			p.Line("    fix: ", Sanitize(rc.Fix))
		}
	}
}

func explainRow(p *Printer, label, value string) {
	p.Line(fmt.Sprintf("%-10s", label), " ", value)
}

func explainSeen(p *Printer, label string, items []string) {
	if len(items) == 0 {
		return
	}
	clean := make([]string, len(items))
	for i, s := range items {
		clean[i] = Sanitize(s)
	}
	explainRow(p, label, strings.Join(clean, ", "))
}

func explainAddrs(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func explainCode(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}
