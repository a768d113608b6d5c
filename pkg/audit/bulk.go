package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// MaxConcurrency is the most domains CheckMany checks at once. Past a few
// thousand, what limits a bulk run is the resolver (a recursive resolver
// answers some thousands of uncached queries a second; a public one
// rate-limits far below), the path for outbound port 25 and the file
// descriptors (each domain in flight holds a UDP socket for DNS and, with
// probes, one TCP connection per address): more workers only queue at
// those, while each one costs memory and a descriptor. 10,000 keeps a
// 100k-domain list on a big machine within one order of magnitude of what
// its resolver can take, and leaves room under the usual descriptor limit
// (Go raises the soft RLIMIT_NOFILE to the hard one, often 524,288 or
// more). It is a constant, not derived from this host's limits, so that a
// command line valid on one machine is valid on every other.
const MaxConcurrency = 10_000

// ErrNoDomains is CheckMany's answer to an input without a single domain
// (no arguments, and a list of blank lines and comments only): a run that
// checked nothing must not pass as a run that found nothing.
var ErrNoDomains = errors.New("no domains to check")

// Bulk is the input of CheckMany: domains given as arguments, then a list
// (one domain per line, '#' comments), checked Concurrency at a time.
type Bulk struct {
	Args        []string
	List        io.Reader // nil: arguments only
	Concurrency int       // at most this many domains at once (1 to MaxConcurrency)
	// InOrder emits documents in input order, holding back fewer than
	// twice Concurrency finished documents behind a slow domain (then
	// the workers wait for it); otherwise in completion order (jsonl).
	InOrder bool
	// Shard keeps this process's share of the input (--shard I/N); the
	// zero Shard keeps everything.
	Shard target.Shard
	// Idle (nil: none) is called from the emitting goroutine whenever
	// every document that could be emitted has been and the next one is
	// not ready yet: a writer that buffers its output flushes there, so
	// that while documents come faster than one at a time they are
	// written in batches, and none waits in a buffer while the run waits
	// for the next domain. An error stops the run as emit's does.
	Idle func() error
}

// InputError is a domain list that could not be read to its end; what
// was read before it was checked and emitted.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// CheckMany is `mailcheck check` over many domains: each distinct domain
// once (arguments first), each under its own deadline, at most
// Concurrency at once, with every document handed to emit from the
// calling goroutine (the one writer). A line that is not a domain is
// emitted in place as a document carrying the error. An interrupt (ctx)
// or an emit error stops the work: no domain is checked for nobody, what
// completed is emitted, and a domain cut short by the interrupt is not.
//
// The error is emit's, or an *InputError when the list could not be read
// to its end, or ErrNoDomains when the input held no domain at all, or
// the resolver's (nothing was checked).
func (c *Checker) CheckMany(ctx context.Context, in Bulk, req CheckRequest, emit func(*document.Check) error) error {
	p, err := c.plan(req)
	if err != nil {
		return err
	}
	work, stopWork := context.WithCancel(ctx)
	defer stopWork()
	concurrency := min(max(in.Concurrency, 1), MaxConcurrency)
	// No slot per possible worker: the results buffer is small whatever
	// --concurrency says, and workers start only as jobs arrive, so a
	// short list under a large --concurrency starts one per domain.
	jobs := make(chan *bulkJob) // by pointer: a job received by value sits in the worker's frame twice
	results := make(chan bulkResult, min(concurrency, 64))
	// A domain holds a place in the window from the moment it is handed
	// to a worker until its document is emitted. In input order a slow
	// domain holds back every document finished after it; the window
	// bounds them (fewer than 2 x concurrency wait behind it, and then the
	// workers wait too) instead of letting the whole list's documents
	// pile up in memory behind one domain that takes --timeout.
	window := make(chan struct{}, 2*concurrency)
	var (
		readErr  error
		jobCount int
		workers  sync.WaitGroup
	)
	worker := func() {
		defer workers.Done()
		for j := range jobs {
			rep := p.job(work, j)
			if rep == nil {
				continue // interrupted mid-domain: incomplete, so never emitted
			}
			results <- bulkResult{idx: j.idx, rep: rep}
		}
	}
	go func() {
		started := 0
		readErr = produceBulkJobs(in.Args, in.List, in.Shard, func(j bulkJob) bool {
			if started < concurrency {
				started++
				workers.Add(1)
				go worker()
			}
			select {
			case window <- struct{}{}:
			case <-work.Done():
				return false
			}
			select {
			case jobs <- &j:
				jobCount++
				return true
			case <-work.Done():
				return false
			}
		})
		close(jobs)
		workers.Wait()
		close(results)
	}()

	err = emitInOrder(results, in.InOrder, func(d *document.Check) error {
		<-window
		return emit(d)
	}, in.Idle)
	if err != nil {
		stopWork()
	}
	// Drain so that workers never block on a dead writer.
	for range results {
	}
	if err != nil {
		return err
	}
	if readErr != nil {
		return &InputError{Err: readErr}
	}
	if jobCount == 0 && ctx.Err() == nil {
		return ErrNoDomains
	}
	return nil
}

