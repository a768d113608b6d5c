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
// with `go tool pprof`); MAILCHECK_MEMPROFILE=FILE writes its allocations.
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
	if path := os.Getenv("MAILCHECK_MEMPROFILE"); path != "" {
		defer writeAllocProfile(path)
	}
	return cli.Main()
}

// writeAllocProfile writes the allocations of the whole run (the "allocs"
// profile: every sampled allocation since the start, freed or not) for
// `go tool pprof -sample_index=alloc_space`.
func writeAllocProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_MEMPROFILE:", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_MEMPROFILE:", err)
	}
}
