package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// probeOptions are the flags of `mailcheck probe`.
type probeOptions struct {
	f   *Factory
	ctx context.Context

	Target string
	smtpFlags
	Concurrency int
}

func newCmdProbe(f *Factory, runF func(*probeOptions) error) *cobra.Command {
	opts := &probeOptions{f: f, Concurrency: 16}
	cmd := &cobra.Command{
		Use:   "probe TARGET",
		Short: "SMTP over every address of a domain, host or IP, each over its own family",
		Long: `probe connects to port 25 of every address of TARGET, each over its own
family (IPv4 to A records, IPv6 to AAAA records, never letting the system
choose), and reads the greeting, sends EHLO, tries STARTTLS, sends EHLO again
and QUIT. It never sends MAIL, RCPT or DATA.

TARGET is a mail domain (all addresses of all its MX hosts; a name without MX
records is its own exchange, RFC 5321 §5.1), a host name, or an IP literal
(192.0.2.25, 2001:db8::25 or [2001:db8::25]).

Before each connection probe asks the kernel whether this host has a route
and a source address for that family (a UDP connect, which sends nothing).
Without one the address is "inconclusive": this host cannot tell, which says
nothing about the server. If every connection times out, outbound port 25 is
probably blocked where you are.

Exit codes: 0 when no finding is a failure; 1 when one is (no address
accepts SMTP, the domain does not exist); 3 when nothing could be judged from
here (every probe inconclusive, the MX lookup got no answer); 2 for bad
input.`,
		Example: `  mailcheck probe example.com
  mailcheck probe -6 mx1.example.com
  mailcheck probe --port 2525 --helo client.example.net 192.0.2.25
  mailcheck probe -o json '[2001:db8::25]'`,
		Args: exactArgs(1, "a TARGET (domain, host name or IP address)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx, opts.Target = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return probeRun(opts)
		},
	}
	opts.register(cmd.Flags(), "")
	return cmd
}

func probeRun(opts *probeOptions) error {
	g := opts.f.Global
	// What people paste: a domain or host name (IDN, trailing dot,
	// user@domain, URL), an IP address, or an RFC 5321 address literal.
	tgt, err := target.ParseHostOrIP(opts.Target)
	if err != nil {
		return usageErr("%v", err)
	}
	smtp, err := opts.options()
	if err != nil {
		return err
	}
	if tgt.IP.IsValid() {
		if tgt.IP.Is4() && !g.WantIPv4() {
			return usageErr("TARGET %s is an IPv4 address but -6 was given", tgt.IP)
		}
		if !tgt.IP.Is4() && !g.WantIPv6() {
			return usageErr("TARGET %s is an IPv6 address but -4 was given", tgt.IP)
		}
	}
	doc, err := opts.f.Checker().Probe(opts.ctx, audit.ProbeRequest{Target: tgt, SMTP: smtp, Concurrency: opts.Concurrency})
	if err != nil {
		return err
	}
	if err := write(opts.f, *doc, render.ProbeText); err != nil {
		return err
	}
	return finish(opts.ctx, doc, report.SeverityFail)
}
