package audit

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func mxAddr(ip, ptr string) discover.Address {
	a := netip.MustParseAddr(ip)
	ad := discover.Address{IP: a, Family: addr.Family(a), Class: discover.ClassPublic,
		PTRStatus: dnsq.StatusOK, FCrDNS: iprev.StatusPass}
	if ptr != "" {
		ad.PTR = []string{ptr}
		ad.Confirmed = []string{ptr}
	}
	return ad
}

func probeOK(host, ip, ehlo string) smtpprobe.Result {
	a := netip.MustParseAddr(ip)
	return smtpprobe.Result{
		Host: host, IP: a, Family: addr.Family(a), Port: 25, Status: smtpprobe.StatusOK,
		BannerCode: 220, Banner: ehlo + " ESMTP Postfix", EHLOName: ehlo,
		Extensions: []string{"PIPELINING", "STARTTLS"}, StartTLS: true,
		TLS: &smtpprobe.TLSInfo{Version: "TLS1.3", CertNames: []string{host}, NotAfter: "2027-03-01T00:00:00Z", Verified: true},
	}
}

// healthy is a dual-stack domain with two MX hosts in different networks,
// forward-confirmed PTRs, STARTTLS and valid certificates everywhere.
func healthy() Facts {
	return Facts{
		Discovery: discover.Result{
			Domain: "example.org", MXStatus: dnsq.StatusOK,
			MX: []discover.Exchange{
				{Preference: 10, Host: "mx1.example.org", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
					Addresses: []discover.Address{mxAddr("192.0.2.10", "mx1.example.org"), mxAddr("2001:db8:1::10", "mx1.example.org")}},
				{Preference: 20, Host: "mx2.example.org", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
					Addresses: []discover.Address{mxAddr("198.51.100.20", "mx2.example.org"), mxAddr("2001:db8:2::20", "mx2.example.org")}},
			},
		},
		WantIPv4: true, WantIPv6: true, Probed: true, StartTLSAttempted: true,
		Probes: []smtpprobe.Result{
			probeOK("mx1.example.org", "192.0.2.10", "mx1.example.org"),
			probeOK("mx1.example.org", "2001:db8:1::10", "mx1.example.org"),
			probeOK("mx2.example.org", "198.51.100.20", "mx2.example.org"),
			probeOK("mx2.example.org", "2001:db8:2::20", "mx2.example.org"),
		},
	}
}

// sandboxPolicy leaves out the documentation-range findings the fixtures
// would otherwise raise.
func sandboxPolicy() Policy { return Policy{Now: now, Sandbox: true} }

func codes(v Verdict) []string {
	var c []string
	for _, f := range v.Findings {
		c = append(c, f.Code)
	}
	return c
}

func TestEvaluateFindsNothingWrongWithAHealthyDualStackDomain(t *testing.T) {
	v := Evaluate(healthy(), sandboxPolicy())
	if len(v.Findings) != 0 || v.Undetermined {
		t.Fatalf("findings %v undetermined %v", codes(v), v.Undetermined)
	}
}

