package tlspolicy

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// MTA-STS modes (RFC 8461 §5).
const (
	ModeEnforce = "enforce"
	ModeTesting = "testing"
	ModeNone    = "none"
)

// maxFetches bounds the policy fetches in flight for one domain.
const maxFetches = 8

// MaxMaxAge is the largest max_age a policy may carry (RFC 8461 §3.2:
// about one year).
const MaxMaxAge = 31557600

// ParseSTSRecord parses an `_mta-sts` TXT record (RFC 8461 §3.1):
// "v=STSv1; id=20160831085700Z;". The version must come first; id is 1 to
// 32 letters and digits; other fields must be well-formed extensions. It
// returns the id.
func ParseSTSRecord(txt string) (string, error) {
	fields := strings.Split(txt, ";")
	id := ""
	for i, f := range fields {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i == len(fields)-1 {
				break // a trailing ";" is allowed
			}
			return "", errors.New("empty field")
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", fmt.Errorf("field %q has no '='", clip(f))
		}
		switch {
		case i == 0:
			if k != "v" || v != "STSv1" {
				return "", errors.New(`the record does not begin with "v=STSv1"`)
			}
		case k == "v":
			return "", errors.New("v appears twice")
		case k == "id":
			if id != "" {
				return "", errors.New("id appears twice")
			}
			if len(v) < 1 || len(v) > 32 || !allAlnum(v) {
				return "", fmt.Errorf("id %q is not 1 to 32 letters and digits", clip(v))
			}
			id = v
		default:
			if !extName(k) || !extValue(v) {
				return "", fmt.Errorf("field %q is not a valid extension", clip(f))
			}
		}
	}
	if id == "" {
		return "", errors.New("no id field")
	}
	return id, nil
}

// Policy is a parsed MTA-STS policy (RFC 8461 §3.2).
type Policy struct {
	Version string
	Mode    string
	MX      []string // patterns, lower-case, without a trailing dot
	MaxAge  int64
}

// ParsePolicy parses a policy body strictly: lines "key: value" ended by
// LF or CRLF; version STSv1, mode, max_age and (unless mode is none) at
// least one mx are required; a known key twice (mx aside) is an error,
// unknown keys are ignored as RFC 8461 §3.2 says.
func ParsePolicy(body string) (*Policy, error) {
	p := &Policy{}
	seen := map[string]bool{}
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d has no ':'", n+1)
		}
		// RFC 8461 §3.2: key *WSP ":" *WSP value *WSP.
		k, v = strings.TrimRight(k, " \t"), strings.Trim(v, " \t")
		if k != "mx" && seen[k] && isPolicyKey(k) {
			return nil, fmt.Errorf("line %d: %s appears twice", n+1, k)
		}
		seen[k] = true
		switch k {
		case "version":
			if v != "STSv1" {
				return nil, fmt.Errorf("line %d: version %q, want STSv1", n+1, clip(v))
			}
			p.Version = v
		case "mode":
			// The mode values are ABNF quoted strings, which are
			// case-insensitive (RFC 5234 §2.3).
			v = strings.ToLower(v)
			if v != ModeEnforce && v != ModeTesting && v != ModeNone {
				return nil, fmt.Errorf("line %d: mode %q is not enforce, testing or none", n+1, clip(v))
			}
			p.Mode = v
		case "max_age":
			if v == "" || len(v) > 10 || !allDigits(v) {
				return nil, fmt.Errorf("line %d: max_age %q is not 1 to 10 digits", n+1, clip(v))
			}
			age, _ := strconv.ParseInt(v, 10, 64)
			if age > MaxMaxAge {
				return nil, fmt.Errorf("line %d: max_age %d is above the maximum %d", n+1, age, MaxMaxAge)
			}
			p.MaxAge = age
		case "mx":
			pat := strings.ToLower(strings.TrimSuffix(v, "."))
			if !validPattern(pat) {
				return nil, fmt.Errorf("line %d: mx %q is not a host name or *.domain pattern", n+1, clip(v))
			}
			p.MX = append(p.MX, pat)
		default:
			if !extName(k) {
				return nil, fmt.Errorf("line %d: %q is not a field name", n+1, clip(k))
			}
		}
	}
	switch {
	case p.Version == "":
		return nil, errors.New("no version field")
	case p.Mode == "":
		return nil, errors.New("no mode field")
	case !seen["max_age"]:
		return nil, errors.New("no max_age field")
	case len(p.MX) == 0 && p.Mode != ModeNone:
		return nil, errors.New("no mx field")
	}
	return p, nil
}

