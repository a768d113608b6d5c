package mta

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// RFC 6724 §10.2 examples, which Go's table and rules reproduce.
func TestGoResolverOrderFollowsRFC6724Examples(t *testing.T) {
	tests := []struct {
		name  string
		dests []string // "DEST>SOURCE"
		want  string
		rule  int
	}{
		{"prefer matching scope (IPv4 source is link-local)", []string{"198.51.100.121>169.254.13.78", "2001:db8:1::1>2001:db8:1::2"}, "2001:db8:1::1 198.51.100.121", 2},
		{"prefer matching scope (IPv6 source is link-local)", []string{"2001:db8:1::1>fe80::1", "198.51.100.121>198.51.100.117"}, "198.51.100.121 2001:db8:1::1", 2},
		{"prefer higher precedence: IPv6 40 > IPv4 35", []string{"10.1.2.3>10.1.2.4", "2001:db8:1::1>2001:db8:1::2"}, "2001:db8:1::1 10.1.2.3", 6},
		{"prefer smaller scope", []string{"2001:db8:1::1>2001:db8:1::2", "fe80::1>fe80::2"}, "fe80::1 2001:db8:1::1", 8},
		{"prefer higher precedence: native 40 > 6to4 30", []string{"2002:c633:6401::1>2002:c633:6401::2", "2001:db8:1::1>2001:db8:1::2"}, "2001:db8:1::1 2002:c633:6401::1", 6},
		{"prefer matching label: a 6to4 source", []string{"2001:db8:1::1>2002:c633:6401::2", "2002:c633:6401::1>2002:c633:6401::2"}, "2002:c633:6401::1 2001:db8:1::1", 5},
		{"avoid unusable destinations", []string{"2001:db8:1::1>", "198.51.100.121>198.51.100.117"}, "198.51.100.121 2001:db8:1::1", 1},
		{"a ULA-only host prefers IPv4 by label", []string{"2001:db8:1::1>fd00::2", "192.0.2.25>192.0.2.10"}, "192.0.2.25 2001:db8:1::1", 5},
		{"rule 9 only for IPv6 and within 64 bits", []string{"2001:db8:1:0:ffff::1>2001:db8:1::2", "2001:db8:1::99>2001:db8:1::2"}, "2001:db8:1:0:ffff::1 2001:db8:1::99", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []GAIDest
			for _, d := range tt.dests {
				dst, src, _ := strings.Cut(d, ">")
				g := GAIDest{Addr: netip.MustParseAddr(dst)}
				if src != "" {
					g.Source = netip.MustParseAddr(src)
				}
				in = append(in, g)
			}
			got := GoResolverOrder(in)
			if orderOf(got) != tt.want || got.Decisions[0].Rule != tt.rule {
				t.Errorf("order %q decided by %+v, want %q by rule %d", orderOf(got), got.Decisions[0], tt.want, tt.rule)
			}
		})
	}
}

// The real Go resolver is the oracle: a loopback DNS server answers A and
// AAAA for one name, net.Resolver (pure Go) sorts the answers with this
// host's real source addresses, and the model, given the same sources found
// the same way (a UDP connect), must give the same order for either arrival
// order of the two answers (or the one it says the order rests on).
func TestGoResolverOrderMatchesTheRealGoResolver(t *testing.T) {
	answers := map[uint16][]netip.Addr{
		1:  {netip.MustParseAddr("192.0.2.25"), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.51.100.25")},
		28: {netip.MustParseAddr("2001:db8::25"), netip.MustParseAddr("fd00::25"), netip.MustParseAddr("::1"), netip.MustParseAddr("2002:c000:204::1")},
	}
	srv := serveAddresses(t, answers)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", srv)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	real, err := r.LookupIPAddr(ctx, "gai.mailcheck.test.")
	if err != nil {
		t.Fatal(err)
	}
	var gotReal []string
	for _, a := range real {
		ip, _ := netip.AddrFromSlice(a.IP)
		gotReal = append(gotReal, ip.Unmap().String())
	}
	source := func(a netip.Addr) netip.Addr { // net/addrselect.go srcAddrs
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 53)))
		if err != nil {
			return netip.Addr{}
		}
		defer c.Close()
		src, _ := netip.AddrFromSlice(c.LocalAddr().(*net.UDPAddr).IP)
		return src
	}
	var models []string
	for _, first := range []uint16{1, 28} {
		var in []GAIDest
		for _, qt := range []uint16{first, 29 - first} {
			for _, a := range answers[qt] {
				in = append(in, GAIDest{Addr: a, Source: source(a)})
			}
		}
		models = append(models, orderOf(GoResolverOrder(in)))
	}
	t.Logf("Go resolver: %s; model (A first): %s; model (AAAA first): %s", strings.Join(gotReal, " "), models[0], models[1])
	if got := strings.Join(gotReal, " "); got != models[0] && got != models[1] {
		t.Errorf("Go's resolver: %s\nmodel, A answer first:    %s\nmodel, AAAA answer first: %s", got, models[0], models[1])
	}
}

// serveAddresses answers A (1) and AAAA (28) queries for any name on a
// loopback UDP port with the given addresses, in order, and returns the
// port's address. Standard library only: a question is echoed, answers
// point back to it by compression.
func serveAddresses(t *testing.T, answers map[uint16][]netip.Addr) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			if n < 17 {
				continue
			}
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			if end+5 > n {
				continue
			}
			qtype := binary.BigEndian.Uint16(q[end+1:])
			resp := append([]byte(nil), q[:end+5]...)
			resp[2] = 0x80 | q[2]&0x01 // QR, RD copied
			resp[3] = 0x80             // RA, NOERROR
			binary.BigEndian.PutUint16(resp[4:], 1)
			binary.BigEndian.PutUint16(resp[8:], 0)
			binary.BigEndian.PutUint16(resp[10:], 0)
			var count uint16
			for _, a := range answers[qtype] {
				data := a.AsSlice()
				rr := []byte{0xc0, 12, 0, byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(len(data))}
				resp = append(append(resp, rr...), data...)
				count++
			}
			binary.BigEndian.PutUint16(resp[6:], count)
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	return pc.LocalAddr().String()
}