func TestEvaluateReportsEachFault(t *testing.T) {
	mx1 := func(f *Facts) *discover.Exchange { return &f.Discovery.MX[0] }
	probe := func(f *Facts, ip string) *smtpprobe.Result {
		for i := range f.Probes {
			if f.Probes[i].IP.String() == ip {
				return &f.Probes[i]
			}
		}
		panic(ip)
	}
	down := func(f *Facts, ip string, st smtpprobe.Status) {
		p := probe(f, ip)
		*p = smtpprobe.Result{Host: p.Host, IP: p.IP, Family: p.Family, Port: 25, Status: st, Phase: smtpprobe.PhaseConnect}
	}
	cases := []struct {
		name   string
		mutate func(*Facts, *Policy)
		want   []string // codes that must be present
		not    []string // codes that must be absent
	}{
		{"NXDOMAIN", func(f *Facts, p *Policy) { f.Discovery.MXStatus = dnsq.StatusNXDomain; f.Discovery.MX = nil }, []string{"MC102"}, []string{"MC109"}},
		{"MX SERVFAIL", func(f *Facts, p *Policy) { f.Discovery.MXStatus = dnsq.StatusServFail; f.Discovery.MX = nil }, []string{"MC101"}, nil},
		{"null MX", func(f *Facts, p *Policy) { f.Discovery.NullMX = true; f.Discovery.MX = nil; f.Probes = nil }, []string{"MC103"}, []string{"MC110", "MC305"}},
		{"null MX mixed", func(f *Facts, p *Policy) { f.Discovery.NullMXMixed = true }, []string{"MC110"}, []string{"MC103"}},
		{"implicit MX", func(f *Facts, p *Policy) { f.Discovery.ImplicitMX = true }, []string{"MC104"}, nil},
		{"MX is CNAME", func(f *Facts, p *Policy) { mx1(f).CNAME = []string{"real.example.net."} }, []string{"MC105"}, nil},
		{"MX is IP literal", func(f *Facts, p *Policy) { mx1(f).IPLiteral = true; mx1(f).Host = "192.0.2.10" }, []string{"MC106"}, nil},
		{"MX host without address", func(f *Facts, p *Policy) {
			x := mx1(f)
			x.Addresses, x.AStatus, x.AAAAStatus = nil, dnsq.StatusNXDomain, dnsq.StatusNXDomain
		}, []string{"MC107"}, []string{"MC109", "MC108"}},
		{"MX host AAAA SERVFAIL", func(f *Facts, p *Policy) {
			x := mx1(f)
			x.Addresses, x.AAAAStatus = x.Addresses[:1], dnsq.StatusServFail
		}, []string{"MC108"}, nil},
		{"no MX host has an address", func(f *Facts, p *Policy) {
			for i := range f.Discovery.MX {
				x := &f.Discovery.MX[i]
				x.Addresses, x.AStatus, x.AAAAStatus = nil, dnsq.StatusNoData, dnsq.StatusNoData
			}
			f.Probes = nil
		}, []string{"MC107", "MC109"}, nil},
		{"expected MX absent", func(f *Facts, p *Policy) { p.Expect.MX = []string{"mx3.example.org."} }, []string{"MC111"}, nil},
		{"expected MX present", func(f *Facts, p *Policy) { p.Expect.MX = []string{"MX1.example.org"} }, nil, []string{"MC111"}},
		{"loopback AAAA", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[1].Class = discover.ClassLoopback }, []string{"MC201"}, nil},
		{"unspecified", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[0].Class = discover.ClassUnspecified }, []string{"MC202"}, nil},
		{"link-local", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[1].Class = discover.ClassLinkLocal }, []string{"MC203"}, nil},
		{"IPv4-mapped", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[1].Class = discover.ClassIPv4Mapped }, []string{"MC204"}, nil},
		{"private", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[0].Class = discover.ClassPrivate }, []string{"MC205"}, nil},
		{"ULA", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[1].Class = discover.ClassULA }, []string{"MC206"}, nil},
		{"documentation without sandbox", func(f *Facts, p *Policy) {
			p.Sandbox = false
			for i := range f.Discovery.MX {
				for j := range f.Discovery.MX[i].Addresses {
					f.Discovery.MX[i].Addresses[j].Class = discover.ClassDocumentation
				}
			}
		}, []string{"MC207"}, nil},
		{"multicast", func(f *Facts, p *Policy) { p.Sandbox = false; mx1(f).Addresses[0].Class = discover.ClassMulticast }, []string{"MC208"}, nil},
		{"sandbox leaves address classes out", func(f *Facts, p *Policy) { mx1(f).Addresses[1].Class = discover.ClassLoopback }, nil, []string{"MC201"}},
		{"missing PTR", func(f *Facts, p *Policy) {
			a := &mx1(f).Addresses[1]
			a.PTR, a.Confirmed, a.PTRStatus, a.FCrDNS = nil, nil, dnsq.StatusNXDomain, iprev.StatusNone
		}, []string{"MC210"}, []string{"MC311"}},
		{"PTR not confirmed", func(f *Facts, p *Policy) { mx1(f).Addresses[0].FCrDNS = iprev.StatusFail }, []string{"MC211"}, nil},
		{"PTR temperror", func(f *Facts, p *Policy) { mx1(f).Addresses[0].FCrDNS = iprev.StatusTempError }, []string{"MC212"}, nil},
		{"PTR timed out in a run the deadline cut", func(f *Facts, p *Policy) {
			f.DeadlineHit = true
			a := &mx1(f).Addresses[0]
			a.FCrDNS, a.PTRStatus, a.PTRError = iprev.StatusTempError, dnsq.StatusTimeout, "PTR 1.2.0.192.in-addr.arpa: timeout: no answer in time"
		}, []string{"MC903"}, []string{"MC212"}},
		{"PTR SERVFAIL in a run the deadline cut", func(f *Facts, p *Policy) {
			f.DeadlineHit = true
			a := &mx1(f).Addresses[0]
			a.FCrDNS, a.PTRStatus, a.PTRError = iprev.StatusTempError, dnsq.StatusServFail, "PTR 1.2.0.192.in-addr.arpa: servfail"
		}, []string{"MC903", "MC212"}, nil},
		{"PTR malformed", func(f *Facts, p *Policy) { mx1(f).Addresses[0].FCrDNS = iprev.StatusPermError }, []string{"MC213"}, nil},
		{"generic PTR", func(f *Facts, p *Policy) {
			mx1(f).Addresses[0].PTR = []string{"192-0-2-10.dynamic.isp.example"}
		}, []string{"MC214"}, nil},
		{"several PTR", func(f *Facts, p *Policy) {
			mx1(f).Addresses[0].PTR = []string{"mx1.example.org", "other.example.org"}
		}, []string{"MC215"}, nil},
		{"PTR suffix expected and met", func(f *Facts, p *Policy) { p.Expect.PTRSuffix = "example.org." }, nil, []string{"MC216"}},
		{"PTR suffix expected and missed", func(f *Facts, p *Policy) { p.Expect.PTRSuffix = "example.net" }, []string{"MC216"}, nil},
		{"all MX at one address", func(f *Facts, p *Policy) {
			f.Discovery.MX[1].Addresses = f.Discovery.MX[0].Addresses
		}, []string{"MC220"}, []string{"MC221", "MC222"}},
		{"all MX in one /64 and one /24", func(f *Facts, p *Policy) {
			f.Discovery.MX[1].Addresses = []discover.Address{mxAddr("192.0.2.20", "mx2.example.org"), mxAddr("2001:db8:1::20", "mx2.example.org")}
		}, []string{"MC221", "MC222"}, []string{"MC220"}},
		{"IPv6 refused while IPv4 works", func(f *Facts, p *Policy) { down(f, "2001:db8:1::10", smtpprobe.StatusRefused) },
			[]string{"MC301", "MC404"}, []string{"MC405", "MC411", "MC305"}},
		{"IPv4 times out while IPv6 works", func(f *Facts, p *Policy) { down(f, "192.0.2.10", smtpprobe.StatusTimeout) },
			[]string{"MC301", "MC405"}, []string{"MC404"}},
		{"stall after connect", func(f *Facts, p *Policy) {
			down(f, "192.0.2.10", smtpprobe.StatusTimeout)
			probe(f, "192.0.2.10").Phase = smtpprobe.PhaseBanner
		}, []string{"MC314"}, []string{"MC301"}},
		{"5xx greeting", func(f *Facts, p *Policy) {
			down(f, "192.0.2.10", smtpprobe.StatusGreeting5xx)
			probe(f, "192.0.2.10").BannerCode, probe(f, "192.0.2.10").Banner = 554, "5.7.1 no thanks"
		}, []string{"MC302"}, nil},
		{"4xx greeting", func(f *Facts, p *Policy) {
			down(f, "192.0.2.10", smtpprobe.StatusGreeting4xx)
			probe(f, "192.0.2.10").BannerCode, probe(f, "192.0.2.10").Banner = 421, "4.3.2 busy"
		}, []string{"MC303"}, nil},
		{"not SMTP", func(f *Facts, p *Policy) { down(f, "192.0.2.10", smtpprobe.StatusNotSMTP) }, []string{"MC304"}, nil},
		{"nothing accepts SMTP", func(f *Facts, p *Policy) {
			for _, r := range f.Probes {
				down(f, r.IP.String(), smtpprobe.StatusRefused)
			}
		}, []string{"MC305", "MC411"}, []string{"MC404"}},
		{"no STARTTLS", func(f *Facts, p *Policy) {
			r := probe(f, "198.51.100.20")
			r.StartTLS, r.TLS = false, nil
		}, []string{"MC306", "MC408"}, []string{"MC312"}},
		{"no STARTTLS when required", func(f *Facts, p *Policy) {
			r := probe(f, "198.51.100.20")
			r.StartTLS, r.TLS = false, nil
			p.Expect.STARTTLS = true
		}, []string{"MC306", "MC312"}, nil},
		{"TLS handshake fails", func(f *Facts, p *Policy) {
			r := probe(f, "198.51.100.20")
			r.Status, r.TLS = smtpprobe.StatusTLSFailed, nil
		}, []string{"MC307"}, []string{"MC305", "MC301"}},
		{"certificate does not verify", func(f *Facts, p *Policy) { probe(f, "192.0.2.10").TLS.Verified = false }, []string{"MC308"}, nil},
		{"certificate expires soon", func(f *Facts, p *Policy) { probe(f, "192.0.2.10").TLS.NotAfter = "2026-12-05T00:00:00Z" }, []string{"MC309"}, []string{"MC310"}},
		{"certificate expired", func(f *Facts, p *Policy) { probe(f, "192.0.2.10").TLS.NotAfter = "2026-11-01T00:00:00Z" }, []string{"MC310"}, []string{"MC309"}},
		{"EHLO name not the PTR", func(f *Facts, p *Policy) { probe(f, "192.0.2.10").EHLOName = "localhost.localdomain" }, []string{"MC311", "MC406"}, nil},
		{"EHLO not MX name and cert for another name", func(f *Facts, p *Policy) {
			r := probe(f, "192.0.2.10")
			r.EHLOName, r.TLS.Verified, r.TLS.CertNames = "mail.example.net", false, []string{"mail.example.net"}
		}, []string{"MC313", "MC308"}, nil},
		{"banner differs", func(f *Facts, p *Policy) { probe(f, "192.0.2.10").Banner = "mx1.example.org ESMTP Exim 4.96" }, []string{"MC407"}, []string{"MC406"}},
		{"banner timestamps are not a difference", func(f *Facts, p *Policy) {
			probe(f, "192.0.2.10").Banner = "mx1.example.org ESMTP Postfix 12:00:01"
			probe(f, "2001:db8:1::10").Banner = "mx1.example.org ESMTP Postfix 12:00:02"
		}, nil, []string{"MC407"}},
		{"cert differs", func(f *Facts, p *Policy) {
			probe(f, "192.0.2.10").TLS.CertNames = []string{"mx1.example.org", "old.example.org"}
		}, []string{"MC409"}, nil},
		{"no AAAA at all", func(f *Facts, p *Policy) {
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[:1]
				f.Discovery.MX[i].AAAAStatus = dnsq.StatusNoData
			}
			f.Probes = []smtpprobe.Result{f.Probes[0], f.Probes[2]}
		}, []string{"MC401"}, []string{"MC402", "MC410"}},
		{"no AAAA but -4", func(f *Facts, p *Policy) {
			f.WantIPv6 = false
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[:1]
				f.Discovery.MX[i].AAAAStatus = dnsq.StatusSkipped
			}
			f.Probes = []smtpprobe.Result{f.Probes[0], f.Probes[2]}
		}, nil, []string{"MC401"}},
		{"IPv6 expected and missing", func(f *Facts, p *Policy) {
			p.Expect.IPv6 = true
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[:1]
			}
			f.Probes = []smtpprobe.Result{f.Probes[0], f.Probes[2]}
		}, []string{"MC401", "MC402"}, nil},
		{"IPv6 expected, DNS only, no AAAA", func(f *Facts, p *Policy) {
			p.Expect.IPv6, f.Probed, f.Probes, f.DNSOnly = true, false, nil, true
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[:1]
			}
		}, []string{"MC401", "MC402"}, nil},
		{"IPv6 expected and unreachable", func(f *Facts, p *Policy) {
			p.Expect.IPv6 = true
			down(f, "2001:db8:1::10", smtpprobe.StatusRefused)
			down(f, "2001:db8:2::20", smtpprobe.StatusRefused)
		}, []string{"MC402", "MC411"}, []string{"MC401"}},
		{"timeouts at the deadline are not judged", func(f *Facts, p *Policy) {
			f.DeadlineHit = true
			down(f, "2001:db8:1::10", smtpprobe.StatusTimeout)
		}, []string{"MC903"}, []string{"MC301", "MC404"}},
		{"IPv6 expected and present", func(f *Facts, p *Policy) { p.Expect.IPv6 = true }, nil, []string{"MC402"}},
		{"no A at all", func(f *Facts, p *Policy) {
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[1:]
			}
			f.Probes = []smtpprobe.Result{f.Probes[1], f.Probes[3]}
		}, []string{"MC403"}, nil},
		{"AAAA timed out is not no AAAA", func(f *Facts, p *Policy) {
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[:1]
				f.Discovery.MX[i].AAAAStatus = dnsq.StatusTimeout
			}
			f.Probes = []smtpprobe.Result{f.Probes[0], f.Probes[2]}
		}, []string{"MC108"}, []string{"MC401"}},
		{"backup MX IPv4 only", func(f *Facts, p *Policy) {
			f.Discovery.MX[1].Addresses = f.Discovery.MX[1].Addresses[:1]
			f.Probes = f.Probes[:3]
		}, []string{"MC410"}, []string{"MC401"}},
		{"no IPv6 route here", func(f *Facts, p *Policy) {
			down(f, "2001:db8:1::10", smtpprobe.StatusInconclusive)
			down(f, "2001:db8:2::20", smtpprobe.StatusInconclusive)
		}, []string{"MC901"}, []string{"MC404", "MC411", "MC301"}},
		{"port 25 blocked here", func(f *Facts, p *Policy) {
			for _, r := range f.Probes {
				down(f, r.IP.String(), smtpprobe.StatusTimeout)
			}
			f.Port25Blocked = map[string]bool{"ipv4": true, "ipv6": true}
		}, []string{"MC902"}, []string{"MC301", "MC305"}},
		{"deadline and dns-only", func(f *Facts, p *Policy) { f.DeadlineHit, f.DNSOnly, f.Probed = true, true, false },
			[]string{"MC903", "MC905"}, nil},
		{"first attempt to a failing address", func(f *Facts, p *Policy) {
			down(f, "2001:db8:1::10", smtpprobe.StatusTimeout)
			f.Sim = &SimFacts{MTA: "Postfix", ConnectTimeout: 30 * time.Second, AddressLimit: 5, PFirstIPv6: 0.5,
				PFirst: map[netip.Addr]float64{netip.MustParseAddr("192.0.2.10"): 0.5, netip.MustParseAddr("2001:db8:1::10"): 0.5}}
		}, []string{"MC501", "MC503"}, []string{"MC502"}},
		{"MX target not a host name", func(f *Facts, p *Policy) { mx1(f).InvalidName, mx1(f).Host = true, `mx\000evil.example.org` },
			[]string{"MC112"}, []string{"MC109"}},
		{"sole MX target not a host name", func(f *Facts, p *Policy) {
			f.Discovery.MX, f.Probes = f.Discovery.MX[:1], f.Probes[:2]
			mx1(f).InvalidName, mx1(f).Host = true, `mx\000evil.example.org`
		}, []string{"MC112", "MC109"}, nil},
		{"sole MX an alias chain that loops", func(f *Facts, p *Policy) {
			f.Discovery.MX, f.Probes = f.Discovery.MX[:1], nil
			x := mx1(f)
			x.Addresses, x.AStatus, x.AAAAStatus = nil, dnsq.StatusError, dnsq.StatusError
			x.CNAME = []string{"a.example.org", "mx1.example.org"}
		}, []string{"MC105", "MC108"}, []string{"MC109"}},
		{"sole MX host SERVFAIL", func(f *Facts, p *Policy) {
			f.Discovery.MX, f.Probes = f.Discovery.MX[:1], nil
			x := mx1(f)
			x.Addresses, x.AStatus, x.AAAAStatus = nil, dnsq.StatusServFail, dnsq.StatusNoData
		}, []string{"MC108"}, []string{"MC109", "MC107"}},
		{"PTR answered, forward lookup failed", func(f *Facts, p *Policy) {
			a := &mx1(f).Addresses[0]
			a.FCrDNS, a.PTRStatus, a.PTRError = iprev.StatusTempError, dnsq.StatusOK, ""
		}, []string{"MC212"}, nil},
		{"simulated MTA bounces", func(f *Facts, p *Policy) {
			f.Sim = &SimFacts{MTA: "Postfix 3.7.11", PDefer: -1, PBounced: -1, PFirst: map[netip.Addr]float64{},
				Decision: mta.Decision{Action: mta.ActionBounce, DSN: "5.4.6", Reason: "mail for example.org loops back to myself"}}
		}, []string{"MC113"}, nil},
		{"delivery defers", func(f *Facts, p *Policy) {
			f.Sim = &SimFacts{MTA: "Postfix", AddressLimit: 2, PDefer: 0.25, NeverTried: []netip.Addr{netip.MustParseAddr("198.51.100.20")},
				PFirst: map[netip.Addr]float64{netip.MustParseAddr("192.0.2.10"): 1}}
		}, []string{"MC502", "MC504"}, []string{"MC501", "MC503"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, p := healthy(), sandboxPolicy()
			c.mutate(&f, &p)
			v := Evaluate(f, p)
			got := codes(v)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s; got %v", w, got)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("unexpected %s; got %v", n, got)
				}
			}
			seen := map[string]bool{}
			for _, fi := range v.Findings {
				if fi.Subject == "" || fi.Message == "" || fi.Fix == "" {
					t.Errorf("incomplete finding %+v", fi)
				}
				if bad := brokenWording(fi.Message + " / " + fi.Fix); bad != "" {
					t.Errorf("%s reads badly (%s): %s / fix: %s", fi.Code, bad, fi.Message, fi.Fix)
				}
				if k := fi.Code + " " + fi.Subject + " " + fi.Message; seen[k] {
					t.Errorf("finding reported twice: %+v", fi)
				} else {
					seen[k] = true
				}
			}
		})
	}
}

