// Command genlog writes a generated mail log of about a given size, for
// measuring `mailcheck logs` on logs bigger than a test should hold
// (scripts/bench/logs-1g.sh, docs/performance.md). The lines are
// logtest's: Postfix (default) or Exim, documentation addresses only, every
// line kind a busy host writes around its delivery attempts. It prints what
// the log holds (lines, and per destination and family the counts a reader
// must find) on stderr.
//
//	go run ./pkg/internal/logtest/genlog -mb 1024 -o /tmp/mail.log
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/logtest"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(2)
	}
}

// countingWriter counts bytes and drops them: one pass of the generator
// measures the bytes per message before the real one.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func run(args []string, report io.Writer) error {
	fs := flag.NewFlagSet("genlog", flag.ContinueOnError)
	mb := fs.Int64("mb", 1024, "size of the log in MiB (about: whole messages)")
	out := fs.String("o", "", "output file")
	mta := fs.String("mta", "postfix", "postfix or exim")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *mb <= 0 {
		return errors.New("need -o FILE and -mb > 0")
	}
	gen := logtest.Postfix
	switch *mta {
	case "postfix":
	case "exim":
		gen = logtest.Exim
	default:
		return fmt.Errorf("-mta %q: want postfix or exim", *mta)
	}
	// Starts on January 1st, one message every 7 seconds: a 1 GiB log
	// spans about four months of one year.
	start := time.Date(time.Now().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	const sample = 10_000
	var probe countingWriter
	if _, err := gen(&probe, sample, start); err != nil {
		return err
	}
	n := int(*mb << 20 * sample / probe.n)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	x, err := gen(w, n, start)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(report, "%s: %d messages, %d lines\n", *out, n, x.Lines)
	domains := make([]string, 0, len(x.Dest))
	for d := range x.Dest {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		for _, fam := range []string{"ipv6", "ipv4"} {
			if c := x.Dest[d][fam]; c != nil {
				fmt.Fprintf(report, "%s %s: attempts %d, delivered %d, deferred %d, bounced %d\n", d, fam, c.Attempts, c.Delivered, c.Deferred, c.Bounced)
			}
		}
	}
	return nil
}
