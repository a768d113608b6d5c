package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
)

// withZones gives cmd --zone, the pre-deploy overlay that mx, probe,
// simulate, check and sender share: zone files laid over live DNS, so that
// a change is checked before it is deployed (docs/guide.md, "Before you
// deploy"). The files are loaded once, after the flags are parsed and
// before the command runs (PreRunE), so that a syntax error is exit 2
// naming the file and line before any lookup; the Factory's resolver is
// then the overlay (Factory.Resolver).
func withZones(f *Factory, cmd *cobra.Command) *cobra.Command {
	var values []string
	cmd.Flags().StringArrayVar(&values, "zone", nil, "answer the names of this zone from FILE as its server would once FILE is live: FILE (apex from its SOA) or ORIGIN=FILE (repeatable; reverse zones too)")
	cmd.PreRunE = func(*cobra.Command, []string) error { return f.loadZones(values) }
	return cmd
}

// loadZones reads every --zone file (audit.LoadZones); ignored records
// are warnings on stderr.
func (f *Factory) loadZones(values []string) error {
	zones, warnings, err := audit.LoadZones(values)
	f.warn(warnings)
	if err != nil {
		return commandErr(err)
	}
	f.zones = zones
	return nil
}
