package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// TestBulkDNSNeverNeedsMoreThanAGoroutinesFirst8KB guards the frame work
// of docs/performance.md ("Memory per domain in flight"): no goroutine of
// a bulk --dns-only run may need more than 8 KB of stack. One that does
// gets a 16 KB stack, and a worker keeps it for the rest of the run (the
// runtime shrinks a stack only when less than a quarter of it is in use,
// and a worker waiting on a lookup uses more): at 1,000 domains in flight
// that was 8 MB more. The run happens in a child process under
// debug.SetMaxStack(8192), where a goroutine that needs more crashes the
// process and prints the path that did.
func TestBulkDNSNeverNeedsMoreThanAGoroutinesFirst8KB(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation makes every frame bigger; the limit is for the release build")
	}
	if os.Getenv("MAILCHECK_STACK_CHILD") == "1" {
		bulkUnderStackLimit(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBulkDNSNeverNeedsMoreThanAGoroutinesFirst8KB$", "-test.count=1")
	// The collector must not shrink the stack the child's own goroutine
	// grows on purpose (bulkUnderStackLimit).
	cmd.Env = append(os.Environ(), "MAILCHECK_STACK_CHILD=1", "GODEBUG=gcshrinkstackoff=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		const keep = 6000
		if len(out) > keep {
			out = out[:keep] // the crash and the deep goroutine's frames come first
		}
		t.Fatalf("a bulk run needed more than 8 KB of stack on some goroutine (%v):\n%s", err, out)
	}
}

// bulkUnderStackLimit checks 400 domains of the bench harness's shape,
// 100 at a time, with every goroutine's stack limited to 8 KB.
func bulkUnderStackLimit(t *testing.T) {
	const conc = 100
	n := 4 * conc
	s, err := dnstest.Start(inFlightZone(n), dnstest.WithoutQueryLog(), dnstest.WithDelay(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "d%d.bulk.test\n", i)
	}
	r, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := &Checker{Resolver: func() (dnsq.Resolver, error) { return r, nil }, IPv4: true, IPv6: true, Timeout: 30 * time.Second}
	// The limit is for the goroutines the run starts for its domains. This
	// one plans the run and then waits for it, as the command's goroutine
	// does under cobra's frames: one goroutine, whatever the run's size,
	// so it grows its stack beforehand and keeps it.
	growStack(64 << 10)
	defer debug.SetMaxStack(debug.SetMaxStack(8192))
	ok := 0
	err = c.CheckMany(context.Background(), Bulk{List: strings.NewReader(list.String()), Concurrency: conc},
		CheckRequest{DNSOnly: true}, func(d *document.Check) error {
			if d.MXStatus == "ok" && len(d.MX) == 1 && len(d.MX[0].Addresses) == 2 {
				ok++
			}
			return nil
		})
	if err != nil || ok < n/2 {
		t.Fatalf("err %v: %d of %d domains fully answered", err, ok, n)
	}
}

// growStack uses about n bytes of the calling goroutine's stack, so that
// the runtime grows it to at least that size.
//
//go:noinline
func growStack(n int) byte {
	var pad [1024]byte
	pad[n%len(pad)] = byte(n)
	if n <= len(pad) {
		return pad[0]
	}
	return growStack(n-len(pad)) + pad[n%len(pad)]
}
