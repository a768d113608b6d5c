package tlspolicy

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// TLS-RPT statuses.
const (
	RPTOK          = "ok"           // exactly one valid v=TLSRPTv1 record
	RPTNone        = "none"         // no v=TLSRPTv1 record
	RPTInvalid     = "invalid"      // one record that does not parse, or more than one (RFC 8460 §3: then none is used)
	RPTLookupError = "lookup_error" // the TXT lookup failed
)

// TLSRPT is the TLS reporting policy of a domain (RFC 8460).
type TLSRPT struct {
	Record string   `json:"record"` // the v=TLSRPTv1 record, sanitised
	RUA    []string `json:"rua"`    // its report URIs, sanitised
	Status string   `json:"status"`
	Error  string   `json:"error,omitempty"`
}

// CheckTLSRPT looks up `_smtp._tls.<domain>` TXT and parses it.
func CheckTLSRPT(ctx context.Context, r dnsq.Resolver, domain string) TLSRPT {
	t := TLSRPT{RUA: []string{}}
	res := r.LookupTXT(ctx, "_smtp._tls."+dnsq.Fqdn(domain))
	switch res.Status {
	case dnsq.StatusOK:
	case dnsq.StatusNoData, dnsq.StatusNXDomain:
		t.Status = RPTNone
		return t
	default:
		t.Status, t.Error = RPTLookupError, "TXT lookup "+string(res.Status)
		return t
	}
	var recs []string
	for _, txt := range res.TXT {
		// RFC 8460 §3: records that do not begin with v=TLSRPTv1 are
		// discarded.
		if strings.HasPrefix(txt, "v=TLSRPTv1") {
			recs = append(recs, txt)
		}
	}
	switch len(recs) {
	case 0:
		t.Status = RPTNone
		return t
	case 1:
	default:
		t.Record = clip(recs[0])
		t.Status, t.Error = RPTInvalid, fmt.Sprintf("%d v=TLSRPTv1 records; RFC 8460 §3 needs exactly one", len(recs))
		return t
	}
	t.Record = sanitize.Text(recs[0])
	rua, err := ParseTLSRPT(recs[0])
	if err != nil {
		t.Status, t.Error = RPTInvalid, sanitize.Text(err.Error())
		return t
	}
	for _, u := range rua {
		t.RUA = append(t.RUA, sanitize.Text(u))
	}
	t.Status = RPTOK
	return t
}

// ParseTLSRPT parses a TLS-RPT record (RFC 8460 §3):
// "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example/v1". The
// version comes first; rua is required, once, with at least one mailto: or
// https: URI; other fields must be well-formed extensions. It returns the
// URIs.
func ParseTLSRPT(txt string) ([]string, error) {
	fields := strings.Split(txt, ";")
	var rua []string
	seenRUA := false
	for i, f := range fields {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i == len(fields)-1 {
				break
			}
			return nil, errors.New("empty field")
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("field %q has no '='", clip(f))
		}
		k, v = strings.Trim(k, " \t"), strings.Trim(v, " \t")
		switch {
		case i == 0:
			if k != "v" || v != "TLSRPTv1" {
				return nil, errors.New(`the record does not begin with "v=TLSRPTv1"`)
			}
		case k == "rua":
			if seenRUA {
				return nil, errors.New("rua appears twice")
			}
			seenRUA = true
			for _, u := range strings.Split(v, ",") {
				u = strings.Trim(u, " \t")
				if err := checkRUA(u); err != nil {
					return nil, err
				}
				rua = append(rua, u)
			}
		default:
			if !extName(k) || !extValue(v) {
				return nil, fmt.Errorf("field %q is not a valid extension", clip(f))
			}
		}
	}
	if !seenRUA {
		return nil, errors.New("no rua field")
	}
	return rua, nil
}

// checkRUA accepts the two URI schemes RFC 8460 §3 defines for reports:
// mailto: with an address, https: with a host.
func checkRUA(u string) error {
	p, err := url.Parse(u)
	if err != nil || u == "" {
		return fmt.Errorf("rua %q is not a URI", clip(u))
	}
	switch strings.ToLower(p.Scheme) {
	case "mailto":
		to, _, _ := strings.Cut(p.Opaque, "?")
		if unesc, err := url.PathUnescape(to); err == nil {
			to = unesc
		}
		if a, err := mail.ParseAddress(to); err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			return fmt.Errorf("rua %q is not a mailto: URI with one address", clip(u))
		}
	case "https":
		if p.Host == "" {
			return fmt.Errorf("rua %q has no host", clip(u))
		}
	default:
		return fmt.Errorf("rua %q: only mailto: and https: are report URIs (RFC 8460 §3)", clip(u))
	}
	return nil
}
