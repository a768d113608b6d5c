package tlspolicy

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// DANEStatus is the DANE verdict for one probed address (or, in TLSASet,
// what the TLSA lookup of an exchange allows). The string values are part
// of the JSON contract.
type DANEStatus string

const (
	DANEPass DANEStatus = "pass" // a usable record matched the presented chain
	DANEFail DANEStatus = "fail" // usable records, none matched: a DANE sender defers
	// DANENoSTARTTLS: TLSA records exist and the server offers no STARTTLS
	// (or the handshake failed): a DANE sender defers ("TLS is required,
	// but was not offered").
	DANENoSTARTTLS DANEStatus = "no_starttls"
	// DANEUnusable: TLSA records exist, none usable: a DANE sender
	// requires TLS without authentication (Postfix falls back to
	// "encrypt", RFC 7672 §2.2).
	DANEUnusable DANEStatus = "unusable"
	// DANENotSecure: this family's address RRset is not DNSSEC-secure,
	// so a DANE sender does not look for TLSA (RFC 7672 §2.2.2).
	DANENotSecure DANEStatus = "not_secure"
	// DANENoTLSA: secure, and no TLSA records: a DANE sender uses
	// opportunistic TLS.
	DANENoTLSA DANEStatus = "no_tlsa"
	// DANELookupError: the TLSA lookup failed or was bogus: a DANE sender
	// defers (RFC 7672 §2.2.3).
	DANELookupError DANEStatus = "lookup_error"
	// DANENotJudged: the resolver does not validate, or no TLS was tried
	// (--no-starttls).
	DANENotJudged DANEStatus = "not_judged"
)

// Limits. mailcheck judges by RFC 7671 (any usable record, any chain
// certificate) within bounds that no legitimate deployment reaches;
// Postfix's own, lower limits are reported as notes.
const (
	// MaxTLSARecords bounds the records kept from one TLSA RRset.
	MaxTLSARecords = 1000
	// MaxChain bounds the presented certificates considered.
	MaxChain = 64
	// PostfixMaxTLSA is how many TLSA records of one RRset Postfix keeps
	// (tls_dane.c: the records after the first 100 are ignored).
	PostfixMaxTLSA = 100
	// PostfixMaxDepth is the longest chain Postfix verifies
	// (smtp_tls_scert_verifydepth default 9, so ten certificates).
	PostfixMaxDepth = 10
)

// Exchange is what DANE needs to know about one MX host from discovery.
type Exchange struct {
	Host string // the MX host name (the exchange), as published
	Port int    // the port connected to; 0 means 25 (Postfix uses the port connected to)
	// MXSecure: the MX RRset was secure (true when the target is a host,
	// not a domain). Postfix at smtp_tls_security_level = dane uses the
	// exchange's TLSA records whether or not it is
	// (smtp_tls_dane_insecure_mx_policy = dane, its default there), so it
	// does not gate the lookup; findings use it.
	MXSecure bool
	// IPv4Secure and IPv6Secure: the A and AAAA RRsets (CNAMEs included)
	// were secure. Postfix judges each address by the RRset it came from.
	IPv4Secure, IPv6Secure bool
	// CNAMEs is the alias chain of the address lookups; its last name is
	// the TLSA base domain tried first (RFC 7672 §2.2.3).
	CNAMEs []string
	// NextHop is the mail domain whose MX RRset named this exchange,
	// followed by that RRset's canonical name when the domain is an
	// alias. Postfix accepts these names in a DANE-TA certificate beside
	// the TLSA base domain (smtp_tls_policy.c dane_init adds the MX RR's
	// qname and rname to the match names; RFC 7672 §3.2.2 allows the
	// next-hop domain). Empty for an implicit MX: Postfix then has no MX
	// RR and matches the TLSA base domain alone.
	NextHop []string
}

// ExchangeFrom builds an Exchange from discovery's lookup results. A
// skipped family (-4, -6) is not secure.
func ExchangeFrom(host string, port int, mx dnsq.Result, a, aaaa dnsq.Result) Exchange {
	ex := Exchange{Host: host, Port: port, MXSecure: mx.Status == dnsq.StatusOK && mx.Authentic,
		IPv4Secure: a.Status == dnsq.StatusOK && a.Authentic, IPv6Secure: aaaa.Status == dnsq.StatusOK && aaaa.Authentic}
	ex.CNAMEs = a.CNAMEs
	if len(ex.CNAMEs) == 0 || !ex.IPv4Secure && ex.IPv6Secure {
		ex.CNAMEs = aaaa.CNAMEs
	}
	return ex
}

