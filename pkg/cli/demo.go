package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/sandbox"
)

// demo is check with its own Checker: the sandbox's resolver, dialer,
// routes and certificate roots.
func newCmdDemo(f *Factory, runF func(*checkOptions) error) *cobra.Command {
	o := &checkOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "demo",
		Short: "Run the full check against a built-in example domain (offline)",
		Args:  exactArgs(0, "no arguments"),
	}, render.CheckFormats, o, func(cmd *cobra.Command, args []string) error {
		o.ctx, o.Domains = cmd.Context(), []string{sandbox.Domain}
		o.SMTP.Port, o.SMTP.ConnectTimeout, o.SMTP.CommandTimeout = 25, 5*time.Second, 5*time.Second
		return o.validate()
	}, runF, demoRun)
	fl := cmd.Flags()
	o.register(fl, "")
	fl.BoolVar(&o.DNSOnly, "dns-only", false, "DNS only: no SMTP probes, no simulation")
	return cmd
}

func demoRun(o *checkOptions) error {
	sb, err := sandbox.Start(sandbox.Options{Now: o.f.Now})
	if err != nil {
		return undetermined(fmt.Errorf("starting the demo sandbox: %w", err))
	}
	defer sb.Close()
	c := o.f.Checker()
	if err := c.InSandbox(sb, !o.DNSOnly); err != nil {
		return undetermined(err)
	}
	o.checker = c
	return checkRun(o)
}
