package dnsq

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Mock is an in-memory Resolver for unit tests of the packages above dnsq.
// Names are matched after Fqdn. A name that appears in no map and in no
// alias is NXDOMAIN; a name known for some type but not the asked one is
// NODATA. Fail injects a status for "TYPE name" keys, e.g.
// Fail["AAAA mx1.example."] = StatusServFail. Mock counts the lookups it
// answers so tests can check that callers do not repeat queries.
type Mock struct {
	MX    map[string][]MX
	A     map[string][]netip.Addr
	AAAA  map[string][]netip.Addr
	PTR   map[string][]string // key: the address in netip.Addr.String() form
	TXT   map[string][]string
	TLSA  map[string][]TLSA
	NS    map[string][]string
	CNAME map[string]string // alias -> target
	Fail  map[string]Status
	// Authentic sets the AD bit on every answer.
	Authentic bool
	// Secure sets the AD bit on answers about names at or below these
	// zone apexes (absolute names; "." is every name), as a validating
	// resolver does for the names of signed zones; names in Insecure
	// (at or below) are left without it, for an unsigned delegation
	// inside a signed zone. A CNAME chain is authentic only when every
	// name in it is.
	Secure   []string
	Insecure []string

	mu    sync.Mutex
	calls map[string]int
}

// Calls returns how many times "TYPE name" was looked up.
func (m *Mock) Calls(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[key]
}

func (m *Mock) count(key string) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[key]++
	m.mu.Unlock()
}

const mockServer = "mock:53"

// resolve follows aliases from name and returns the result skeleton for
// the final name. ok is false when the caller must not look for records
// (failure injected, cancelled context, NXDOMAIN is decided later).
func (m *Mock) resolve(ctx context.Context, typ, name string) (Result, string, bool) {
	name = Fqdn(name)
	m.count(typ + " " + name)
	res := Result{Name: name, Server: mockServer, Authentic: m.Authentic || m.secure(name)}
	if err := ctx.Err(); err != nil {
		res.Status, res.Err = StatusTimeout, err
		return res, name, false
	}
	cur := name
	for i := 0; i < 8; i++ {
		if st, ok := m.Fail[typ+" "+cur]; ok {
			res.Status = st
			res.Err = errors.New("injected " + string(st))
			return res, cur, false
		}
		next, ok := m.CNAME[cur]
		if !ok {
			return res, cur, true
		}
		cur = Fqdn(next)
		res.CNAMEs = append(res.CNAMEs, cur)
		res.Authentic = res.Authentic && (m.Authentic || m.secure(cur))
	}
	res.Status, res.Err = StatusError, errors.New("CNAME chain too long")
	return res, cur, false
}

// secure reports whether name is in a zone declared Secure and not below
// an Insecure cut.
func (m *Mock) secure(name string) bool {
	return under(name, m.Secure) && !under(name, m.Insecure)
}

// under reports whether name is at or below one of the apexes.
func under(name string, apexes []string) bool {
	for _, a := range apexes {
		a = Fqdn(a)
		if a == "." || name == a || strings.HasSuffix(name, "."+a) {
			return true
		}
	}
	return false
}

// exists reports whether name owns any record in the mock.
func (m *Mock) exists(name string) bool {
	if _, ok := m.MX[name]; ok {
		return true
	}
	if _, ok := m.A[name]; ok {
		return true
	}
	if _, ok := m.AAAA[name]; ok {
		return true
	}
	if _, ok := m.TXT[name]; ok {
		return true
	}
	if _, ok := m.CNAME[name]; ok {
		return true
	}
	if _, ok := m.TLSA[name]; ok {
		return true
	}
	if _, ok := m.NS[name]; ok {
		return true
	}
	for k := range m.PTR {
		if ptrName(k) == name {
			return true
		}
	}
	return false
}

func ptrName(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return addr.ReverseName(a)
}

func (m *Mock) status(name string, n int) Status {
	switch {
	case n > 0:
		return StatusOK
	case m.exists(name):
		return StatusNoData
	default:
		return StatusNXDomain
	}
}

func lookupIn[T any](m *Mock, tbl map[string][]T, ctx context.Context, typ, name string) (Result, []T) {
	res, final, ok := m.resolve(ctx, typ, name)
	if !ok {
		return res, nil
	}
	recs := tbl[final]
	res.Status = m.status(final, len(recs))
	return res, append([]T(nil), recs...)
}

func (m *Mock) LookupMX(ctx context.Context, name string) MXResult {
	res, recs := lookupIn(m, m.MX, ctx, "MX", name)
	for i := range recs {
		recs[i].Host = Fqdn(recs[i].Host)
		if recs[i].Host == ".." {
			recs[i].Host = "."
		}
	}
	return MXResult{Result: res, MX: recs}
}

func (m *Mock) LookupA(ctx context.Context, name string) AddrResult {
	res, recs := lookupIn(m, m.A, ctx, "A", name)
	return AddrResult{Result: res, Addrs: recs}
}

func (m *Mock) LookupAAAA(ctx context.Context, name string) AddrResult {
	res, recs := lookupIn(m, m.AAAA, ctx, "AAAA", name)
	return AddrResult{Result: res, Addrs: recs}
}

func (m *Mock) LookupTXT(ctx context.Context, name string) TXTResult {
	res, recs := lookupIn(m, m.TXT, ctx, "TXT", name)
	return TXTResult{Result: res, TXT: recs}
}

func (m *Mock) LookupTLSA(ctx context.Context, name string) TLSAResult {
	res, recs := lookupIn(m, m.TLSA, ctx, "TLSA", name)
	return TLSAResult{Result: res, TLSA: recs}
}

func (m *Mock) LookupNS(ctx context.Context, name string) NameResult {
	res, recs := lookupIn(m, m.NS, ctx, "NS", name)
	for i := range recs {
		recs[i] = Fqdn(recs[i])
	}
	return NameResult{Result: res, Names: recs}
}

func (m *Mock) LookupPTR(ctx context.Context, ip netip.Addr) NameResult {
	name := addr.ReverseName(ip)
	res, final, ok := m.resolve(ctx, "PTR", name)
	if !ok {
		return NameResult{Result: res}
	}
	var names []string
	for k, v := range m.PTR {
		if ptrName(k) == final {
			for _, n := range v {
				names = append(names, Fqdn(n))
			}
		}
	}
	res.Status = m.status(final, len(names))
	return NameResult{Result: res, Names: names}
}

var _ SecureResolver = (*Mock)(nil)
