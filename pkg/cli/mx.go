package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdMX(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "mx DOMAIN",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("mx: not implemented yet")
		},
	}
}
