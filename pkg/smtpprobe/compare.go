package smtpprobe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Fields compared across families by Compare.
const (
	FieldBannerName = "banner_name"
	FieldEHLOName   = "ehlo_name"
	FieldExtensions = "extensions"
	FieldStartTLS   = "starttls"
	FieldCert       = "cert" // leaf certificate fingerprint
)

// Difference says that one MX host answers differently over IPv4 and IPv6:
// a sign that the two families reach different machines or configurations
// (a forgotten AAAA pointing at an old server, a load balancer that serves
// only one family). Values are the distinct values seen in each family,
// sorted.
type Difference struct {
	Host  string   `json:"host"`
	Field string   `json:"field"`
	IPv4  []string `json:"ipv4"`
	IPv6  []string `json:"ipv6"`
}

// Compare groups results by MX host and reports every field whose values
// differ between the families. Only hosts probed in both families count;
// names are compared case-insensitively. A field is compared only over
// results that got that far (the banner name needs a greeting, the rest a
// complete session).
func Compare(results []Result) []Difference {
	var hosts []string
	byHost := map[string][]Result{}
	for _, r := range results {
		h := normName(r.Host)
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], r)
	}
	var diffs []Difference
	for _, h := range hosts {
		rs := byHost[h]
		for _, f := range []struct {
			name  string
			value func(Result) (string, bool)
		}{
			{FieldBannerName, func(r Result) (string, bool) {
				return normName(r.BannerName), r.BannerCode != 0 && r.BannerName != ""
			}},
			{FieldEHLOName, func(r Result) (string, bool) {
				return normName(r.EHLOName), r.EHLOName != ""
			}},
			{FieldExtensions, func(r Result) (string, bool) {
				return strings.Join(sortedCopy(r.Extensions), ", "), r.Status == StatusOK
			}},
			{FieldStartTLS, func(r Result) (string, bool) {
				return fmt.Sprint(r.StartTLS), r.Status == StatusOK
			}},
			{FieldCert, func(r Result) (string, bool) {
				if r.TLS == nil || r.TLS.Fingerprint == "" {
					return "", false
				}
				return r.TLS.Fingerprint, true
			}},
		} {
			var v4, v6 []string
			for _, r := range rs {
				v, ok := f.value(r)
				if !ok {
					continue
				}
				if r.Family == addr.IPv4 {
					v4 = addUnique(v4, v)
				} else {
					v6 = addUnique(v6, v)
				}
			}
			if len(v4) == 0 || len(v6) == 0 {
				continue
			}
			slices.Sort(v4)
			slices.Sort(v6)
			if !slices.Equal(v4, v6) {
				diffs = append(diffs, Difference{Host: rs[0].Host, Field: f.name, IPv4: v4, IPv6: v6})
			}
		}
	}
	return diffs
}

// NameCheck compares the name a server gave (in its banner or EHLO reply)
// with the address's PTR names and with the MX name. Receivers and
// diagnostics (MXToolbox "Reverse DNS does not match SMTP Banner") look at
// these; a mismatch is not an RFC violation but often a forgotten
// configuration on one family.
type NameCheck struct {
	Host       string     `json:"host"`
	IP         netip.Addr `json:"ip"`
	Family     string     `json:"family"`
	Field      string     `json:"field"` // banner_name or ehlo_name
	Name       string     `json:"name"`
	PTR        []string   `json:"ptr"`
	MatchesPTR bool       `json:"matches_ptr"`
	MatchesMX  bool       `json:"matches_mx"`
}

// CheckNames returns one NameCheck per result and field that has a name.
// Results whose host is an IP literal never match the MX.
func CheckNames(results []Result) []NameCheck {
	var out []NameCheck
	for _, r := range results {
		for _, f := range []struct{ field, name string }{
			{FieldBannerName, r.BannerName},
			{FieldEHLOName, r.EHLOName},
		} {
			if f.name == "" {
				continue
			}
			n := normName(f.name)
			c := NameCheck{Host: r.Host, IP: r.IP, Family: r.Family, Field: f.field, Name: f.name,
				PTR: append([]string{}, r.PTR...)}
			for _, p := range r.PTR {
				if normName(p) == n {
					c.MatchesPTR = true
				}
			}
			if _, err := addr.ParseLiteralZone(r.Host); err != nil {
				c.MatchesMX = normName(r.Host) == n
			}
			out = append(out, c)
		}
	}
	return out
}

// AllTimedOut reports whether every probe that could run timed out at
// connect (and at least one did): the pattern of a network that blocks
// outbound port 25, which many residential and cloud networks do. Results
// that were inconclusive here (no route for the family) do not count
// against it.
func AllTimedOut(results []Result) bool {
	n := 0
	for _, r := range results {
		switch {
		case r.Status == StatusTimeout && r.Phase == PhaseConnect:
			n++
		case r.Status == StatusInconclusive:
		default:
			return false
		}
	}
	return n > 0
}

// PortBlockedHint is the advice that goes with AllTimedOut.
func PortBlockedHint(port int) string {
	return fmt.Sprintf("every connection to port %d timed out: outbound port %d is probably blocked on this network; "+
		"try from another vantage point, or with --port to test a server listening elsewhere", port, port)
}

// AllInconclusive reports whether there were results and none could be
// judged from this host (no route, or the run's deadline came first).
func AllInconclusive(results []Result) bool {
	for _, r := range results {
		if r.Status != StatusInconclusive {
			return false
		}
	}
	return len(results) > 0
}

func normName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

func addUnique(ss []string, s string) []string {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

func sortedCopy(ss []string) []string {
	c := slices.Clone(ss)
	slices.Sort(c)
	return c
}

// SelfCheck is what a set of probes says about this host rather than about
// the servers, per family ("ipv4", "ipv6").
type SelfCheck struct {
	// NoRoute: every probe of the family was inconclusive (no route or no
	// usable source address here). Probes cut short by the run's deadline
	// (Result.DeadlineReached) do not count either way.
	NoRoute map[string]bool
	// Port25Blocked: AllTimedOut held for the whole set, so every probed
	// family is marked. A family that times out while the other answers is
	// not marked: that is the domain's problem, not this host's.
	Port25Blocked map[string]bool
}

// CheckSelf derives the self-check verdicts from results.
func CheckSelf(results []Result) SelfCheck {
	sc := SelfCheck{NoRoute: map[string]bool{}, Port25Blocked: map[string]bool{}}
	allInc := map[string]bool{}
	for _, r := range results {
		if r.DeadlineReached() {
			// Cut short by the run's deadline: it says nothing about
			// this host's routes either.
			continue
		}
		if _, seen := allInc[r.Family]; !seen {
			allInc[r.Family] = true
		}
		if r.Status != StatusInconclusive {
			allInc[r.Family] = false
		}
	}
	for fam, inc := range allInc {
		if inc {
			sc.NoRoute[fam] = true
		}
	}
	if AllTimedOut(results) {
		for _, r := range results {
			if r.Status == StatusTimeout {
				sc.Port25Blocked[r.Family] = true
			}
		}
	}
	return sc
}
