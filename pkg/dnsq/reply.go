package dnsq

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// reply is what the client reads of an answer: the header's flags and
// rcode, the answer section's records, what types the authority section
// holds, and whether there was an OPT record and an Extended DNS Error.
// The common answers of a bulk run are read straight from the wire into
// it (readReply); everything else is unpacked by miekg/dns first
// (replyOf).
type reply struct {
	Rcode                                                           int
	Truncated, Authoritative, RecursionAvailable, AuthenticatedData bool
	Answer                                                          []record
	nsSOA, nsNS                                                     bool // the authority section holds an SOA, an NS record
	edns                                                            bool // there was an OPT record (RFC 6891)
	ede                                                             *ExtendedError
}

// record is one resource record of the answer section: its owner, class
// and type, and the data of the types the client uses. Names are in
// miekg/dns's presentation format (bytes outside printable ASCII escaped
// as \DDD), as the server wrote their case.
type record struct {
	name         string
	class, rtype uint16
	target       string     // CNAME, MX, NS, PTR
	pref         uint16     // MX
	addr         netip.Addr // A, AAAA; invalid when the data is not an address of the type's family
	txt          string     // TXT, its strings unescaped and joined
	tlsa         *TLSA
}

// replyOf reads m, an answer miekg/dns unpacked.
func replyOf(m *dns.Msg) *reply {
	r := &reply{Rcode: m.Rcode, Truncated: m.Truncated, Authoritative: m.Authoritative,
		RecursionAvailable: m.RecursionAvailable, AuthenticatedData: m.AuthenticatedData,
		edns: m.IsEdns0() != nil, ede: extendedError(m)}
	if len(m.Answer) > 0 {
		r.Answer = make([]record, len(m.Answer))
		for i, rr := range m.Answer {
			r.Answer[i] = recordOf(rr)
		}
	}
	for _, rr := range m.Ns {
		switch rr.Header().Rrtype {
		case dns.TypeSOA:
			r.nsSOA = true
		case dns.TypeNS:
			r.nsNS = true
		}
	}
	return r
}

// recordOf reads one record miekg/dns unpacked (from an answer or a zone).
func recordOf(rr dns.RR) record {
	h := rr.Header()
	rec := record{name: h.Name, class: h.Class, rtype: h.Rrtype}
	switch v := rr.(type) {
	case *dns.MX:
		rec.pref, rec.target = v.Preference, v.Mx
	case *dns.A:
		if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
			rec.addr = a
		}
	case *dns.AAAA:
		if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && len(v.AAAA) == net.IPv6len {
			rec.addr = a
		}
	case *dns.CNAME:
		rec.target = v.Target
	case *dns.PTR:
		rec.target = v.Ptr
	case *dns.NS:
		rec.target = v.Ns
	case *dns.TXT:
		rec.txt = unescapeTXT(v.Txt)
	case *dns.TLSA:
		// miekg/dns keeps the association data as hex; a record whose hex
		// does not decode (it cannot, from the wire) is kept with no data
		// so that the caller still sees it and calls it malformed.
		data, _ := hex.DecodeString(v.Certificate)
		rec.tlsa = &TLSA{Usage: v.Usage, Selector: v.Selector, MatchingType: v.MatchingType, Data: data}
	}
	return rec
}