// TLSASet is the TLSA lookup of one exchange: the names asked, the
// records, and what they allow before any certificate is seen.
type TLSASet struct {
	Host string `json:"host"`
	// Name is the TLSA owner name whose answer was used
	// ("_25._tcp.mx.example."); Base its base domain (the exchange, or
	// its CNAME target). Empty when no lookup was made.
	Name   string     `json:"name,omitempty"`
	Base   string     `json:"base,omitempty"`
	Status DANEStatus `json:"status"` // not_judged, not_secure, lookup_error, no_tlsa, unusable or pass ("pass": usable records exist)
	DNSSEC DNSSEC     `json:"dnssec,omitempty"`
	// Records are the records of the RRset, at most MaxTLSARecords.
	Records []Record `json:"records"`
	// Omitted counts records beyond MaxTLSARecords.
	Omitted int    `json:"omitted,omitempty"`
	Error   string `json:"error,omitempty"`
	// MXSecure, IPv4Secure and IPv6Secure are the DNSSEC facts DANE
	// depended on (a secure MX with insecure addresses is a finding).
	MXSecure   bool `json:"mx_secure"`
	IPv4Secure bool `json:"ipv4_secure"`
	IPv6Secure bool `json:"ipv6_secure"`

	port     int
	refNames []string
}

// LookupTLSA looks up the TLSA records of ex as a DANE SMTP client does
// (RFC 7672 §2.2): only when the resolver validates and at least one
// address RRset is secure; at the CNAME-expanded name first, then at the
// exchange name when the expanded name has none. An insecure MX RRset does
// not stop it: Postfix's smtp_tls_dane_insecure_mx_policy defaults to
// "dane" at smtp_tls_security_level = dane, and smtp_tls_policy.c
// dane_init then uses the records "just as with secure MX records"
// (TLS_LEV_HALF_DANE, which logs a match as "Trusted", a mismatch defers).
func LookupTLSA(ctx context.Context, r dnsq.SecureResolver, v Validation, ex Exchange) TLSASet {
	host := dnsq.Fqdn(ex.Host)
	set := TLSASet{Host: dnsq.Bare(host), Records: []Record{}, port: ex.Port,
		IPv4Secure: ex.IPv4Secure, IPv6Secure: ex.IPv6Secure, MXSecure: ex.MXSecure}
	if set.port <= 0 {
		set.port = 25
	}
	switch {
	case !v.Validates:
		set.Status, set.Error = DANENotJudged, "the resolver does not validate DNSSEC"
		return set
	case !ex.IPv4Secure && !ex.IPv6Secure:
		set.Status, set.Error = DANENotSecure, "the exchange's address records are not DNSSEC-secure"
		return set
	}
	bases := []string{host}
	if n := len(ex.CNAMEs); n > 0 && dnsq.Fqdn(ex.CNAMEs[n-1]) != host {
		// RFC 7672 §2.2.3: a secure CNAME chain makes its target the
		// first TLSA base; the initial name is tried when it has none.
		bases = []string{dnsq.Fqdn(ex.CNAMEs[n-1]), host}
	}
	for i, base := range bases {
		name := TLSAName(set.port, base)
		res := r.LookupTLSA(ctx, name)
		set.Name, set.Base = dnsq.Bare(name), dnsq.Bare(base)
		set.DNSSEC = Status(res.Result, true)
		switch {
		case res.Status == dnsq.StatusOK && !res.Authentic, res.Status == dnsq.StatusNoData && !res.Authentic, res.Status == dnsq.StatusNXDomain && !res.Authentic:
			// An insecure TLSA RRset (or denial) below a secure exchange
			// is an unsigned delegation: no DANE (RFC 7672 §2.2.3).
			set.Status, set.Error = DANENotSecure, "the TLSA lookup is not DNSSEC-secure"
		case res.Status == dnsq.StatusNoData || res.Status == dnsq.StatusNXDomain:
			set.Status = DANENoTLSA
			if i+1 < len(bases) {
				continue
			}
		case res.Status != dnsq.StatusOK:
			set.Status = DANELookupError
			set.Error = "TLSA lookup " + string(res.Status)
			if ede := ExtendedError(res.Result); ede != "" {
				set.Error += " (" + ede + ")"
			} else if res.Err != nil {
				set.Error += ": " + sanitize.Text(res.Err.Error())
			}
		default:
			recs := res.TLSA
			if len(recs) > MaxTLSARecords {
				set.Omitted = len(recs) - MaxTLSARecords
				recs = recs[:MaxTLSARecords]
			}
			set.refNames = referenceNames(base, ex.NextHop)
			set.Status = DANEUnusable
			for _, t := range recs {
				rec := NewRecord(t)
				if rec.Usable {
					set.Status = DANEPass
				}
				set.Records = append(set.Records, rec)
			}
		}
		return set
	}
	return set
}

