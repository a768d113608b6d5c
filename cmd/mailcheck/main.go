// Command mailcheck tells whether a mail domain is reachable over IPv4 and
// IPv6, and why not. See README.md and docs/.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/mailcheck/mailcheck/pkg/cli"
)

func main() {
	os.Exit(run())
}

// run is main with a profiling hook for docs/performance.md:
// MAILCHECK_CPUPROFILE=FILE writes a CPU profile of the whole run (read it
// with `go tool pprof`).
func run() int {
	if path := os.Getenv("MAILCHECK_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_CPUPROFILE:", err)
			return cli.ExitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_CPUPROFILE:", err)
			return cli.ExitUsage
		}
		defer pprof.StopCPUProfile()
	}
	return cli.Main()
}
