package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sandbox"
)

// demo is check with its own Checker: the sandbox's resolver, dialer,
// routes and certificate roots.
func newCmdDemo(f *Factory, runF func(*checkOptions) error) *cobra.Command {
	o := &checkOptions{f: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the full check against a built-in example domain (offline)",
		Long: `demo starts an example mail domain inside mailcheck, an in-process DNS
server and SMTP servers on loopback (127.0.0.1 and ::1), and runs the full
check against it, with no network at all. The report is the one a real domain
gets; the domain has the faults mail admins meet in practice: two MX hosts,
a dual-stack host whose IPv6 address has no PTR record and answers EHLO with
another name over IPv6, and a backup MX with IPv4 only and an expired
certificate.

The zone publishes documentation addresses (192.0.2.0/24, 198.51.100.0/24,
2001:db8::/32) as a real zone would publish its public ones; the demo connects
them to its loopback servers itself and leaves out the address-class findings
that those ranges would otherwise raise. --resolver and --port are not used.

Exit codes are those of check: the demo domain has failures, so 1.`,
		Example: `  mailcheck demo
  mailcheck demo -o json | jq '.findings[].code'
  mailcheck demo --fail-on warn --ignore MC310`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ctx, o.Domains = cmd.Context(), []string{sandbox.Domain}
			o.Port, o.ConnectTimeout, o.CommandTimeout = 25, 5*time.Second, 5*time.Second
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return demoRun(o)
		},
	}
	fl := cmd.Flags()
	o.findingFlags.register(fl, "")
	fl.BoolVar(&o.DNSOnly, "dns-only", false, "DNS only: no SMTP probes, no simulation")
	return cmd
}

func demoRun(o *checkOptions) error {
	sb, err := sandbox.Start(sandbox.Options{Now: o.f.Now})
	if err != nil {
		return undetermined(fmt.Errorf("starting the demo sandbox: %w", err))
	}
	defer sb.Close()
	trace := o.f.IO.ErrOut
	if !o.f.Global.Verbose {
		trace = nil
	}
	r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second, Trace: trace})
	if err != nil {
		return undetermined(fmt.Errorf("demo resolver: %w", err))
	}
	c := o.f.Checker()
	c.Resolver = func() (dnsq.Resolver, error) { return r, nil }
	c.Dialer, c.Routes, c.RootCAs, c.Sandbox = sb, sb, sb.RootCAs, true
	o.checker = c
	return checkRun(o)
}