func TestEvaluateIsUndeterminedWhenEveryProbeIsInconclusive(t *testing.T) {
	f := healthy()
	for i := range f.Probes {
		f.Probes[i].Status = smtpprobe.StatusInconclusive
	}
	v := Evaluate(f, sandboxPolicy())
	if !v.Undetermined || report.AtLeast(v.Findings, report.SeverityFail) {
		t.Fatalf("undetermined %v findings %v", v.Undetermined, codes(v))
	}
}

func TestEvaluateIsUndeterminedWhenTheResolverFails(t *testing.T) {
	f := healthy()
	f.Discovery.MXStatus, f.Discovery.MX = dnsq.StatusTimeout, nil
	v := Evaluate(f, sandboxPolicy())
	if !v.Undetermined || !slices.Contains(codes(v), report.CodeResolverFailed) {
		t.Fatalf("undetermined %v findings %v", v.Undetermined, codes(v))
	}
}

func TestEvaluateFixesAreConcreteRecords(t *testing.T) {
	f := healthy()
	a := &f.Discovery.MX[0].Addresses[1]
	a.PTR, a.FCrDNS = nil, iprev.StatusNone
	v := Evaluate(f, sandboxPolicy())
	want := "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR mx1.example.org."
	if len(v.Findings) != 1 || !strings.Contains(v.Findings[0].Fix, want) {
		t.Fatalf("fix %+v, want it to contain %q", v.Findings, want)
	}
}

