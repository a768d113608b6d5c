package dnsq

import (
	"context"
	"slices"

	"github.com/miekg/dns"
)

// The Overlay is a SecureResolver too, so that the DNSSEC and DANE
// questions of a pre-deploy check (a TLSA record of one family's MX host
// dropped or changed by the next zone) are answered from the file like
// every other name, and live otherwise.
var _ SecureResolver = (*Overlay)(nil)

// LookupTLSA answers from the file that holds name, else from live DNS.
// A file's TLSA records are as validated only when the file is signed
// (Result.Authentic; see Overlay).
func (o *Overlay) LookupTLSA(ctx context.Context, name string) TLSAResult {
	res, st := o.lookup(ctx, name, dns.TypeTLSA)
	return TLSAResult{Result: res, TLSA: slices.Clone(st.tlsa)}
}

// LookupNS answers from the file that holds name, else from live DNS. At
// and below a delegation inside the file the child's servers answer, as
// they do for a resolver: live DNS.
func (o *Overlay) LookupNS(ctx context.Context, name string) NameResult {
	res, st := o.lookup(ctx, name, dns.TypeNS)
	return NameResult{Result: res, Names: slices.Clone(st.strs)}
}

// liveSecureLookup asks a live SecureResolver that is not the Client
// about TLSA and NS; ok is false for other types or resolvers.
func (o *Overlay) liveSecureLookup(ctx context.Context, name string, qtype uint16) (Result, *step, bool) {
	s, isSecure := o.live.(SecureResolver)
	if !isSecure {
		return Result{}, nil, false
	}
	switch qtype {
	case dns.TypeTLSA:
		r := s.LookupTLSA(ctx, name)
		return r.Result, &step{tlsa: r.TLSA}, true
	case dns.TypeNS:
		r := s.LookupNS(ctx, name)
		return r.Result, &step{strs: r.Names}, true
	}
	return Result{}, nil, false
}
