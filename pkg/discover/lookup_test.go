package discover

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// heldA answers A lookups once release is closed, counting the lookups
// that reach it.
type heldA struct {
	*dnsq.Mock
	release chan struct{}
	calls   atomic.Int32
}

func (r *heldA) LookupA(ctx context.Context, name string) dnsq.AddrResult {
	r.calls.Add(1)
	<-r.release
	return r.Mock.LookupA(ctx, name)
}

// Askers of one question share one lookup: those that come while it is
// out wait for its answer, those that come after get it at once; another
// question is asked on its own.
func TestOnceResolverAsksEachQuestionOnceAndSharesTheAnswer(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.7")
	r := &heldA{Mock: &dnsq.Mock{A: map[string][]netip.Addr{"mx.example.": {ip}, "other.example.": {ip}}}, release: make(chan struct{})}
	o := newOnceResolver(r, 4)
	ctx := context.Background()
	const askers = 8
	got := make(chan dnsq.AddrResult, askers)
	var wg sync.WaitGroup
	for range askers {
		wg.Go(func() { got <- o.LookupA(ctx, "mx.example") })
	}
	for end := time.Now().Add(5 * time.Second); r.calls.Load() == 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the other askers join meanwhile
	select {
	case a := <-got:
		t.Fatalf("an asker returned %v before the answer came", a)
	default:
	}
	close(r.release)
	wg.Wait()
	close(got)
	for a := range got {
		if a.Status != dnsq.StatusOK || len(a.Addrs) != 1 || a.Addrs[0] != ip {
			t.Errorf("asker got %+v, want the answer %v", a, ip)
		}
	}
	if late := o.LookupA(ctx, "mx.example."); late.Status != dnsq.StatusOK || len(late.Addrs) != 1 {
		t.Errorf("asker after the answer got %+v", late)
	}
	if n := r.calls.Load(); n != 1 {
		t.Errorf("%d lookups reached the resolver for one question, want 1", n)
	}
	o.LookupA(ctx, "other.example")
	if n := r.calls.Load(); n != 2 {
		t.Errorf("%d lookups after a second question, want 2", n)
	}
}