func TestEvaluateProbesJudgesProbesWithoutDiscovery(t *testing.T) {
	f := healthy()
	f.Probes[1].Status, f.Probes[1].StartTLS, f.Probes[1].TLS = smtpprobe.StatusRefused, false, nil
	v := Evaluate(f, sandboxPolicy())
	pv := EvaluateProbes(ProbeTarget{Name: "example.org"}, f.Probes, sandboxPolicy())
	for _, want := range []string{"MC301", "MC404"} {
		if !slices.Contains(codes(pv), want) || !slices.Contains(codes(v), want) {
			t.Errorf("%s: probe-only %v, full %v", want, codes(pv), codes(v))
		}
	}
	for _, fi := range pv.Findings {
		if strings.HasPrefix(fi.Code, "MC1") || strings.HasPrefix(fi.Code, "MC2") {
			t.Errorf("probe-only evaluation judged DNS: %v", fi)
		}
	}
}

// BenchmarkEvaluate is the per-domain cost of judging a healthy two-MX
// dual-stack domain with probes and a simulation.
func BenchmarkEvaluate(b *testing.B) {
	f := healthy()
	f.Sim = &SimFacts{MTA: "Postfix", PFirstIPv6: 0.5, PFirst: map[netip.Addr]float64{f.Probes[0].IP: 0.5, f.Probes[1].IP: 0.5}}
	p := sandboxPolicy()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(f, p)
	}
}

func TestEvaluateJudgesTheReverseDNSOfASharedAddressOnce(t *testing.T) {
	f := healthy()
	// Both MX names point at one address without a PTR.
	shared := mxAddr("192.0.2.10", "")
	shared.FCrDNS = iprev.StatusNone
	f.Discovery.MX[0].Addresses = []discover.Address{shared}
	f.Discovery.MX[1].Addresses = []discover.Address{shared}
	f.Probes = []smtpprobe.Result{probeOK("mx1.example.org", "192.0.2.10", "mx1.example.org"), probeOK("mx2.example.org", "192.0.2.10", "mx1.example.org")}
	got := 0
	for _, fd := range Evaluate(f, Policy{Now: now}).Findings {
		if fd.Code == report.CodePTRMissing {
			got++
		}
	}
	if got != 1 {
		t.Errorf("%d MC210 findings for one address shared by two MX hosts, want 1", got)
	}
}
