package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sandbox"
)

func newCmdDemo(f *Factory) *cobra.Command {
	o := &checkOptions{}
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
			o.Domains = []string{sandbox.Domain}
			o.Port, o.ConnectTimeout, o.CommandTimeout = 25, 5*time.Second, 5*time.Second
			if err := o.validate(f, false); err != nil {
				return err
			}
			sb, err := sandbox.Start(sandbox.Options{Now: f.Now})
			if err != nil {
				return undetermined(fmt.Errorf("starting the demo sandbox: %w", err))
			}
			defer sb.Close()
			var trace = f.IO.ErrOut
			if !f.Global.Verbose {
				trace = nil
			}
			r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second, Trace: trace})
			if err != nil {
				return undetermined(fmt.Errorf("demo resolver: %w", err))
			}
			return runCheck(cmd.Context(), f, o, checkEnv{
				Resolver: r, Dialer: sb, Routes: sb, RootCAs: sb.RootCAs, Sandbox: true, Now: f.Now,
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.FailOn, "fail-on", "fail", "lowest severity that makes the exit code 1: warn or fail")
	fl.StringArrayVar(&o.Ignore, "ignore", nil, "drop findings with this code (repeatable)")
	fl.BoolVar(&o.DNSOnly, "dns-only", false, "DNS only: no SMTP probes, no simulation")
	return cmd
}
