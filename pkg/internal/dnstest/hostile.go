package dnstest

import "time"

// HostileMailZone holds mail domains whose DNS leaves their addresses
// unknown or their MX set unusable, one way per domain; NewHostileMail
// serves it with the faults that go with it. Tests of every command run on
// it, so that they can compare exit codes on the same DNS.
//
//   - loop.test: the sole MX is a CNAME loop.
//   - long.test: the sole MX is a chain of 10 CNAMEs (clients follow 8).
//   - servfail.test, dropped.test: A and AAAA of the sole MX answer
//     SERVFAIL, or never.
//   - slow.test: A and AAAA of the sole MX answer after HostileDelay.
//   - nodata.test: the sole MX has no address (NODATA for both): a
//     definite failure.
//   - definite.test: one MX without addresses, one that SERVFAILs.
//   - halfdropped.test: the A and AAAA queries of one MX host get no
//     answer, the other MX host (good.test's) has its address: a sender
//     delivers there, so the domain is judged, not undetermined.
//   - halfslow.test: one MX host answers after HostileDelay, the other
//     (good.test's) at once: a deadline cuts the lookups after an address
//     is known.
//   - evil.test: the MX target is not a host name (a NUL byte in a label,
//     `mx\000evil.evil.test.` in presentation form); its address is
//     127.0.0.1, so that probes reach a local server.
//   - good.test: one MX with a documentation address.
//
// There is no SOA: the server answers for every name, reverse names
// included (NXDOMAIN).
const HostileMailZone = `
$TTL 300
loop.test.           MX 10 mx.loop.test.
mx.loop.test.        CNAME a.loop.test.
a.loop.test.         CNAME mx.loop.test.
long.test.           MX 10 c0.long.test.
c0.long.test.        CNAME c1.long.test.
c1.long.test.        CNAME c2.long.test.
c2.long.test.        CNAME c3.long.test.
c3.long.test.        CNAME c4.long.test.
c4.long.test.        CNAME c5.long.test.
c5.long.test.        CNAME c6.long.test.
c6.long.test.        CNAME c7.long.test.
c7.long.test.        CNAME c8.long.test.
c8.long.test.        CNAME c9.long.test.
c9.long.test.        CNAME c10.long.test.
c10.long.test.       A     192.0.2.10
servfail.test.       MX 10 mx.servfail.test.
mx.servfail.test.    A     192.0.2.20
dropped.test.        MX 10 mx.dropped.test.
mx.dropped.test.     A     192.0.2.30
slow.test.           MX 10 mx.slow.test.
mx.slow.test.        A     192.0.2.40
nodata.test.         MX 10 mx.nodata.test.
mx.nodata.test.      TXT   "no address here"
definite.test.       MX 10 mx.nodata.test.
definite.test.       MX 20 mx.servfail.test.
halfdropped.test.    MX 10 mx.dropped.test.
halfdropped.test.    MX 20 mx.good.test.
halfslow.test.       MX 10 mx.slow.test.
halfslow.test.       MX 20 mx.good.test.
evil.test.           MX 10 mx\000evil.evil.test.
mx\000evil.evil.test. A    127.0.0.1
good.test.           MX 10 mx.good.test.
mx.good.test.        A     192.0.2.60
`

// HostileDelay is how long slow.test's MX host takes to answer: longer
// than any deadline a test gives it.
const HostileDelay = 30 * time.Second

// NewHostileMail serves HostileMailZone with its faults, closed on cleanup.
func NewHostileMail(t TB, opts ...Option) *Server {
	t.Helper()
	for _, typ := range []string{"A", "AAAA"} {
		opts = append(opts,
			WithFault("mx.servfail.test.", typ, FaultServFail),
			WithFault("mx.dropped.test.", typ, FaultDrop))
	}
	s := New(t, HostileMailZone, opts...)
	s.Delay("mx.slow.test.", HostileDelay)
	return s
}
