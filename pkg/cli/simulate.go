package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdSimulate(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "simulate DOMAIN",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("simulate: not implemented yet")
		},
	}
}
