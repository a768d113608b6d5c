package audit

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// stuck is a resolver that never answers: every lookup waits for its
// context to end.
type stuck struct{}

func wait(ctx context.Context) dnsq.Result {
	<-ctx.Done()
	return dnsq.Result{Status: dnsq.StatusTimeout, Err: ctx.Err()}
}

func (stuck) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	return dnsq.MXResult{Result: wait(ctx)}
}
func (stuck) LookupA(ctx context.Context, name string) dnsq.AddrResult {
	return dnsq.AddrResult{Result: wait(ctx)}
}
func (stuck) LookupAAAA(ctx context.Context, name string) dnsq.AddrResult {
	return dnsq.AddrResult{Result: wait(ctx)}
}
func (stuck) LookupPTR(ctx context.Context, ip netip.Addr) dnsq.NameResult {
	return dnsq.NameResult{Result: wait(ctx)}
}
func (stuck) LookupTXT(ctx context.Context, name string) dnsq.TXTResult {
	return dnsq.TXTResult{Result: wait(ctx)}
}

type docSources struct{}

func (docSources) Source(ctx context.Context, dst netip.Addr) (netip.Addr, error) {
	if dst.Is4() {
		return netip.MustParseAddr("192.0.2.25"), nil
	}
	return netip.MustParseAddr("2001:db8::25"), nil
}

// One deadline per domain: the receiving-side run and the sender audit
// both wait on a resolver that never answers, and the check still ends at
// the Checker's timeout, not at twice it.
func TestCheckRunsTheSenderAuditUnderTheDomainsOneDeadline(t *testing.T) {
	// The bound is the issue's: --timeout plus one second (room for a
	// loaded machine); two deadlines one after the other would take 4s.
	const timeout = 2 * time.Second
	c := &Checker{
		Resolver:     func() (dnsq.Resolver, error) { return stuck{}, nil },
		SenderRoutes: docSources{},
		IPv4:         true, IPv6: true, Timeout: timeout,
	}
	start := time.Now()
	rep, err := c.Check(context.Background(), "example.org", CheckRequest{DNSOnly: true, Sender: true})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > timeout+time.Second {
		t.Errorf("check took %s with a %s deadline", elapsed.Round(time.Millisecond), timeout)
	}
	if !rep.Partial || rep.Sender == nil || len(rep.Sender.Senders) != 2 {
		t.Errorf("partial %v, sender %+v", rep.Partial, rep.Sender)
	}
	codes := make([]string, len(rep.Findings))
	for i, f := range rep.Findings {
		codes[i] = f.Code
	}
	if !slices.Contains(codes, "MC903") {
		t.Errorf("findings %v lack MC903 (cut short by the deadline)", codes)
	}
}
