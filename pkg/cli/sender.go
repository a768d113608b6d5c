package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built.
func newCmdSender(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "sender",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("sender: not implemented yet")
		},
	}
}
