package audit

import (
	"context"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

func fakeStages(f Facts, probeStarted chan netip.Addr) Stages {
	byIP := map[netip.Addr]smtpprobe.Result{}
	for _, r := range f.Probes {
		byIP[r.IP] = r
	}
	return Stages{
		Discover: func(ctx context.Context, domain string, ready func(string, []netip.Addr), res *discover.Result) {
			for _, x := range f.Discovery.MX {
				var ips []netip.Addr
				for _, a := range x.Addresses {
					ips = append(ips, a.IP)
				}
				if ready != nil {
					ready(x.Host, ips)
				}
			}
			// Reverse DNS is slow: the probes must not wait for it.
			if probeStarted != nil {
				select {
				case <-probeStarted:
				case <-ctx.Done():
				}
			}
			*res = f.Discovery
		},
		Probe: func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
			if probeStarted != nil {
				select {
				case probeStarted <- ip:
				default:
				}
			}
			return byIP[ip]
		},
	}
}

func TestRunStartsProbesBeforeDiscoveryFinishes(t *testing.T) {
	f := healthy()
	// Buffered: a probe that starts before discovery waits for it must not
	// lose its signal (the send below never blocks).
	started := make(chan netip.Addr, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep := Run(ctx, "example.org", Options{WantIPv4: true, WantIPv6: true, Policy: sandboxPolicy()}, fakeStages(f, started))
	if rep.Partial {
		t.Fatal("discovery waited for the deadline: no probe started while it ran")
	}
	if len(rep.Probes) != 4 {
		t.Fatalf("%d probes", len(rep.Probes))
	}
	for i, want := range []string{"192.0.2.10", "2001:db8:1::10", "198.51.100.20", "2001:db8:2::20"} {
		if rep.Probes[i].IP.String() != want {
			t.Errorf("probe %d is %s, want %s (discovery order)", i, rep.Probes[i].IP, want)
		}
	}
}

func TestRunProbesEachAddressOnceAndSkipsUnwantedFamilies(t *testing.T) {
	f := healthy()
	f.Discovery.MX[1].Addresses = f.Discovery.MX[0].Addresses // shared addresses
	var n atomic.Int32
	st := fakeStages(f, nil)
	probe := st.Probe
	st.Probe = func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
		n.Add(1)
		return probe(ctx, host, ip)
	}
	rep := Run(context.Background(), "example.org", Options{WantIPv4: true, Policy: sandboxPolicy()}, st)
	if n.Load() != 1 || len(rep.Probes) != 1 || rep.Probes[0].Family != "ipv4" {
		t.Fatalf("%d probe calls, probes %+v", n.Load(), rep.Probes)
	}
}

func TestRunKeepsPartialResultsAtTheDeadline(t *testing.T) {
	f := healthy()
	st := fakeStages(f, nil)
	st.Probe = func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
		if ip.Is6() {
			<-ctx.Done() // a blackholed address
			return smtpprobe.Result{Host: host, IP: ip, Family: "ipv6", Port: 25, Status: smtpprobe.StatusTimeout, Phase: smtpprobe.PhaseConnect}
		}
		return probeOK(host, ip.String(), host)
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	rep := Run(ctx, "example.org", Options{WantIPv4: true, WantIPv6: true, Policy: sandboxPolicy()}, st)
	if el := time.Since(begin); el > 2*time.Second {
		t.Fatalf("run took %s with a 200ms deadline", el)
	}
	if !rep.Partial || len(rep.Probes) != 4 {
		t.Fatalf("partial %v probes %d", rep.Partial, len(rep.Probes))
	}
	var codes []string
	for _, f := range rep.Findings {
		codes = append(codes, f.Code)
	}
	if !strings.Contains(strings.Join(codes, " "), "MC903") {
		t.Errorf("no MC903 in %v", codes)
	}
}

func TestRunDNSOnlyProbesNothing(t *testing.T) {
	st := fakeStages(healthy(), nil)
	st.Probe = nil
	rep := Run(context.Background(), "example.org", Options{WantIPv4: true, WantIPv6: true, Policy: sandboxPolicy()}, st)
	if rep.Probed || len(rep.Probes) != 0 || len(rep.Findings) != 1 || rep.Findings[0].Code != "MC905" {
		t.Fatalf("%+v", rep.Findings)
	}
}
