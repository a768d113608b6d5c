package tlspolicy

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// TLSA certificate usages (RFC 6698 §2.1.1, RFC 7218 acronyms).
const (
	UsagePKIXTA = 0
	UsagePKIXEE = 1
	UsageDANETA = 2
	UsageDANEEE = 3
)

// Selectors (RFC 6698 §2.1.2) and matching types (§2.1.3).
const (
	SelectorCert = 0
	SelectorSPKI = 1

	MatchFull   = 0
	MatchSHA256 = 1
	MatchSHA512 = 2
)

// Record is one TLSA record as reported: the three fields, the data in
// lower-case hex, and whether a DANE SMTP client can use it.
type Record struct {
	Usage    uint8  `json:"usage"`
	Selector uint8  `json:"selector"`
	MType    uint8  `json:"mtype"`
	Data     string `json:"data"`
	Usable   bool   `json:"usable"`
	// Problem says why the record is unusable: PKIX usages, unknown
	// values, or malformed data (a digest of the wrong length). Empty
	// when usable.
	Problem string `json:"problem,omitempty"`

	data []byte
}

// Fields returns "3 1 1", the record without its data.
func (r Record) Fields() string {
	return strconv.Itoa(int(r.Usage)) + " " + strconv.Itoa(int(r.Selector)) + " " + strconv.Itoa(int(r.MType))
}

// NewRecord classifies one published record for DANE SMTP (RFC 7672
// §3.1.3, RFC 7671 §4): only DANE-TA(2) and DANE-EE(3) are usable, with
// selector 0 or 1 and matching type 0, 1 or 2, and data that can match
// (a digest of the digest's length; a full certificate that parses).
// Nothing in the data can make it panic: a malformed record is a typed
// result.
func NewRecord(t dnsq.TLSA) Record {
	r := Record{Usage: t.Usage, Selector: t.Selector, MType: t.MatchingType, Data: hex.EncodeToString(t.Data), data: t.Data}
	r.Problem = recordProblem(t)
	r.Usable = r.Problem == ""
	return r
}

func recordProblem(t dnsq.TLSA) string {
	switch t.Usage {
	case UsageDANETA, UsageDANEEE:
	case UsagePKIXTA, UsagePKIXEE:
		// RFC 7672 §3.1.3: SMTP clients cannot know which trust anchors
		// the server expects, so PKIX usages are unusable and ignored.
		return fmt.Sprintf("usage %d (PKIX-%s) is unusable for SMTP (RFC 7672 §3.1.3); publish DANE-EE(3) or DANE-TA(2)", t.Usage, map[uint8]string{0: "TA", 1: "EE"}[t.Usage])
	default:
		return fmt.Sprintf("unknown certificate usage %d", t.Usage)
	}
	if t.Selector > SelectorSPKI {
		return fmt.Sprintf("unknown selector %d", t.Selector)
	}
	switch t.MatchingType {
	case MatchFull:
		if len(t.Data) == 0 {
			return "malformed: empty association data"
		}
		if t.Selector == SelectorCert {
			if _, err := x509.ParseCertificate(t.Data); err != nil {
				return "malformed: the full certificate does not parse"
			}
		}
	case MatchSHA256:
		if len(t.Data) != sha256.Size {
			return fmt.Sprintf("malformed: a SHA-256 digest has 32 bytes, this one %d", len(t.Data))
		}
	case MatchSHA512:
		if len(t.Data) != sha512.Size {
			return fmt.Sprintf("malformed: a SHA-512 digest has 64 bytes, this one %d", len(t.Data))
		}
	default:
		return fmt.Sprintf("unknown matching type %d", t.MatchingType)
	}
	return ""
}

// association returns what a record with selector and mtype holds for
// cert: the certificate or its SubjectPublicKeyInfo, whole or digested.
func association(cert *x509.Certificate, selector, mtype uint8) []byte {
	var b []byte
	switch selector {
	case SelectorCert:
		b = cert.Raw
	case SelectorSPKI:
		b = cert.RawSubjectPublicKeyInfo
	default:
		return nil
	}
	switch mtype {
	case MatchFull:
		return b
	case MatchSHA256:
		d := sha256.Sum256(b)
		return d[:]
	case MatchSHA512:
		d := sha512.Sum512(b)
		return d[:]
	}
	return nil
}

// PublishRecord returns the TLSA record that makes cert's key match as
// DANE-EE with SPKI selector and SHA-256 ("3 1 1", the form RFC 7671 §5.1
// recommends: it survives certificate renewal with the same key), in zone
// file syntax: "_25._tcp.mx.example. IN TLSA 3 1 1 <hex>".
func PublishRecord(port int, host string, cert *x509.Certificate) string {
	return fmt.Sprintf("%s IN TLSA 3 1 1 %s", TLSAName(port, host), hex.EncodeToString(association(cert, SelectorSPKI, MatchSHA256)))
}

// TLSAName is the TLSA owner name for a port and base domain (RFC 7672
// §2.2.3): "_25._tcp.mx.example.".
func TLSAName(port int, base string) string {
	if port <= 0 {
		port = 25
	}
	return "_" + strconv.Itoa(port) + "._tcp." + dnsq.Fqdn(base)
}

// HasRolloverCover reports whether the usable records can survive a key
// change without an outage: a DANE-TA record, or DANE-EE records for more
// than one key (RFC 7671 §8.1, "current + next"). A single "3 1 1" breaks
// delivery from DANE senders the moment the key changes before the DNS
// does.
func HasRolloverCover(records []Record) bool {
	ee := map[string]bool{}
	for _, r := range records {
		if !r.Usable {
			continue
		}
		if r.Usage == UsageDANETA {
			return true
		}
		ee[r.Fields()+" "+r.Data] = true
	}
	return len(ee) > 1
}
