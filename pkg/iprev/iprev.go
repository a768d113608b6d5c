package iprev

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// MaxNames caps how many PTR names are forward-checked for one address. A
// PTR RRset can be arbitrarily large; RFC 7208 §4.6.4 applies the same limit
// of 10 to the SPF "ptr" mechanism, and RFC 8601 §3 lets verifiers bound the
// work. Result.Truncated says when names were left unchecked.
const MaxNames = 10

// Result is the outcome of one iprev evaluation.
type Result struct {
	Status Status
	// PTR are the names the PTR query returned (absolute, lower-case), all of
	// them, even beyond MaxNames.
	PTR       []string
	PTRStatus dnsq.Status
	// Confirmed are the PTR names whose forward lookup (A for IPv4, AAAA for
	// IPv6) contains the address.
	Confirmed []string
	// Malformed are PTR names that are not valid host names (permerror when
	// no other name could be evaluated).
	Malformed []string
	// Truncated is true when PTR held more than MaxNames names and only the
	// first MaxNames were forward-checked.
	Truncated bool
	// Err explains a temperror or permerror (nil for pass, fail and none).
	Err error
}

// Check looks up the PTR names of ip and forward-confirms them: for each
// name (at most MaxNames), an A query for an IPv4 address or an AAAA query
// for an IPv6 one (IPv4-mapped included: it came from an AAAA record). The
// verdict follows RFC 8601 §3 and §2.7.3:
//
//   - pass: some name's forward answer holds ip;
//   - temperror: no name passed and some lookup (the PTR query itself or a
//     forward one) failed temporarily (SERVFAIL, REFUSED, timeout, network);
//   - fail: names were evaluated and none maps back; a name answering
//     NXDOMAIN or NODATA counts as not mapping back;
//   - permerror: every PTR name is malformed (not a host name);
//   - none: no PTR record (NXDOMAIN or NODATA). RFC 8601 calls this
//     permerror; mailcheck keeps it apart because "publish a PTR" and "fix
//     the PTR you publish" are different fixes.
//
// Forward lookups run concurrently; the resolver bounds concurrency.
//
// Check's steps run in frames of their own (names, confirm, forward), each
// holding one answer: a frame is on the stack for as long as a lookup below
// it waits, for every address of every domain in bulk mode
// (docs/performance.md, "Memory per domain in flight").
func Check(ctx context.Context, r dnsq.Resolver, ip netip.Addr) Result {
	var res Result
	CheckInto(ctx, r, ip, &res)
	return res
}

// CheckInto is Check writing its result to res, for callers whose frame
// would otherwise hold a copy of it while the lookups wait.
func CheckInto(ctx context.Context, r dnsq.Resolver, ip netip.Addr, res *Result) {
	*res = Result{}
	if valid := names(ctx, r, ip, res); len(valid) > 0 {
		confirm(ctx, r, ip, valid, res)
	}
}

// names looks up ip's PTR names into res and returns the valid ones to
// forward-confirm (at most MaxNames). When there are none, res holds the
// verdict.
//
//go:noinline
func names(ctx context.Context, r dnsq.Resolver, ip netip.Addr, res *Result) []string {
	ptr := r.LookupPTR(ctx, ip)
	return validNames(ip, &ptr, res)
}

// validNames is names's second half, out of the frame that waits for the
// PTR answer.
//
//go:noinline
func validNames(ip netip.Addr, ptr *dnsq.NameResult, res *Result) []string {
	res.PTRStatus, res.PTR = ptr.Status, ptr.Names
	switch {
	case ptr.Status == dnsq.StatusNXDomain || ptr.Status == dnsq.StatusNoData:
		res.Status = StatusNone
		return nil
	case ptr.Status != dnsq.StatusOK:
		res.Status = StatusTempError
		res.Err = lookupErr("PTR", ptr.Name, &ptr.Result)
		return nil
	case len(ptr.Names) == 0:
		// NOERROR with an answer section but no PTR after the alias chain:
		// nothing to evaluate, the same as NODATA.
		res.Status = StatusNone
		return nil
	}

	names := ptr.Names
	if len(names) > MaxNames {
		names = names[:MaxNames]
		res.Truncated = true
	}
	var valid []string
	for _, n := range names {
		if ValidHostname(n) {
			valid = append(valid, n)
		} else {
			res.Malformed = append(res.Malformed, n)
		}
	}
	if len(valid) == 0 {
		res.Status = StatusPermError
		res.Err = fmt.Errorf("PTR %s: no valid host name among %q", ip, res.Malformed)
	}
	return valid
}

