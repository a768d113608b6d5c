package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdExplain(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "explain TEXT|-",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("explain: not implemented yet")
		},
	}
}