// Presented is what one probe of one address saw.
type Presented struct {
	Family   string // "ipv4" or "ipv6" (addr.Family)
	Tried    bool   // STARTTLS was tried (false with --no-starttls or when the probe did not reach EHLO)
	StartTLS bool   // the server offered STARTTLS
	// Chain is the presented chain, leaf first, nil when the handshake
	// failed. HandshakeError says why it failed.
	Chain          []*x509.Certificate
	HandshakeError string
}

// DANE is the verdict for one probed address, over its own family.
type DANE struct {
	Status  DANEStatus `json:"status"`
	Matched *Record    `json:"matched,omitempty"` // the record that matched (pass)
	Error   string     `json:"error,omitempty"`
	// Note says where Postfix's own limits would change the verdict
	// (records beyond its first 100, a trust anchor deeper than its
	// verification depth).
	Note string `json:"note,omitempty"`
	// Publish is the record that would make this server's key match
	// ("_25._tcp.mx.example. IN TLSA 3 1 1 ..."), when a chain was seen
	// and the verdict is not pass.
	Publish string `json:"publish,omitempty"`
}

// Verify judges one probed address against its exchange's TLSA set, as a
// DANE SMTP client (Postfix smtp_tls_security_level = dane) would. now is
// the time DANE-TA chains are checked at (DANE-EE ignores dates, RFC 7672
// §3.1.1).
func Verify(set *TLSASet, p Presented, now time.Time) DANE {
	secure := set.IPv4Secure
	if p.Family == addr.IPv6 {
		secure = set.IPv6Secure
	}
	d := DANE{}
	switch {
	case set.Status == DANENotJudged:
		return DANE{Status: DANENotJudged, Error: set.Error}
	case set.Status == DANENotSecure:
		return DANE{Status: DANENotSecure, Error: set.Error}
	case !secure:
		return DANE{Status: DANENotSecure, Error: "the " + addr.Label(p.Family) + " address records are not DNSSEC-secure"}
	case set.Status == DANELookupError || set.Status == DANENoTLSA:
		return DANE{Status: set.Status, Error: set.Error}
	case !p.Tried:
		return DANE{Status: DANENotJudged, Error: "STARTTLS was not tried"}
	case !p.StartTLS:
		return DANE{Status: DANENoSTARTTLS, Error: "TLSA records exist and the server does not offer STARTTLS: a DANE sender defers (TLS is required, but was not offered)"}
	case len(p.Chain) == 0:
		msg := "TLSA records exist and the TLS handshake failed: a DANE sender defers"
		if p.HandshakeError != "" {
			msg += ": " + sanitize.Text(p.HandshakeError)
		}
		return DANE{Status: DANENoSTARTTLS, Error: msg}
	case set.Status == DANEUnusable:
		d = DANE{Status: DANEUnusable, Error: "no usable TLSA record: a DANE sender requires TLS but authenticates nothing"}
	default:
		d = match(set, p.Chain, now)
	}
	if d.Status != DANEPass {
		d.Publish = PublishRecord(set.port, set.Base, p.Chain[0])
	}
	return d
}

