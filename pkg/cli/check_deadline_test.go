package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// fixedSources is a sender route source that names documentation
// addresses as this host's source addresses, so that the sender audit has
// something to look up whatever the test machine's routes are.
type fixedSources struct{}

func (fixedSources) Source(ctx context.Context, dst netip.Addr) (netip.Addr, error) {
	if dst.Is4() {
		return netip.MustParseAddr("192.0.2.25"), nil
	}
	return netip.MustParseAddr("2001:db8::25"), nil
}

// --timeout bounds one domain (DESIGN.md): the sender audit of check
// --sender runs under the domain's deadline, not a fresh one after the
// receiving side used it up. Every DNS answer here takes longer than half
// the timeout, so a second deadline would double the wall time.
func TestCheckSenderFinishesWithinOneTimeoutWithASlowResolver(t *testing.T) {
	const timeout = 2 * time.Second
	s := dnstest.New(t, bulkZone(1), dnstest.WithDelay(1500*time.Millisecond))
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:          &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Global:      &GlobalOptions{},
		NewResolver: defaultResolver,
		Now:         time.Now,
		Hostname:    func() (string, error) { return "mail.bulk.test", nil },
		// The audit's addresses come from this fake, never the kernel.
		SenderRoutes: fixedSources{},
	}
	start := time.Now()
	code := RunWith(context.Background(), f, []string{"check", "--resolver", s.Addr4(), "--timeout", timeout.String(),
		"--dns-only", "--sender", "-o", "json", "d0.bulk.test"})
	elapsed := time.Since(start)
	if elapsed > timeout+time.Second {
		t.Errorf("check --sender took %s with --timeout %s: the sender audit had a deadline of its own", elapsed.Round(time.Millisecond), timeout)
	}
	if code == ExitUsage {
		t.Fatalf("exit 2: %s", errOut.String())
	}
	var doc struct {
		Sender *struct {
			Senders []struct {
				IP string `json:"ip"`
			} `json:"senders"`
		} `json:"sender"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	// Cut short or not, the report carries the sender audit of both
	// source addresses.
	if doc.Sender == nil || len(doc.Sender.Senders) != 2 {
		t.Errorf("sender %+v", doc.Sender)
	}
}
