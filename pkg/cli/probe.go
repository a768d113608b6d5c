package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdProbe(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "probe TARGET",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("probe: not implemented yet")
		},
	}
}
