package sender

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"blitiri.com.ar/go/spf"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// spfResolver adapts dnsq.Resolver to the interface blitiri.com.ar/go/spf
// asks for (spf.WithResolver), so SPF goes through mailcheck's resolver:
// --resolver, the -v trace, the cache, and dnstest in tests.
//
// The library tells errors apart the way net.Resolver reports them: a
// *net.DNSError with IsNotFound (RFC 7208 §4.3: no such domain, result
// none; a void lookup, §4.6.4) or IsTemporary/IsTimeout (temperror,
// §2.6.6). NODATA is an empty answer without error, which the library also
// counts as a void lookup.
type spfResolver struct {
	r dnsq.Resolver
	// ip is the address under test: A and AAAA lookups for the a and mx
	// mechanisms only need its family (RFC 7208 §5.3), but exists needs A
	// (§5.7), so A is always asked and AAAA only for an IPv6 client.
	ip netip.Addr
}

func dnsErr(name string, res dnsq.Result) error {
	e := &net.DNSError{Name: dnsq.Bare(name), Server: res.Server}
	switch res.Status {
	case dnsq.StatusNXDomain:
		e.Err, e.IsNotFound = "no such host", true
	case dnsq.StatusTimeout:
		e.Err, e.IsTimeout, e.IsTemporary = "timeout", true, true
	default:
		e.Err, e.IsTemporary = string(res.Status), true
	}
	return e
}

func failed(res dnsq.Result) bool {
	return res.Status != dnsq.StatusOK && res.Status != dnsq.StatusNoData
}

func (a spfResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	res := a.r.LookupTXT(ctx, dnsq.Fqdn(name))
	if failed(res.Result) {
		return nil, dnsErr(name, res.Result)
	}
	return res.TXT, nil
}

func (a spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	res := a.r.LookupMX(ctx, dnsq.Fqdn(name))
	if failed(res.Result) {
		return nil, dnsErr(name, res.Result)
	}
	out := make([]*net.MX, 0, len(res.MX))
	for _, mx := range res.MX {
		if mx.Host == "." {
			continue // a null MX names no host (RFC 7505)
		}
		out = append(out, &net.MX{Host: mx.Host, Pref: mx.Preference})
	}
	return out, nil
}

func (a spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	name := dnsq.Fqdn(host)
	var res4, res6 dnsq.AddrResult
	var wg sync.WaitGroup
	if addr.Family(a.ip.Unmap()) == addr.IPv6 { // a mapped address connects over IPv4
		wg.Add(1)
		go func() { defer wg.Done(); res6 = a.r.LookupAAAA(ctx, name) }()
	} else {
		res6.Status = dnsq.StatusSkipped
	}
	res4 = a.r.LookupA(ctx, name)
	wg.Wait()
	var out []net.IPAddr
	for _, ad := range append(res4.Addrs, res6.Addrs...) {
		out = append(out, net.IPAddr{IP: net.IP(ad.AsSlice())})
	}
	if len(out) > 0 {
		return out, nil
	}
	// A temporary failure of any query asked makes the mechanism a
	// temperror (RFC 7208 §5); NXDOMAIN everywhere is "not found" (a void
	// lookup); anything else is an empty answer.
	for _, res := range []dnsq.Result{res4.Result, res6.Result} {
		if res.Status != dnsq.StatusSkipped && failed(res) && res.Status != dnsq.StatusNXDomain {
			return nil, dnsErr(host, res)
		}
	}
	if res4.Status == dnsq.StatusNXDomain && (res6.Status == dnsq.StatusSkipped || res6.Status == dnsq.StatusNXDomain) {
		return nil, dnsErr(host, res4.Result)
	}
	return nil, nil
}

func (a spfResolver) LookupAddr(ctx context.Context, s string) ([]string, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return nil, &net.DNSError{Name: s, Err: "bad address", IsNotFound: true}
	}
	res := a.r.LookupPTR(ctx, ip)
	if failed(res.Result) {
		return nil, dnsErr(addr.ReverseName(ip), res.Result)
	}
	return res.Names, nil
}