func isPolicyKey(k string) bool {
	return k == "version" || k == "mode" || k == "max_age"
}

// Covers reports whether the policy's mx patterns allow host (RFC 8461
// §4.1): an exact name, or "*.example.com" for exactly one more label.
func (p *Policy) Covers(host string) bool {
	host = strings.ToLower(dnsq.Bare(host))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			label, parent, found := strings.Cut(host, ".")
			if found && label != "" && parent == rest {
				return true
			}
		} else if host == pat {
			return true
		}
	}
	return false
}

func validPattern(p string) bool {
	p = strings.TrimPrefix(p, "*.")
	if p == "" || len(p) > 253 {
		return false
	}
	for _, l := range strings.Split(p, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// extName: 1*32(ALPHA / DIGIT / "_" / "-" / ".") (RFC 8461 §3.1).
func extName(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// extValue: 1*(%x21-3A / %x3C / %x3E-7E) (RFC 8461 §3.1).
func extValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// clip bounds and sanitises remote text quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return sanitize.Text(s)
}

// MTASTS statuses (the domain's whole MTA-STS state).
const (
	STSOK          = "ok"            // one valid TXT record and the same valid policy over every family that answered
	STSNone        = "none"          // no TXT record and no policy
	STSInvalidTXT  = "invalid_txt"   // TXT records, but not exactly one valid v=STSv1 record
	STSNoPolicy    = "no_policy"     // a valid TXT record, no policy fetched over any family
	STSPolicyNoTXT = "policy_no_txt" // a policy is served, but no TXT record announces it (senders never fetch it)
	STSLookupError = "lookup_error"  // the TXT lookup failed
	// STSInconsistent: the policy differs between addresses (families).
	STSInconsistent = "inconsistent"
)

// MTASTS is the MTA-STS state of a domain.
type MTASTS struct {
	Status string `json:"status"`
	TXT    string `json:"txt"` // the v=STSv1 record (or the first TXT record at the name), sanitised
	ID     string `json:"id,omitempty"`
	// Policy is the policy text first fetched successfully, sanitised.
	Policy     string   `json:"policy"`
	Fetch      []Fetch  `json:"fetch"`
	Mode       string   `json:"mode"`
	MXPatterns []string `json:"mx_patterns"`
	MaxAge     int64    `json:"max_age"`
	// MXCovered is true when every MX host matches a pattern;
	// MXUncovered lists those that do not.
	MXCovered   bool     `json:"mx_covered"`
	MXUncovered []string `json:"mx_uncovered,omitempty"`
	Error       string   `json:"error,omitempty"`

	policy *Policy
}

// ParsedPolicy returns the policy in force, or nil.
func (m *MTASTS) ParsedPolicy() *Policy { return m.policy }

// PolicyHost is the host serving domain's policy (RFC 8461 §3.3).
func PolicyHost(domain string) string { return "mta-sts." + dnsq.Bare(dnsq.Fqdn(domain)) }

// CheckMTASTS looks up `_mta-sts.<domain>` TXT, fetches the policy from
// each of policyAddrs (the A and AAAA addresses of PolicyHost(domain),
// resolved by the caller, so that -4/-6 and discovery's statuses apply)
// concurrently, and checks every host in mxHosts against the patterns.
// The policy is fetched even without a TXT record, to report a policy
// that no sender will ever look for.
func CheckMTASTS(ctx context.Context, r dnsq.Resolver, f *Fetcher, domain string, policyAddrs []netip.Addr, mxHosts []string) MTASTS {
	m := MTASTS{Fetch: []Fetch{}, MXPatterns: []string{}}
	txt := r.LookupTXT(ctx, "_mta-sts."+dnsq.Fqdn(domain))
	var txtErr error
	switch txt.Status {
	case dnsq.StatusOK:
		var stsRecs []string
		for _, t := range txt.TXT {
			// RFC 8461 §3.1: records not beginning with v=STSv1; are discarded.
			if strings.HasPrefix(t, "v=STSv1") {
				stsRecs = append(stsRecs, t)
			}
		}
		switch len(stsRecs) {
		case 0:
			m.TXT = clip(txt.TXT[0])
			txtErr = errors.New("no TXT record begins with v=STSv1")
		case 1:
			m.TXT = sanitize.Text(stsRecs[0])
			m.ID, txtErr = ParseSTSRecord(stsRecs[0])
		default:
			m.TXT = clip(stsRecs[0])
			txtErr = fmt.Errorf("%d v=STSv1 records; RFC 8461 §3.1 needs exactly one", len(stsRecs))
		}
	case dnsq.StatusNoData, dnsq.StatusNXDomain:
	default:
		m.Status, m.Error = STSLookupError, "TXT lookup "+string(txt.Status)
	}

	host := PolicyHost(domain)
	m.Fetch = make([]Fetch, len(policyAddrs))
	// Every address at once (a blackholed one costs one connect timeout,
	// not a sum), at most maxFetches in flight whatever the DNS says.
	sem := make(chan struct{}, maxFetches)
	var wg sync.WaitGroup
	for i, ip := range policyAddrs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			m.Fetch[i] = f.Fetch(ctx, host, ip)
			<-sem
		}()
	}
	wg.Wait()

	var first *Fetch
	for i := range m.Fetch {
		fe := &m.Fetch[i]
		if fe.Status != FetchOK {
			continue
		}
		if first == nil {
			first = fe
		} else if fe.Digest != first.Digest && m.Error == "" {
			m.Error = fmt.Sprintf("the policy served at %s differs from the one at %s", fe.IP, first.IP)
		}
	}
	if first != nil {
		m.policy = first.policy
		m.Policy = sanitize.MultiLine(first.body)
		m.Mode, m.MaxAge = m.policy.Mode, m.policy.MaxAge
		m.MXPatterns = append(m.MXPatterns, m.policy.MX...)
		m.MXCovered = true
		for _, h := range mxHosts {
			if !m.policy.Covers(h) {
				m.MXCovered = false
				m.MXUncovered = append(m.MXUncovered, sanitize.Text(dnsq.Bare(h)))
			}
		}
	}
	switch {
	case m.Status == STSLookupError:
	case txtErr != nil:
		m.Status, m.Error = STSInvalidTXT, sanitize.Text(txtErr.Error())
	case m.ID == "" && first != nil:
		m.Status, m.Error = STSPolicyNoTXT, "a policy is served at "+host+" but _mta-sts."+dnsq.Bare(dnsq.Fqdn(domain))+" has no TXT record, so senders never fetch it"
	case m.ID == "":
		m.Status = STSNone
	case first == nil:
		m.Status = STSNoPolicy
		if m.Error == "" {
			m.Error = "the TXT record announces a policy that could not be fetched over any address"
		}
	case m.Error != "":
		m.Status = STSInconsistent
	default:
		m.Status = STSOK
	}
	return m
}

