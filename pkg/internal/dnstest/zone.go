package dnstest

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// zone is the server's data, indexed once at load time so that a lookup is a
// map access whatever the zone size (bulk benchmarks serve 100k domains).
type zone struct {
	// nodes maps a lower-case owner name to its records in zone-file order.
	// Empty non-terminals (names that own nothing but have descendants) are
	// present with no records, so that they answer NODATA, not NXDOMAIN
	// (RFC 8020, RFC 4592 §2.2.2).
	nodes map[string]*node
	// soa maps a lower-case apex name to its SOA record.
	soa map[string]*dns.SOA
	// synthetic is the SOA used for negative answers when the zone text has
	// no SOA at all; the server then answers for every name.
	synthetic *dns.SOA
	// cuts are the delegations: names that own NS records but no SOA, in a
	// zone text that has SOAs (a text without SOA has no apex to delegate
	// from). Names at or below a cut get a referral (RFC 1034 §4.3.2 3b).
	cuts map[string]bool
}

type node struct {
	rrs []dns.RR
}

// parseZone reads zone text with miekg's ZoneParser. Relative names are
// relative to origin ("." when empty).
func parseZone(text, origin string) (*zone, error) {
	if origin == "" {
		origin = "."
	}
	z := &zone{nodes: map[string]*node{}, soa: map[string]*dns.SOA{}}
	zp := dns.NewZoneParser(strings.NewReader(text), dns.Fqdn(origin), "")
	zp.SetDefaultTTL(300)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		h.Name = strings.ToLower(h.Name)
		n := z.nodes[h.Name]
		if n == nil {
			n = &node{}
			z.nodes[h.Name] = n
			z.addAncestors(h.Name)
		}
		n.rrs = append(n.rrs, rr)
		if soa, ok := rr.(*dns.SOA); ok {
			z.soa[h.Name] = soa
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("dnstest: zone: %w", err)
	}
	if len(z.soa) > 0 {
		for name, n := range z.nodes {
			if z.soa[name] != nil {
				continue
			}
			for _, rr := range n.rrs {
				if rr.Header().Rrtype == dns.TypeNS {
					if z.cuts == nil {
						z.cuts = map[string]bool{}
					}
					z.cuts[name] = true
					break
				}
			}
		}
	}
	if len(z.soa) == 0 {
		z.synthetic = &dns.SOA{
			Hdr:     dns.RR_Header{Name: ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
			Ns:      "ns.dnstest.invalid.",
			Mbox:    "hostmaster.dnstest.invalid.",
			Serial:  1,
			Refresh: 3600,
			Retry:   600,
			Expire:  86400,
			Minttl:  60,
		}
	}
	return z, nil
}

// addAncestors records every ancestor of name as an existing (possibly empty
// non-terminal) node.
func (z *zone) addAncestors(name string) {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		parent := name[off:]
		if _, ok := z.nodes[parent]; ok {
			return // its ancestors were added with it
		}
		z.nodes[parent] = &node{}
	}
}

// apex returns the SOA of the zone enclosing name, or nil when the server is
// not authoritative for name.
func (z *zone) apex(name string) *dns.SOA {
	if z.synthetic != nil {
		return z.synthetic
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if soa := z.soa[name[off:]]; soa != nil {
			return soa
		}
	}
	return z.soa["."]
}

// wildcard synthesises the node for a name that does not exist from the
// wildcard at its closest encloser, if there is one (RFC 4592 §3.3.1): the
// nearest existing ancestor, empty non-terminals included, must own
// "*.<ancestor>". Records are copied with the asked name as owner.
func (z *zone) wildcard(name string) *node {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		encloser := name[off:]
		if _, ok := z.nodes[encloser]; !ok {
			continue
		}
		w := z.nodes["*."+encloser]
		if w == nil {
			return nil
		}
		n := &node{rrs: make([]dns.RR, len(w.rrs))}
		for i, rr := range w.rrs {
			n.rrs[i] = dns.Copy(rr)
			n.rrs[i].Header().Name = name
		}
		return n
	}
	return nil
}

// cut returns the delegation at or above name, below apex, if any. A DS
// query at the cut itself is the parent's to answer (RFC 4035 §3.1.4.1).
func (z *zone) cut(name, apex string, qtype uint16) string {
	if len(z.cuts) == 0 {
		return ""
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		c := name[off:]
		if c == apex {
			return ""
		}
		parentsDS := off == 0 && qtype == dns.TypeDS
		if z.cuts[c] && !parentsDS {
			return c
		}
	}
	return ""
}

// referral answers with the delegation's NS records and, as glue, the
// addresses of those name servers held in this zone (RFC 1034 §4.3.2 3b).
func (z *zone) referral(m *dns.Msg, cut string) {
	// Only an authoritative server refers; a recursive resolver would have
	// followed the delegation, so RA is cleared too.
	m.Authoritative = false
	m.RecursionAvailable = false
	for _, rr := range z.nodes[cut].rrs {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		m.Ns = append(m.Ns, ns)
		if g := z.nodes[strings.ToLower(ns.Ns)]; g != nil {
			for _, grr := range g.rrs {
				if t := grr.Header().Rrtype; t == dns.TypeA || t == dns.TypeAAAA {
					m.Extra = append(m.Extra, grr)
				}
			}
		}
	}
}

// maxChain bounds CNAME chasing inside the server, as real servers do, so
// that a CNAME loop in the zone ends.
const maxChain = 16

// answer fills m (already SetReply'd) for (qname, qtype) the way an
// authoritative server does: records of the asked type in zone-file order;
// a CNAME chain followed while its targets are in zone (RFC 1034 §4.3.2
// step 3a); NXDOMAIN or NODATA with the zone's SOA in the authority section
// (RFC 2308 §2.1, §2.2); the rcode of the last name in the chain (RFC 6604).
// It returns false when the server is not authoritative for qname.
func (z *zone) answer(m *dns.Msg, qname string, qtype uint16) bool {
	name := strings.ToLower(qname)
	soa := z.apex(name)
	if soa == nil {
		return false
	}
	for hop := 0; hop < maxChain; hop++ {
		if cut := z.cut(name, soa.Hdr.Name, qtype); cut != "" {
			if hop == 0 {
				z.referral(m, cut)
			}
			return true // a CNAME into a delegation: the chase stops here
		}
		n := z.nodes[name]
		if n == nil {
			n = z.wildcard(name)
		}
		if n == nil {
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, soa)
			return true
		}
		var cname dns.RR
		matched := false
		for _, rr := range n.rrs {
			t := rr.Header().Rrtype
			switch {
			case t == qtype || qtype == dns.TypeANY:
				m.Answer = append(m.Answer, rr)
				matched = true
			case t == dns.TypeCNAME:
				cname = rr
			}
		}
		if matched {
			return true
		}
		if cname == nil {
			m.Ns = append(m.Ns, soa)
			return true
		}
		m.Answer = append(m.Answer, cname)
		name = strings.ToLower(cname.(*dns.CNAME).Target)
		if soa = z.apex(name); soa == nil {
			return true // out of zone: the client (or its resolver) chases it
		}
	}
	return true
}