// checkSPF evaluates domain's SPF for ip (RFC 7208 §4, check_host with the
// domain as the envelope sender's domain and the HELO name as helo).
func checkSPF(ctx context.Context, r dnsq.Resolver, ip netip.Addr, domain, helo string) *SPF {
	out := &SPF{Domain: domain}
	// The record itself, for the report and for the suggested fix.
	if txt := r.LookupTXT(ctx, dnsq.Fqdn(domain)); txt.Status == dnsq.StatusOK {
		for _, t := range txt.TXT {
			if l := strings.ToLower(t); l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ") {
				out.Record = t
				break
			}
		}
	}
	// The library reports the deciding term only through its trace: the
	// last trace line of an evaluation that stopped on a term is
	// `"TERM" RESULT, ERR` (or "all: RESULT", or `"redirect=X": ...`).
	// The format is pinned by go.mod's version and guarded by the SPF
	// tests, which check the mechanism for every result.
	var mu sync.Mutex
	var last string
	trace := func(f string, a ...any) {
		mu.Lock()
		last = fmt.Sprintf(f, a...)
		mu.Unlock()
	}
	if helo == "" {
		helo = domain
	}
	res, err := spf.CheckHostWithSender(net.IP(ip.Unmap().AsSlice()), helo, "postmaster@"+domain,
		spf.WithContext(ctx), spf.WithResolver(spfResolver{r: r, ip: ip.Unmap()}), spf.WithTraceFunc(trace))
	out.Result = string(res)
	out.Mechanism = mechanismFromTrace(last, res)
	if err != nil && !matchedErr(err) && !errors.Is(err, spf.ErrNoResult) {
		out.Error = err.Error()
	}
	if errors.Is(err, spf.ErrUnknownField) && out.Mechanism == "" {
		// The library does not name the term; find it in the record when
		// it is the top-level one.
		if t := unknownTerm(out.Record); t != "" {
			out.Mechanism = t
			out.Error = fmt.Sprintf("unknown term %q (RFC 7208 §4.6.1)", t)
		}
	}
	if res != spf.Pass {
		out.Suggested = suggestSPF(out.Record, ip)
	}
	// The record holds the octets the domain published (dnsq unescapes TXT
	// data, RFC 7208 §3.3, so that the library evaluates what receivers
	// evaluate), and the term and error quote it: make what the report
	// shows safe for a terminal, as every other peer text is.
	out.Record, out.Mechanism = sanitize.Text(out.Record), sanitize.Text(out.Mechanism)
	out.Suggested, out.Error = sanitize.Text(out.Suggested), sanitize.Text(out.Error)
	return out
}

func matchedErr(err error) bool {
	for _, m := range []error{spf.ErrMatchedAll, spf.ErrMatchedA, spf.ErrMatchedIP, spf.ErrMatchedMX, spf.ErrMatchedPTR, spf.ErrMatchedExists} {
		if errors.Is(err, m) {
			return true
		}
	}
	return false
}

var qualifier = map[spf.Result]string{spf.Fail: "-", spf.SoftFail: "~", spf.Neutral: "?"}

// mechanismFromTrace extracts the deciding term from the library's last
// trace line.
func mechanismFromTrace(line string, res spf.Result) string {
	if rest, ok := strings.CutPrefix(line, "all: "); ok {
		return qualifier[spf.Result(rest)] + "all"
	}
	if !strings.HasPrefix(line, `"`) {
		return ""
	}
	// A Go-quoted term followed by " RESULT, ERR" or ": RESULT, ERR".
	for i := 1; i < len(line); i++ {
		if line[i] != '"' || line[i-1] == '\\' {
			continue
		}
		term, err := strconv.Unquote(line[:i+1])
		if err != nil {
			return ""
		}
		if strings.HasPrefix(strings.ToLower(term), "redirect=") {
			return term
		}
		if res == spf.TempError || res == spf.PermError {
			return term
		}
		return qualifier[res] + term
	}
	return ""
}

// suggestSPF returns record with ip added before its final all or redirect
// term, or a new record when there is none.
func suggestSPF(record string, ip netip.Addr) string {
	// SPF sees the address the connection comes from: a mapped address
	// connects over IPv4 and matches ip4, as checkSPF evaluates it.
	ip = ip.Unmap()
	mech := "ip4:" + ip.String()
	if addr.Family(ip) == addr.IPv6 {
		mech = "ip6:" + ip.String()
	}
	if record == "" {
		return "v=spf1 " + mech + " ~all"
	}
	terms := strings.Fields(record)
	at := len(terms)
	for i, t := range terms {
		l := strings.ToLower(strings.TrimLeft(t, "+-~?"))
		if l == "all" || strings.HasPrefix(l, "redirect=") {
			at = i
			break
		}
	}
	out := append([]string{}, terms[:at]...)
	out = append(out, mech)
	out = append(out, terms[at:]...)
	return strings.Join(out, " ")
}

// unknownTerm returns the first term of record that is neither a mechanism
// nor a modifier of RFC 7208 §4.6.1 (§5, §6 and unknown modifiers name=...).
func unknownTerm(record string) string {
	known := []string{"all", "include:", "a", "a:", "a/", "mx", "mx:", "mx/", "ptr", "ptr:", "ip4:", "ip6:", "exists:"}
	for i, t := range strings.Fields(record) {
		if i == 0 {
			continue // v=spf1
		}
		l := strings.ToLower(strings.TrimLeft(t, "+-~?"))
		if modifierName(t) {
			continue
		}
		ok := false
		for _, k := range known {
			if l == k || strings.HasSuffix(k, ":") && strings.HasPrefix(l, k) || strings.HasSuffix(k, "/") && strings.HasPrefix(l, k) {
				ok = true
				break
			}
		}
		if !ok {
			return t
		}
	}
	return ""
}

// modifierName reports a name=value term (RFC 7208 §4.6.1: name is ALPHA
// *( ALPHA / DIGIT / "-" / "_" / "." ), and "=" comes before any ":" or "/").
func modifierName(t string) bool {
	eq := strings.IndexByte(t, '=')
	if eq <= 0 || strings.ContainsAny(t[:eq], ":/") {
		return false
	}
	c := t[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
