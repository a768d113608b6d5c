package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// mxOptions are what `mailcheck mx` needs.
type mxOptions struct {
	f   *Factory
	ctx context.Context

	Domain string // DOMAIN as the user typed it
}

func newCmdMX(f *Factory, runF func(*mxOptions) error) *cobra.Command {
	opts := &mxOptions{f: f}
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
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx, opts.Domain = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return mxRun(opts)
		},
	}
}

// mxRun looks the domain up through the Checker and prints the document.
func mxRun(opts *mxOptions) error {
	ascii, unicode, err := parseDomainArg(opts.Domain)
	if err != nil {
		return usageErr("%v", err)
	}
	doc, err := opts.f.Checker().MX(opts.ctx, ascii, unicode)
	if err != nil {
		return err
	}
	if err := write(opts.f, *doc, render.MXText); err != nil {
		return err
	}
	return finish(opts.ctx, doc, report.SeverityFail)
}
