package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// explainOptions are what `mailcheck explain` needs.
type explainOptions struct {
	IO       *IOStreams
	Resolver func() (dnsq.Resolver, error)

	Args     []string
	NoChecks bool
	Domain   string
	HELO     string
	DNSBL    bool

	Want4, Want6 bool
	Format       string
	Color        bool
	Timeout      time.Duration
}

func newCmdExplain(f *Factory) *cobra.Command {
	o := &explainOptions{IO: f.IO, Resolver: f.Resolver}
	cmd := &cobra.Command{
		Use:   "explain TEXT|-",
		Short: "Explain a pasted bounce or Postfix log line, run the checks it implies, print the fix",
		Long: `explain reads a bounce message, an SMTP reply or Postfix log lines (TEXT, or
'-' for standard input, at most 1 MiB) and says what the receiver meant:
Gmail's "550-5.7.1 ... does not meet IPv6 sending guidelines regarding PTR
records and authentication", 550 5.7.25, 421 4.7.0 and 4.7.23 (PTR),
4.7.26/5.7.26 (SPF or DKIM); Microsoft's 550 5.7.25 (IPv6 without reverse
DNS), 450 4.7.26 (IPv6 without SPF or DKIM), 550 5.7.515, 550 5.2.1 (tenant
without IPv6); Yahoo's [TSS04], [TSS09], 5.7.9; Postfix servers'
reject_unknown_client_hostname; and Postfix's own "Network is unreachable".

Multi-line replies (550-5.7.1 continuation lines) and Postfix's
"(in reply to end of DATA command)" are handled. The sending address is
taken from where each receiver puts it, and the sending checks that the
reply implies (PTR, forward confirmation, SPF, DMARC) run against it, unless
--no-checks is given or DNS is unavailable, in which case explain says what
it would check.

Text it does not recognise is reported as such, with the reply codes,
addresses and host names it contains. explain exits 0 whether or not it
recognised the text; 2 for bad usage.`,
		Example: `  mailcheck explain '550-5.7.1 [2001:db8::25 12] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication.'
  grep 'status=bounced' /var/log/mail.log | tail -1 | mailcheck explain -
  mailcheck explain --no-checks -o json - < bounce.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := f.Global
			if err := checkFormat(g, "text", "json"); err != nil {
				return err
			}
			if len(args) == 0 {
				return usageErr("%s needs the bounce text, or '-' to read it from standard input (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
			}
			o.Args = args
			o.Want4, o.Want6 = g.WantIPv4(), g.WantIPv6()
			o.Format = g.Format
			o.Color = f.IO.ColorEnabled(g.NoColor)
			o.Timeout = g.Timeout
			return runExplain(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.NoChecks, "no-checks", false, "only explain; do not look anything up in DNS")
	fl.StringVar(&o.Domain, "domain", "", "sending domain for the SPF and DMARC checks (default: the one named in the text)")
	fl.StringVar(&o.HELO, "helo", "", "the sending server's HELO name, to check it too")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists about the sending address (asks third parties)")
	return cmd
}

// readExplainInput returns the text to explain: the arguments joined, or
// standard input for "-", bounded to bounce.MaxInput.
func readExplainInput(o *explainOptions) (text string, truncated bool, err error) {
	if len(o.Args) == 1 && o.Args[0] == "-" {
		data, err := io.ReadAll(io.LimitReader(o.IO.In, bounce.MaxInput+1))
		if err != nil {
			return "", false, usageErr("reading standard input: %v", err)
		}
		if len(data) > bounce.MaxInput {
			return string(data[:bounce.MaxInput]), true, nil
		}
		return string(data), false, nil
	}
	if slices.Contains(o.Args, "-") {
		return "", false, usageErr("'-' (standard input) must be the only argument")
	}
	text = strings.Join(o.Args, " ")
	if len(text) > bounce.MaxInput {
		return text[:bounce.MaxInput], true, nil
	}
	return text, false, nil
}

func runExplain(ctx context.Context, o *explainOptions) error {
	text, truncated, err := readExplainInput(o)
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return usageErr("nothing to explain: the text is empty")
	}
	var domain string
	if o.Domain != "" {
		if domain, _, err = parseDomainArg(o.Domain); err != nil {
			return usageErr("--domain: %v", err)
		}
	}
	if truncated {
		fmt.Fprintf(o.IO.ErrOut, "mailcheck: explain: input longer than %d bytes; only the first %d were read\n", bounce.MaxInput, bounce.MaxInput)
	}

	res := bounce.Parse(text)
	doc := document.Explain{SchemaVersion: report.SchemaVersion, Result: res, Findings: []report.Finding{}}
	if domain == "" {
		domain = res.SenderDomain
	}
	helo := o.HELO
	if helo == "" {
		helo = res.HELO
	}
	checkable := explainCheckable(res.Checks)
	switch {
	case len(checkable) == 0:
		// Nothing on the sending side to look up (a receiver-side rule, or
		// not recognised).
	case !res.SenderIP.IsValid():
		doc.ChecksNote = "The text does not name the sending address. To check it: mailcheck sender --ip ADDRESS" +
			explainDomainFlag(domain) + "  (would check " + wouldCheck(res.Checks, "the address", domain) + ")."
	case o.NoChecks:
		doc.ChecksNote = "Checks not run (--no-checks). They would check " + wouldCheck(res.Checks, res.SenderIP.String(), domain) +
			": mailcheck sender --ip " + res.SenderIP.String() + explainDomainFlag(domain)
	default:
		r, rerr := o.Resolver()
		if rerr != nil {
			doc.ChecksNote = fmt.Sprintf("DNS is not available (%v); the checks would look at %s.", rerr, wouldCheck(res.Checks, res.SenderIP.String(), domain))
			break
		}
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		rep := sender.Audit(cctx, r, sender.Options{
			IPs: []netip.Addr{res.SenderIP}, Origin: sender.OriginBounce, Domain: domain, HELO: helo,
			Want4: true, Want6: true, DNSBL: o.DNSBL,
		})
		cancel()
		if rep.Undetermined {
			doc.ChecksNote = "DNS did not answer, so nothing could be verified; the checks would look at " +
				wouldCheck(res.Checks, res.SenderIP.String(), domain) + "."
		}
		doc.ChecksRun = true
		doc.Sender = rep
		doc.Findings = rep.Findings
		if slices.Contains(res.Checks, bounce.CheckDNSBL) && !o.DNSBL {
			doc.ChecksNote = strings.TrimSpace(doc.ChecksNote + " Blocklists were not queried: add --dnsbl.")
		}
		if domain == "" && (slices.Contains(res.Checks, bounce.CheckSPF) || slices.Contains(res.Checks, bounce.CheckDMARC)) {
			doc.ChecksNote = strings.TrimSpace(doc.ChecksNote + " SPF and DMARC were not checked: the text names no domain; add --domain.")
		}
	}

	if o.Format == "json" {
		err = render.JSON(o.IO.Out, doc)
	} else {
		err = render.ExplainText(o.IO.Out, render.NewStyles(o.Color), doc)
	}
	if err != nil {
		return err
	}
	// explain reports, it does not judge: 0 whatever it found (DESIGN.md).
	return nil
}

// explainCheckable keeps the checks mailcheck can run from DNS.
func explainCheckable(cs []bounce.Check) []bounce.Check {
	var out []bounce.Check
	for _, c := range cs {
		switch c {
		case bounce.CheckPTR, bounce.CheckFCrDNS, bounce.CheckHELO, bounce.CheckSPF, bounce.CheckDMARC, bounce.CheckDNSBL:
			out = append(out, c)
		}
	}
	return out
}

func explainDomainFlag(domain string) string {
	if domain == "" {
		return " --domain YOUR-DOMAIN"
	}
	return " --domain " + domain
}

// wouldCheck says in words what the checks of cs look at.
func wouldCheck(cs []bounce.Check, ip, domain string) string {
	if domain == "" {
		domain = "your domain"
	}
	words := map[bounce.Check]string{
		bounce.CheckPTR:        "the PTR record of " + ip,
		bounce.CheckFCrDNS:     "whether its name resolves back to " + ip,
		bounce.CheckHELO:       "the HELO name",
		bounce.CheckSPF:        "SPF of " + domain + " for " + ip,
		bounce.CheckDKIM:       "DKIM (not visible in DNS alone: look at Authentication-Results in a received copy)",
		bounce.CheckDMARC:      "DMARC of " + domain,
		bounce.CheckDNSBL:      "DNS blocklists (--dnsbl)",
		bounce.CheckReputation: "reputation (not visible in DNS: Google Postmaster Tools, Microsoft SNDS)",
		bounce.CheckIPv6Route:  "this host's IPv6 route (mailcheck probe)",
		bounce.CheckPort25:     "outbound port 25 (mailcheck probe)",
	}
	var parts []string
	for _, c := range cs {
		if w, ok := words[c]; ok {
			parts = append(parts, w)
		}
	}
	return strings.Join(parts, ", ")
}
