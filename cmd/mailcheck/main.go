// Command mailcheck tells whether a mail domain is reachable over IPv4 and
// IPv6, and why not. See README.md and docs/.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/mailcheck/mailcheck/pkg/cli"
)

func main() {
	os.Exit(run())
}

// run is main with profiling hooks for docs/performance.md:
// MAILCHECK_CPUPROFILE=FILE writes a CPU profile of the whole run, and
// MAILCHECK_MEMPROFILE=FILE a heap profile at its end (what was allocated
// over the run, and what was still live at the last collection); read
// either with `go tool pprof`.
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
	path := os.Getenv("MAILCHECK_MEMPROFILE")
	if path == "" {
		// Nobody will read the runtime's allocation samples: taking
		// them costs a stack walk per 512 KB allocated and a
		// bucket per allocating stack (1.5 MB at 1,000 domains in
		// flight), from start-up on.
		runtime.MemProfileRate = 0
	} else {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_MEMPROFILE:", err)
			return cli.ExitUsage
		}
		defer f.Close()
		// Written after the command, before the process exits; not
		// collected first, so that inuse_* is the live set of the last
		// cycle of the run rather than of an emptied heap.
		defer func() {
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "mailcheck: MAILCHECK_MEMPROFILE:", err)
			}
		}()
	}
	return cli.Main()
}
