package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// mxOptions are what `mailcheck mx` needs: the domain as typed, the
// families, the output settings, and what touches the world.
type mxOptions struct {
	IO       *IOStreams
	Resolver func() (dnsq.Resolver, error)
	Now      func() time.Time

	Arg      string // DOMAIN as the user typed it
	Families document.Families
	Format   string // "text" or "json"
	Color    bool
	Timeout  time.Duration
}

func newCmdMX(f *Factory) *cobra.Command {
	opts := &mxOptions{IO: f.IO, Resolver: f.Resolver, Now: f.Now}
	return &cobra.Command{
		Use:   "mx DOMAIN",
		Short: "MX, addresses, reverse DNS and forward confirmation of a mail domain (DNS only)",
		Long: `mx shows where mail for DOMAIN goes, over IPv4 and IPv6, without touching
SMTP: the MX records sorted by preference (a null MX, RFC 7505, says the
domain takes no mail; no MX records means the domain itself is the exchange,
RFC 5321 §5.1), the A and AAAA records of every exchange, and for every
address its PTR names and whether one of them resolves back to it in the
same family (FCrDNS).

MX targets that are aliases (CNAME) or IP addresses are marked, with what
Postfix and Exim do with them. A failed lookup is shown as such and never
hides the others.

DOMAIN may be pasted as an address (user@example.com), a URL, with a
trailing dot, or as an internationalized name (the A-label is queried and
both forms are shown).

Exit codes: 0 no failure; 1 findings at fail severity (no address a sender
can use, a domain that does not exist, ...); 2 bad input; 3 the resolver did
not answer the MX query (nothing could be judged).`,
		Example: `  mailcheck mx example.com
  mailcheck mx -6 example.com
  mailcheck mx -o json user@example.com
  mailcheck mx --resolver 192.0.2.53 bücher.example`,
		Args: exactArgs(1, "a DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := f.Global
			if err := checkFormat(g, "text", "json"); err != nil {
				return err
			}
			opts.Arg = args[0]
			opts.Families = document.Families{IPv4: g.WantIPv4(), IPv6: g.WantIPv6()}
			opts.Format = g.Format
			opts.Color = f.IO.ColorEnabled(g.NoColor)
			opts.Timeout = g.Timeout
			return runMX(cmd.Context(), opts)
		},
	}
}

// runMX parses the domain, discovers, judges and renders. The document is
// complete before anything is written.
func runMX(ctx context.Context, opts *mxOptions) error {
	ascii, unicode, err := parseDomainArg(opts.Arg)
	if err != nil {
		return usageErr("%v", err)
	}
	r, err := opts.Resolver()
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	res := discover.Run(ctx, r, ascii, discover.Options{
		IPv4: opts.Families.IPv4,
		IPv6: opts.Families.IPv6,
		RDNS: true,
	})
	if unicode != res.Domain {
		res.DomainUnicode = unicode
	}
	doc := document.MX{
		SchemaVersion: report.SchemaVersion,
		Result:        res,
		Families:      opts.Families,
	}
	deadlineHit := errors.Is(ctx.Err(), context.DeadlineExceeded)
	verdict := mxVerdict(doc, deadlineHit, opts.Now())
	doc.Findings = verdict.Findings
	if doc.Findings == nil {
		doc.Findings = []report.Finding{}
	}

	if opts.Format == "json" {
		err = render.JSON(opts.IO.Out, doc)
	} else {
		err = render.MXText(opts.IO.Out, render.NewStyles(opts.Color), doc)
	}
	if err != nil {
		return err
	}
	if parent.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	return silentExit(mxExitCode(doc, verdict))
}

// mxVerdict is where mx gets its findings: the same pure evaluation check
// uses (audit.Evaluate), over DNS facts only (no probes, no simulation).
// deadlineHit says --timeout cut lookups short (finding MC903).
func mxVerdict(doc document.MX, deadlineHit bool, now time.Time) audit.Verdict {
	return audit.Evaluate(audit.Facts{
		Discovery:   doc.Result,
		WantIPv4:    doc.Families.IPv4,
		WantIPv6:    doc.Families.IPv6,
		DeadlineHit: deadlineHit,
	}, audit.Policy{Now: now})
}

// mxExitCode follows DESIGN.md "Exit codes": a definite bad result is 1;
// 3 only when nothing could be judged, which for mx means the MX query got
// no answer at all (timeout, or no server reachable). SERVFAIL and REFUSED
// are answers about the domain (findings), not a failure of this machine.
func mxExitCode(doc document.MX, v audit.Verdict) int {
	switch {
	case report.AtLeast(doc.Findings, report.SeverityFail):
		return ExitFindings
	case v.Undetermined, mxUnanswered(doc.MXStatus):
		return ExitUndetermined
	}
	return ExitOK
}

func mxUnanswered(s dnsq.Status) bool {
	return s == dnsq.StatusTimeout || s == dnsq.StatusError
}

// parseDomainArg turns what the user typed into the A-label domain to query
// and its Unicode form (pkg/target: addresses, URLs, IDN, trailing dot).
func parseDomainArg(arg string) (ascii, unicode string, err error) {
	t, err := target.Parse(arg)
	if err != nil {
		return "", "", err
	}
	return t.ASCII, t.Unicode, nil
}