// outcome is one PTR name's forward confirmation.
type outcome struct {
	match bool
	st    dnsq.Status
	err   error
}

// confirm forward-confirms the valid PTR names of ip and sets res's
// verdict.
//
//go:noinline
func confirm(ctx context.Context, r dnsq.Resolver, ip netip.Addr, valid []string, res *Result) {
	if len(valid) == 1 {
		// The usual case: one name, asked here rather than on a goroutine
		// (this runs for every address of every domain in bulk mode).
		var o outcome
		forward(ctx, r, ip, valid[0], &o)
		tally(valid, []outcome{o}, res)
		return
	}
	outs := make([]outcome, len(valid))
	var wg sync.WaitGroup
	for i, name := range valid {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forward(ctx, r, ip, name, &outs[i])
		}()
	}
	wg.Wait()
	tally(valid, outs, res)
}

// tally sets res's verdict from the outcomes of the valid names.
func tally(valid []string, outs []outcome, res *Result) {
	var tempErr error
	for i, o := range outs {
		if o.match {
			res.Confirmed = append(res.Confirmed, valid[i])
		}
		if o.err != nil && tempErr == nil {
			tempErr = o.err
		}
	}
	switch {
	case len(res.Confirmed) > 0:
		res.Status = StatusPass
	case tempErr != nil:
		res.Status = StatusTempError
		res.Err = tempErr
	default:
		res.Status = StatusFail
	}
}

// forward asks for name's addresses in ip's family and writes to o whether
// they hold ip.
//
//go:noinline
func forward(ctx context.Context, r dnsq.Resolver, ip netip.Addr, name string, o *outcome) {
	var fwd dnsq.AddrResult
	if addr.Family(ip) == addr.IPv4 {
		fwd = r.LookupA(ctx, name)
	} else {
		fwd = r.LookupAAAA(ctx, name)
	}
	o.st = fwd.Status
	for _, a := range fwd.Addrs {
		if a == ip {
			o.match = true
		}
	}
	if fwd.Status.Temporary() {
		o.err = lookupErr(forwardType(ip), name, &fwd.Result)
	}
}

// forwardType is the record type of ip's family (addr.Family: an
// IPv4-mapped address is IPv6, as the AAAA record it came from).
func forwardType(ip netip.Addr) string {
	if addr.Family(ip) == addr.IPv4 {
		return "A"
	}
	return "AAAA"
}

func lookupErr(typ, name string, r *dnsq.Result) error {
	if r.Err != nil {
		return fmt.Errorf("%s %s: %s: %w", typ, dnsq.Bare(name), r.Status, r.Err)
	}
	return fmt.Errorf("%s %s: %s", typ, dnsq.Bare(name), r.Status)
}

// ValidHostname reports whether name (absolute or not) is a syntactically
// valid host name as a PTR target must be (RFC 1123 §2.1, RFC 952): labels
// of letters, digits and hyphens, 1 to 63 octets, not starting or ending
// with a hyphen, at most 253 octets in all. Underscore
// is accepted, as Postfix's valid_hostname() does (real PTR data has it).
// A name that is an IP address in dotted form ("192.0.2.1") is rejected:
// Postfix's smtpd treats such a reverse name as unknown (smtpd_peer.c), since
// a PTR that spells an address is a common spoofing trick.
func ValidHostname(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	// An address is not a host name; the rules below reject every one
	// without parsing it (':' is not a host name character, and a dotted
	// quad's last label is all digits).
	var last string
	for l := range strings.SplitSeq(name, ".") {
		last = l
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
			default:
				return false
			}
		}
	}
	// RFC 3696 §2: a top-level domain is never all-numeric, so a name whose
	// last label is all digits is an address in disguise (1.2.3, 010.0.0.1).
	return strings.Trim(last, "0123456789") != ""
}
