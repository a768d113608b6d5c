// Command mailcheck tells whether a mail domain is reachable over IPv4 and
// IPv6, and why not. See README.md and docs/.
package main

import (
	"os"

	"github.com/mailcheck/mailcheck/pkg/cli"
)

func main() {
	os.Exit(cli.Main())
}