// referenceNames are the names a DANE-TA leaf may carry, as Postfix
// checks them (smtp_tls_policy.c dane_init): the TLSA base domain whose
// records were used, then the next-hop domain and its canonical name. The
// exchange name is not among them when the records came from its CNAME
// target: tls_dane.c tls_dane_resolve makes the target the base domain.
func referenceNames(base string, nextHop []string) []string {
	names := []string{dnsq.Fqdn(base)}
	for _, n := range nextHop {
		if n = dnsq.Fqdn(n); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// match finds a usable record matching the chain (RFC 7671 §5: any usable
// record will do).
func match(set *TLSASet, chain []*x509.Certificate, now time.Time) DANE {
	if len(chain) > MaxChain {
		chain = chain[:MaxChain]
	}
	leaf := chain[0]
	var taErr error
	for i := range set.Records {
		r := &set.Records[i]
		if !r.Usable {
			continue
		}
		switch r.Usage {
		case UsageDANEEE:
			// RFC 7672 §3.1.1: the leaf alone; names and dates ignored.
			if bytes.Equal(association(leaf, r.Selector, r.MType), r.data) {
				return matched(r, i, 0)
			}
		case UsageDANETA:
			for depth := 1; depth < len(chain); depth++ {
				if !bytes.Equal(association(chain[depth], r.Selector, r.MType), r.data) {
					continue
				}
				err := verifyTA(chain, depth, set.refNames, now)
				if err == nil {
					return matched(r, i, depth)
				}
				taErr = err
			}
		}
	}
	d := DANE{Status: DANEFail, Error: "no usable TLSA record matches the presented certificate chain: a DANE sender defers (Server certificate not verified)"}
	if taErr != nil {
		d.Error += "; a DANE-TA record matched a chain certificate, but " + sanitize.Text(taErr.Error())
	}
	return d
}

func matched(r *Record, index, depth int) DANE {
	d := DANE{Status: DANEPass, Matched: r}
	switch {
	case index >= PostfixMaxTLSA:
		d.Note = fmt.Sprintf("the matching record is number %d of the RRset; Postfix uses only the first %d, so it would not match", index+1, PostfixMaxTLSA)
	case depth >= PostfixMaxDepth:
		d.Note = fmt.Sprintf("the trust anchor is certificate %d of the chain; Postfix verifies at most %d, so it would not match", depth+1, PostfixMaxDepth)
	}
	return d
}

// verifyTA checks the chain from the leaf up to the trust anchor at depth
// (RFC 7671 §5.2.2: DANE-TA is PKIX validation with the TLSA-matched
// certificate as the only root; dates apply) and the leaf's names against
// the reference identifiers Postfix uses (referenceNames: the TLSA base
// domain and the next-hop domain, RFC 7672 §3.2.2).
func verifyTA(chain []*x509.Certificate, depth int, names []string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(chain[depth])
	inter := x509.NewCertPool()
	for _, c := range chain[1:depth] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		if certMatchesName(chain[0], n) {
			return nil
		}
	}
	bare := make([]string, len(names))
	for i, n := range names {
		bare[i] = sanitize.Text(dnsq.Bare(n))
	}
	switch len(bare) {
	case 1:
		return fmt.Errorf("the certificate does not name %s", bare[0])
	case 2:
		return fmt.Errorf("the certificate names neither %s nor %s", bare[0], bare[1])
	}
	return fmt.Errorf("the certificate names none of %s", strings.Join(bare, ", "))
}

// certMatchesName matches a reference name as Postfix does through
// OpenSSL's X509_check_host with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: the
// DNS names of the subjectAltName, or the subject CN when there are none;
// a wildcard is a whole left-most label "*" standing for exactly one label,
// under at least two labels ("*.example.com", never "*.com").
func certMatchesName(c *x509.Certificate, ref string) bool {
	ref = strings.ToLower(dnsq.Bare(dnsq.Fqdn(ref)))
	ids := c.DNSNames
	if len(ids) == 0 && c.Subject.CommonName != "" {
		ids = []string{c.Subject.CommonName}
	}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSuffix(id, "."))
		if id == ref {
			return true
		}
		rest, ok := strings.CutPrefix(id, "*.")
		if !ok || !strings.Contains(rest, ".") {
			continue
		}
		if label, parent, found := strings.Cut(ref, "."); found && label != "" && parent == rest {
			return true
		}
	}
	return false
}
