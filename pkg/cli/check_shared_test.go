package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// A bulk run probes each exchange name and address once, however many
// domains name that exchange (a provider's customers), and reports the
// probe in every such domain's document, marked reused after the first.
func TestBulkCheckProbesASharedExchangeOnce(t *testing.T) {
	withIPv6 := smtptest.IPv6Available()
	zone := `a.test. MX 10 mx.shared.test.
b.test. MX 10 MX.Shared.TEST.
c.test. MX 10 mx.shared.test.
d.test. MX 10 mx.other.test.
mx.shared.test. A 127.0.0.1
mx.other.test. A 127.0.0.1
1.0.0.127.in-addr.arpa. PTR mx.shared.test.
`
	script := smtptest.Script{BannerName: "mx.shared.test"}
	var s4, s6 *smtptest.Server
	var err error
	if withIPv6 {
		zone += "mx.shared.test. AAAA ::1\n" + addr.ReverseName(netip.IPv6Loopback()) + " PTR mx.shared.test.\n"
		s4, s6, err = smtptest.StartPair(script, script)
	} else {
		s4, err = smtptest.Start(script)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s4.Close()
		if s6 != nil {
			s6.Close()
		}
	})
	dns := dnstest.New(t, zone)
	// All four at once (the probes shared while under way), then one after
	// another (shared once done).
	for _, concurrency := range []string{"4", "1"} {
		t.Run("concurrency "+concurrency, func(t *testing.T) {
			sharedRun(t, dns, s4, s6, concurrency)
		})
	}

	if check := docSection(t, "../../docs/json.md", "check"); !strings.Contains(check, "`probes[].reused`") {
		t.Error("docs/json.md's check section does not document probes[].reused")
	}
}

// sharedRun checks the four domains at the given concurrency and the
// probes the servers took and the documents reported.
func sharedRun(t *testing.T, dns *dnstest.Server, s4, s6 *smtptest.Server, concurrency string) {
	accepted4, accepted6 := s4.Accepted(), 0
	if s6 != nil {
		accepted6 = s6.Accepted()
	}
	out, errOut, code := runInProcess(t, context.Background(), "a.test\nb.test\nc.test\nd.test\n",
		"check", "--resolver", dns.Addr4(), "--port", fmt.Sprint(s4.Addr().Port()), "--no-starttls",
		"--ignore", "MC201", "--timeout", "20s", "--concurrency", concurrency, "-o", "jsonl", "-f", "-")
	if code == ExitUsage || code == ExitInterrupted {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	// mx.shared.test and mx.other.test at 127.0.0.1, mx.shared.test at ::1.
	if got := s4.Accepted() - accepted4; got != 2 {
		t.Errorf("the IPv4 server took %d connections for 4 domains, want 2 (one per exchange name)", got)
	}
	if s6 != nil {
		if got := s6.Accepted() - accepted6; got != 1 {
			t.Errorf("the IPv6 server took %d connections for 3 domains, want 1", got)
		}
	}
	type probe struct {
		Host   string `json:"host"`
		IP     string `json:"ip"`
		Status string `json:"status"`
		Reused bool   `json:"reused"`
	}
	fresh := map[string]int{}  // host and address -> probes not marked reused
	reused := map[string]int{} // ... and marked reused
	hosts := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var doc struct {
			Domain string  `json:"domain"`
			Probes []probe `json:"probes"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, p := range doc.Probes {
			if p.Status != "ok" {
				t.Errorf("%s: probe of %s %s: %s", doc.Domain, p.Host, p.IP, p.Status)
			}
			k := strings.ToLower(p.Host) + " " + p.IP
			if p.Reused {
				reused[k]++
			} else {
				fresh[k]++
			}
			if p.IP == "127.0.0.1" {
				hosts[doc.Domain] = p.Host
			}
		}
	}
	want := map[string][2]int{"mx.shared.test 127.0.0.1": {1, 2}, "mx.other.test 127.0.0.1": {1, 0}}
	if s6 != nil {
		want["mx.shared.test ::1"] = [2]int{1, 2}
	}
	for k, w := range want {
		if fresh[k] != w[0] || reused[k] != w[1] {
			t.Errorf("%s: %d probes, %d reused; want %d and %d", k, fresh[k], reused[k], w[0], w[1])
		}
	}
	for _, d := range []string{"a.test", "b.test", "c.test"} {
		if hosts[d] != "mx.shared.test" {
			t.Errorf("%s's probe of 127.0.0.1 is of %q, want its own exchange mx.shared.test", d, hosts[d])
		}
	}
	if hosts["d.test"] != "mx.other.test" {
		t.Errorf("d.test's probe of 127.0.0.1 is of %q, want its own exchange mx.other.test", hosts["d.test"])
	}
}

// --compare-live checks each domain over the zone change and over live DNS
// at once; where both sides name the same exchange addresses, each is
// probed once for both, so that the comparison never blames the change for
// two probes that disagreed.
func TestCompareLiveProbesEachAddressOnceForBothSides(t *testing.T) {
	s4, err := smtptest.Start(smtptest.Script{BannerName: "mx.ok.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s4.Close() })
	live := dnstest.New(t, `ok.test. MX 10 mx.ok.test.
mx.ok.test. A 127.0.0.1
1.0.0.127.in-addr.arpa. PTR mx.ok.test.
`)
	// The change adds a record that has nothing to do with the exchange.
	zone := filepath.Join(t.TempDir(), "ok.test.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN ok.test.
$TTL 300
@   SOA ns1 hostmaster 2 3600 600 86400 300
@   NS  ns1
@   MX  10 mx
@   TXT "v=spf1 -all"
mx  A   127.0.0.1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, context.Background(), "", "check", "--resolver", live.Addr4(), "-4",
		"--port", fmt.Sprint(s4.Addr().Port()), "--no-starttls", "--ignore", "MC201", "--timeout", "20s",
		"--compare-live", "--zone", zone, "-o", "json", "ok.test")
	if code == ExitUsage || code == ExitInterrupted {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if got := s4.Accepted(); got != 1 {
		t.Errorf("the server took %d connections for the two sides, want 1", got)
	}
	var doc struct {
		Probes []struct {
			Status string `json:"status"`
		} `json:"probes"`
		Changes map[string]any `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Probes) != 1 || doc.Probes[0].Status != "ok" {
		t.Errorf("probes %+v, want one, ok", doc.Probes)
	}
	if lost := doc.Changes["families_lost"]; lost == nil || len(lost.([]any)) != 0 {
		t.Errorf("families_lost %v, want none", lost)
	}
}