// readReply reads b, a datagram with the query's ID, as the answer to q
// when it has the shape most answers of a bulk run have: a response to a
// standard query, not truncated, NOERROR or NXDOMAIN, q as its one
// question, answer records of the types A, AAAA, MX, CNAME, PTR and NS
// only, no authority records, and in the additional section A and AAAA
// records (an authoritative server's glue) and at most one OPT record
// with no options and no extended rcode, all of it ending at the
// datagram's last byte. It builds only what the client reads, with a
// fraction of the allocations of miekg/dns's Unpack, and reads names with
// miekg/dns's own reader, so that the reply is the one replyOf would make
// of Unpack's message (a fuzz test holds that). ok is false for anything
// else, which is then unpacked by miekg/dns and judged as before.
func readReply(b []byte, q dns.Question) (r *reply, ok bool) {
	off, ok := afterQuestion(b, q)
	if !ok {
		return nil, false
	}
	f1, f2 := b[2], b[3]
	const opcode, aa, ra, ad = 0x78, 0x04, 0x80, 0x20
	if f1&opcode != 0 || f1&flagTC != 0 {
		return nil, false
	}
	rcode := int(f2 & 0x0f)
	if rcode != dns.RcodeSuccess && rcode != dns.RcodeNameError {
		return nil, false
	}
	be := binary.BigEndian
	an, ns, ar := int(be.Uint16(b[6:])), be.Uint16(b[8:]), int(be.Uint16(b[10:]))
	if ns != 0 || an > maxReadRecords || ar > maxReadRecords {
		return nil, false
	}
	r = &reply{Rcode: rcode, Authoritative: f1&aa != 0, RecursionAvailable: f2&ra != 0, AuthenticatedData: f2&ad != 0}
	if an > 0 {
		r.Answer = make([]record, 0, an)
	}
	for range an {
		var rec record
		var data, end int
		if rec.name, rec.rtype, rec.class, data, end, ok = readHeader(b, off); !ok {
			return nil, false
		}
		switch rec.rtype {
		case dns.TypeA, dns.TypeAAAA:
			if rec.addr, ok = addrIn(rec.rtype, b[data:end]); !ok {
				return nil, false
			}
		case dns.TypeMX:
			if end-data < 3 {
				return nil, false
			}
			rec.pref = be.Uint16(b[data:])
			if rec.target, ok = nameAt(b, data+2, end); !ok {
				return nil, false
			}
		case dns.TypeCNAME, dns.TypePTR, dns.TypeNS:
			if end == data {
				return nil, false
			}
			if rec.target, ok = nameAt(b, data, end); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		r.Answer = append(r.Answer, rec)
		off = end
	}
	for range ar {
		name, rtype, _, data, end, ok := readHeader(b, off)
		if !ok {
			return nil, false
		}
		switch rtype {
		case dns.TypeA, dns.TypeAAAA:
			if _, ok := addrIn(rtype, b[data:end]); !ok {
				return nil, false
			}
		case dns.TypeOPT:
			// RFC 6891 §6.1.2: the root name; the TTL holds the
			// extended rcode (its first octet), version and flags.
			if r.edns || name != "." || b[data-6] != 0 || end != data {
				return nil, false
			}
			r.edns = true
		default:
			return nil, false
		}
		off = end
	}
	if off != len(b) {
		return nil, false
	}
	return r, true
}

// maxReadRecords bounds the records of a section readReply reads itself;
// a longer answer goes to miekg/dns.
const maxReadRecords = 32

// readHeader reads the owner, type and class of the record at off, and
// where its data starts and ends.
func readHeader(b []byte, off int) (name string, rtype, class uint16, data, end int, ok bool) {
	name, o, err := dns.UnpackDomainName(b, off)
	if err != nil || o+10 > len(b) {
		return "", 0, 0, 0, 0, false
	}
	be := binary.BigEndian
	data = o + 10
	end = data + int(be.Uint16(b[o+8:]))
	if end > len(b) {
		return "", 0, 0, 0, 0, false
	}
	return name, be.Uint16(b[o:]), be.Uint16(b[o+2:]), data, end, true
}

// addrIn reads the data of an A or AAAA record: exactly an address of the
// type's family.
func addrIn(rtype uint16, data []byte) (netip.Addr, bool) {
	switch {
	case rtype == dns.TypeA && len(data) == 4:
		return netip.AddrFrom4([4]byte(data)), true
	case rtype == dns.TypeAAAA && len(data) == 16:
		return netip.AddrFrom16([16]byte(data)), true
	}
	return netip.Addr{}, false
}

// nameAt reads the name of a record's data that starts at off and must
// end at end.
func nameAt(b []byte, off, end int) (string, bool) {
	name, next, err := dns.UnpackDomainName(b, off)
	return name, err == nil && next == end
}