// CertStatus is the enforce-mode certificate check of one MX address.
type CertStatus struct {
	Status string `json:"status"` // pass, fail, not_judged (no policy in enforce/testing, or no TLS)
	Error  string `json:"error,omitempty"`
}

// CheckMXCertificate checks what an MTA-STS sender checks of one MX
// address (RFC 8461 §4.2): the host matches the policy's patterns and the
// presented chain is PKIX-valid for the MX host name. roots nil means the
// system's pool. Only enforce and testing policies are judged (in testing
// mode a failure is reported, not enforced, by senders).
func CheckMXCertificate(p *Policy, mxHost string, chain []*x509.Certificate, roots *x509.CertPool, now time.Time) CertStatus {
	if p == nil || p.Mode == ModeNone {
		return CertStatus{Status: "not_judged", Error: "no MTA-STS policy in force"}
	}
	if len(chain) == 0 {
		return CertStatus{Status: "not_judged", Error: "no certificate was presented (no STARTTLS, or it was not tried)"}
	}
	host := dnsq.Bare(dnsq.Fqdn(mxHost))
	if !p.Covers(host) {
		return CertStatus{Status: "fail", Error: sanitize.Text(host) + " matches no mx pattern of the policy"}
	}
	if len(chain) > MaxChain {
		chain = chain[:MaxChain]
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now}); err != nil {
		return CertStatus{Status: "fail", Error: "the certificate is not valid for " + sanitize.Text(host) + " under PKIX: " + sanitize.Text(err.Error())}
	}
	return CertStatus{Status: "pass"}
}

// digest names a policy body in reports, so that differences between
// addresses show.
func digest(body []byte) string {
	d := sha256.Sum256(body)
	return hex.EncodeToString(d[:8])
}
