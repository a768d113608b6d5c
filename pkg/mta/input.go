package mta

import (
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// Input is what an MTA knows about a destination domain after its DNS
// lookups, in a form that needs no I/O: the MX answer and, for every MX
// target, the A and AAAA answers with their statuses. Order matters: MX holds
// the records as the server sent them (Postfix and Exim keep answer order on
// preference ties, research §1.2, §2.1), and A/AAAA hold each answer in
// order (research §1.3).
type Input struct {
	Domain   string      // the mail domain, no trailing dot
	MXStatus dnsq.Status // status of the MX query
	// NullMX is set when at least one MX record has the empty target "."
	// (RFC 7505). MX then holds the other records, if any.
	NullMX bool
	// ImplicitMX is set when the MX query found no records (NODATA or
	// NXDOMAIN): the domain itself is the exchange with preference 0
	// (RFC 5321 §5.1). MX then holds that one exchange.
	ImplicitMX bool
	// OtherMXUnknown is set when NullMX is set but the source could not say
	// whether other MX records were present.
	OtherMXUnknown bool
	MX             []Exchange
}

// Exchange is one MX target with its addresses.
type Exchange struct {
	Preference uint16
	Host       string // no trailing dot; the domain itself for an implicit MX
	// IPLiteral is set when the MX target is an address, not a name:
	// Postfix and OpenSMTPD use it, Exim refuses it by default (research §1.3, §2.1).
	IPLiteral bool
	// InvalidName is set when the target is not a valid host name
	// (RFC 1123 §2.1): Postfix drops such an MX record (research §1.2,
	// dns_lookup.c valid_rr_name()).
	InvalidName bool
	AStatus     dnsq.Status
	AAAAStatus  dnsq.Status
	A           []netip.Addr // answer order
	AAAA        []netip.Addr // answer order
}

// FromDiscover converts a discover.Result into an Input. Addresses keep the
// order discover recorded (A records then AAAA, each in answer order).
func FromDiscover(r discover.Result) Input {
	in := Input{
		Domain:     r.Domain,
		MXStatus:   r.MXStatus,
		NullMX:     r.NullMX || r.NullMXMixed,
		ImplicitMX: r.ImplicitMX,
	}
	if r.MXStatus == dnsq.StatusNXDomain && len(r.MX) == 0 {
		// discover asks nothing more for a domain that does not exist;
		// an MTA that falls back to the domain's own A/AAAA (Postfix's
		// implicit-MX path, research §1.2) gets NXDOMAIN there too.
		in.ImplicitMX = true
		in.MX = []Exchange{{Host: r.Domain, AStatus: dnsq.StatusNXDomain, AAAAStatus: dnsq.StatusNXDomain}}
	}
	for _, x := range r.MX {
		e := Exchange{
			Preference:  x.Preference,
			Host:        x.Host,
			IPLiteral:   x.IPLiteral,
			InvalidName: x.InvalidName,
			AStatus:     x.AStatus,
			AAAAStatus:  x.AAAAStatus,
		}
		for _, a := range x.Addresses {
			if a.IP.Is4() {
				e.A = append(e.A, a.IP)
			} else {
				e.AAAA = append(e.AAAA, a.IP)
			}
		}
		in.MX = append(in.MX, e)
	}
	return in
}
