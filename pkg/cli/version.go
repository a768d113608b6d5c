package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "version",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("version: not implemented yet")
		},
	}
}
