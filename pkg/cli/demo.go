package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdDemo(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "demo",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("demo: not implemented yet")
		},
	}
}