// job checks the domain of j, or reports the line that is not one. It is
// nil when work ended before the domain's document was complete. The
// document is built here, in a frame of its own, rather than in the
// worker's, which is at the top of the stack of every domain in flight
// while its lookups wait (docs/performance.md, "Memory per domain in
// flight").
//
//go:noinline
func (p *checkPlan) job(work context.Context, j *bulkJob) *document.Check {
	if j.err != nil {
		return &document.Check{SchemaVersion: report.SchemaVersion, Input: j.input, Error: j.err.Error(),
			Result: discover.Result{MX: []discover.Exchange{}}, Findings: []report.Finding{}}
	}
	rep := p.check(work, j.domain)
	if work.Err() != nil {
		return nil
	}
	if j.input != j.domain {
		rep.Input = j.input
	}
	if j.unicode != j.domain {
		rep.DomainUnicode = j.unicode
	}
	return rep
}

// bulkJob is one domain to check; idx is its position in the input.
type bulkJob struct {
	idx     int
	input   string
	domain  string // A-label form
	unicode string // U-label form
	err     error
}

type bulkResult struct {
	idx int
	rep *document.Check
}

// emitInOrder hands each document to emit: in completion order, or in
// input order (holding back those that finished early). An interrupted
// run leaves gaps: what completed is emitted, in order. It stops at the
// first emit error. idle (if not nil) is called each time nothing more
// can be emitted until another result arrives (see Bulk.Idle).
func emitInOrder(results <-chan bulkResult, inOrder bool, emit func(*document.Check) error, idle func() error) error {
	pending := map[int]*document.Check{}
	next := 0
	for r := range results {
		if !inOrder {
			if err := emit(r.rep); err != nil {
				return err
			}
		} else {
			pending[r.idx] = r.rep
			for rep, ok := pending[next]; ok; rep, ok = pending[next] {
				delete(pending, next)
				next++
				if err := emit(rep); err != nil {
					return err
				}
			}
		}
		if idle != nil && len(results) == 0 {
			if err := idle(); err != nil {
				return err
			}
		}
	}
	for i := next; len(pending) > 0; i++ {
		if rep, ok := pending[i]; ok {
			delete(pending, i)
			if err := emit(rep); err != nil {
				return err
			}
		}
	}
	return nil
}

// produceBulkJobs hands every distinct domain of the shard to job,
// arguments first, until job returns false. The shard is picked before
// duplicates are dropped: a domain's copies all belong to one share.
// A line that is not a domain becomes a job carrying the error, so that
// it is reported in place (and the exit code is 2).
func produceBulkJobs(args []string, in io.Reader, shard target.Shard, job func(bulkJob) bool) error {
	// Duplicates are found by a 64-bit hash of the A-label name: 8 bytes a
	// domain instead of the name itself, so that 100k-domain lists stay
	// small; a false duplicate needs a collision (about 1 in 10^9 at 100k).
	seen := make(map[uint64]struct{}, len(args))
	seed := maphash.MakeSeed()
	idx := 0
	send := func(input string) bool {
		if !shard.OwnsLine(input) {
			return true
		}
		d, u, err := ParseDomain(input)
		if err == nil {
			h := maphash.String(seed, d)
			if _, dup := seen[h]; dup {
				return true
			}
			seen[h] = struct{}{}
		}
		j := bulkJob{idx: idx, input: input, domain: d, unicode: u, err: err}
		idx++
		return job(j)
	}
	for _, a := range args {
		if !send(a) {
			return nil
		}
	}
	if in == nil {
		return nil
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !send(s) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the domain list at line %d: %w", line+1, err)
	}
	return nil
}

// ParseDomain normalises one domain of check as users paste it ("User@Example.ORG.",
// URLs, U-labels: pkg/target, which also has the fast path for the plain
// names of bulk input) and returns its A-label and U-label forms. IP
// addresses and '-' are bad input.
func ParseDomain(s string) (ascii, unicode string, err error) {
	if strings.TrimSpace(s) == "-" {
		return "", "", errors.New("'-' is not a domain; use -f - to read domains from stdin")
	}
	t, err := target.Parse(s)
	if err != nil {
		return "", "", err
	}
	return t.ASCII, t.Unicode, nil
}
