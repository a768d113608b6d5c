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
	long, example := help("demo")
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run the full check against a built-in example domain (offline)",
		Long:    long,
		Example: example,
		Args:    exactArgs(0, "no arguments"),
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
	r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second, Trace: trace, DNSSECOK: !o.DNSOnly})
	if err != nil {
		return undetermined(fmt.Errorf("demo resolver: %w", err))
	}
	c := o.f.Checker()
	c.Resolver = func() (dnsq.Resolver, error) { return r, nil }
	c.Dialer, c.Routes, c.RootCAs, c.Sandbox = sb, sb, sb.RootCAs, true
	o.checker = c
	return checkRun(o)
}
