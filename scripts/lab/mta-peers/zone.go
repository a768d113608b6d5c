package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// zone is the authoritative data of one zone file, kept in file order.
// Each SOA record in the file starts a zone at its owner name, so one file
// can hold several zones (the lab's own, and short names for tests whose
// MTA hashes them).
type zone struct {
	soas     []*dns.SOA
	rrs      []dns.RR            // file order
	names    map[string]bool     // owner names that exist (lower case)
	servfail map[string]struct{} // "name/TYPE" answered with SERVFAIL
}

func loadZone(path string, servfail []string) (*zone, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z := &zone{names: map[string]bool{}, servfail: map[string]struct{}{}}
	zp := dns.NewZoneParser(f, "", path)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		h.Name = strings.ToLower(h.Name)
		if soa, isSOA := rr.(*dns.SOA); isSOA {
			z.soas = append(z.soas, soa)
		}
		z.rrs = append(z.rrs, rr)
		// Every ancestor up to the apex exists too (RFC 4592 §2.2.2 empty non-terminals).
		for n := h.Name; ; {
			z.names[n] = true
			i := strings.IndexByte(n, '.')
			if i < 0 || i == len(n)-1 {
				break
			}
			n = n[i+1:]
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("zone %s: %w", path, err)
	}
	if len(z.soas) == 0 {
		return nil, fmt.Errorf("zone %s: no SOA record", path)
	}
	for _, s := range servfail {
		name, typ, ok := strings.Cut(s, "/")
		t, known := dns.StringToType[strings.ToUpper(typ)]
		if !ok || !known {
			return nil, fmt.Errorf("-servfail %q: want NAME/TYPE", s)
		}
		z.servfail[servfailKey(dns.Fqdn(name), t)] = struct{}{}
	}
	return z, nil
}

func servfailKey(name string, t uint16) string {
	return strings.ToLower(name) + "/" + dns.TypeToString[t]
}

// apex returns the SOA of the closest zone that holds name, or nil.
func (z *zone) apex(name string) *dns.SOA {
	var best *dns.SOA
	for _, soa := range z.soas {
		o := soa.Hdr.Name
		if (name == o || strings.HasSuffix(name, "."+o)) && (best == nil || len(o) > len(best.Hdr.Name)) {
			best = soa
		}
	}
	return best
}

// lookup returns the records of name and type in file order.
func (z *zone) lookup(name string, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range z.rrs {
		if rr.Header().Name == name && rr.Header().Rrtype == t {
			out = append(out, dns.Copy(rr))
		}
	}
	return out
}

type handler struct {
	zone *zone
	log  *eventLog
}

func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := h.answer(req)
	if len(req.Question) == 1 {
		q := req.Question[0]
		h.log.printf("dns %s %s %s -> %s an=%d", w.RemoteAddr(), q.Name, dns.TypeToString[q.Qtype],
			dns.RcodeToString[m.Rcode], len(m.Answer))
	}
	_ = w.WriteMsg(m)
}

func (h *handler) answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	// RA set although this server does not recurse: glibc's stub resolver
	// discards answers without it (research/lab-notes.md, "DNS for the MTA").
	m.RecursionAvailable = true
	if req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		m.Rcode = dns.RcodeNotImplemented
		return m
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	z := h.zone
	soa := z.apex(name)
	if soa == nil {
		m.Rcode = dns.RcodeRefused
		return m
	}
	if _, fail := z.servfail[servfailKey(name, q.Qtype)]; fail {
		m.Rcode = dns.RcodeServerFailure
		return m
	}
	m.Authoritative = true
	// Follow CNAMEs inside the zone (RFC 1034 §4.3.2 step 3a), at most 8 hops.
	for hop := 0; hop < 8; hop++ {
		if rrs := z.lookup(name, q.Qtype); len(rrs) > 0 {
			m.Answer = append(m.Answer, rrs...)
			return m
		}
		cn := z.lookup(name, dns.TypeCNAME)
		if len(cn) == 0 || q.Qtype == dns.TypeCNAME {
			break
		}
		m.Answer = append(m.Answer, cn[0])
		name = strings.ToLower(cn[0].(*dns.CNAME).Target)
		if soa = z.apex(name); soa == nil {
			return m
		}
	}
	if !z.names[name] {
		m.Rcode = dns.RcodeNameError
	}
	m.Ns = []dns.RR{dns.Copy(soa)}
	return m
}
