package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdCheck(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "check DOMAIN...",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("check: not implemented yet")
		},
	}
}
