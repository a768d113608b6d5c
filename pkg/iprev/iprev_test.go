package iprev

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

var (
	ip4 = netip.MustParseAddr("192.0.2.25")
	ip6 = netip.MustParseAddr("2001:db8::25")
)

func TestCheckStatuses(t *testing.T) {
	tests := []struct {
		name          string
		ip            netip.Addr
		mock          *dnsq.Mock
		want          Status
		wantPTRStatus dnsq.Status
		wantConfirmed []string
		wantErr       bool
	}{
		{
			name: "no PTR record is none",
			ip:   ip4,
			mock: &dnsq.Mock{},
			want: StatusNone, wantPTRStatus: dnsq.StatusNXDomain,
		},
		{
			name: "PTR that maps back over A is pass",
			ip:   ip4,
			mock: &dnsq.Mock{
				PTR: map[string][]string{"192.0.2.25": {"mx.example.com."}},
				A:   map[string][]netip.Addr{"mx.example.com.": {netip.MustParseAddr("192.0.2.9"), ip4}},
			},
			want: StatusPass, wantPTRStatus: dnsq.StatusOK, wantConfirmed: []string{"mx.example.com."},
		},
		{
			name: "PTR that maps back over AAAA is pass",
			ip:   ip6,
			mock: &dnsq.Mock{
				PTR:  map[string][]string{"2001:db8::25": {"mx.example.com."}},
				AAAA: map[string][]netip.Addr{"mx.example.com.": {ip6}},
			},
			want: StatusPass, wantPTRStatus: dnsq.StatusOK, wantConfirmed: []string{"mx.example.com."},
		},
		{
			name: "IPv6 address confirmed only over A is fail: same family only",
			ip:   ip6,
			mock: &dnsq.Mock{
				PTR: map[string][]string{"2001:db8::25": {"mx.example.com."}},
				A:   map[string][]netip.Addr{"mx.example.com.": {ip4}},
			},
			want: StatusFail, wantPTRStatus: dnsq.StatusOK,
		},
		{
			name: "PTR name that is NXDOMAIN is fail",
			ip:   ip4,
			mock: &dnsq.Mock{PTR: map[string][]string{"192.0.2.25": {"gone.example.com."}}},
			want: StatusFail, wantPTRStatus: dnsq.StatusOK,
		},
		{
			name: "PTR name resolving elsewhere is fail",
			ip:   ip4,
			mock: &dnsq.Mock{
				PTR: map[string][]string{"192.0.2.25": {"mx.example.com."}},
				A:   map[string][]netip.Addr{"mx.example.com.": {netip.MustParseAddr("192.0.2.26")}},
			},
			want: StatusFail, wantPTRStatus: dnsq.StatusOK,
		},
		{
			name: "one of two names passing is pass even when the other times out",
			ip:   ip4,
			mock: &dnsq.Mock{
				PTR:  map[string][]string{"192.0.2.25": {"slow.example.com.", "mx.example.com."}},
				A:    map[string][]netip.Addr{"mx.example.com.": {ip4}},
				Fail: map[string]dnsq.Status{"A slow.example.com.": dnsq.StatusTimeout},
			},
			want: StatusPass, wantPTRStatus: dnsq.StatusOK, wantConfirmed: []string{"mx.example.com."},
		},
		{
			name: "forward SERVFAIL with no pass is temperror",
			ip:   ip4,
			mock: &dnsq.Mock{
				PTR:  map[string][]string{"192.0.2.25": {"mx.example.com.", "other.example.com."}},
				Fail: map[string]dnsq.Status{"A mx.example.com.": dnsq.StatusServFail},
			},
			want: StatusTempError, wantPTRStatus: dnsq.StatusOK, wantErr: true,
		},
		{
			name: "PTR timeout is temperror",
			ip:   ip4,
			mock: &dnsq.Mock{Fail: map[string]dnsq.Status{"PTR 25.2.0.192.in-addr.arpa.": dnsq.StatusTimeout}},
			want: StatusTempError, wantPTRStatus: dnsq.StatusTimeout, wantErr: true,
		},
		{
			name: "PTR REFUSED is temperror",
			ip:   ip4,
			mock: &dnsq.Mock{Fail: map[string]dnsq.Status{"PTR 25.2.0.192.in-addr.arpa.": dnsq.StatusRefused}},
			want: StatusTempError, wantPTRStatus: dnsq.StatusRefused, wantErr: true,
		},
		{
			name: "PTR that is not a host name is permerror",
			ip:   ip4,
			mock: &dnsq.Mock{PTR: map[string][]string{"192.0.2.25": {"bad name!.example."}}},
			want: StatusPermError, wantPTRStatus: dnsq.StatusOK, wantErr: true,
		},
		{
			name: "PTR that spells an address is permerror",
			ip:   ip4,
			mock: &dnsq.Mock{PTR: map[string][]string{"192.0.2.25": {"192.0.2.25."}}},
			want: StatusPermError, wantPTRStatus: dnsq.StatusOK, wantErr: true,
		},
		{
			name: "a malformed name beside a valid one is judged on the valid one",
			ip:   ip4,
			mock: &dnsq.Mock{
				PTR: map[string][]string{"192.0.2.25": {"-bad.example.", "mx.example.com."}},
				A:   map[string][]netip.Addr{"mx.example.com.": {ip4}},
			},
			want: StatusPass, wantPTRStatus: dnsq.StatusOK, wantConfirmed: []string{"mx.example.com."},
		},
		{
			name: "IPv4-mapped address is confirmed over AAAA",
			ip:   netip.MustParseAddr("::ffff:192.0.2.25"),
			mock: &dnsq.Mock{
				PTR:  map[string][]string{"::ffff:192.0.2.25": {"mx.example.com."}},
				A:    map[string][]netip.Addr{"mx.example.com.": {ip4}},
				AAAA: map[string][]netip.Addr{"mx.example.com.": {netip.MustParseAddr("::ffff:192.0.2.25")}},
			},
			want: StatusPass, wantPTRStatus: dnsq.StatusOK, wantConfirmed: []string{"mx.example.com."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(context.Background(), tc.mock, tc.ip)
			if got.Status != tc.want {
				t.Errorf("Status = %s, want %s (err %v)", got.Status, tc.want, got.Err)
			}
			if got.PTRStatus != tc.wantPTRStatus {
				t.Errorf("PTRStatus = %s, want %s", got.PTRStatus, tc.wantPTRStatus)
			}
			if fmt.Sprint(got.Confirmed) != fmt.Sprint(tc.wantConfirmed) {
				t.Errorf("Confirmed = %v, want %v", got.Confirmed, tc.wantConfirmed)
			}
			if (got.Err != nil) != tc.wantErr {
				t.Errorf("Err = %v, want error %v", got.Err, tc.wantErr)
			}
		})
	}
}

func TestCheckCapsForwardLookupsAndSaysSo(t *testing.T) {
	var names []string
	m := &dnsq.Mock{A: map[string][]netip.Addr{}}
	for i := range MaxNames + 5 {
		n := fmt.Sprintf("h%d.example.com.", i)
		names = append(names, n)
		m.A[n] = []netip.Addr{netip.MustParseAddr("192.0.2.99")}
	}
	// Only the last name maps back, and it is beyond the cap.
	m.A[names[len(names)-1]] = []netip.Addr{ip4}
	m.PTR = map[string][]string{"192.0.2.25": names}

	got := Check(context.Background(), m, ip4)
	if !got.Truncated {
		t.Error("Truncated = false with more than MaxNames names")
	}
	if len(got.PTR) != len(names) {
		t.Errorf("PTR has %d names, want all %d", len(got.PTR), len(names))
	}
	if got.Status != StatusFail {
		t.Errorf("Status = %s, want fail (the passing name is beyond the cap)", got.Status)
	}
	for i, n := range names {
		want := 1
		if i >= MaxNames {
			want = 0
		}
		if c := m.Calls("A " + n); c != want {
			t.Errorf("A %s asked %d times, want %d", n, c, want)
		}
	}
}

func TestValidHostname(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"mx.example.com.", true},
		{"mx.example.com", true},
		{"localhost.", true},
		{"mail_1.example.com", true}, // Postfix valid_hostname() accepts '_'
		{"xn--bcher-kva.example", true},
		{"", false},
		{".", false},
		{"a..example", false},
		{"-mx.example", false},
		{"mx-.example", false},
		{"bad name.example", false},
		{"mx.example.com\\000", false},
		{"192.0.2.1", false},
		{"2001:db8::1", false},
		{"::ffff:192.0.2.1", false},
		{"fe80::1%eth0", false},
		{"192.0.2.1.", false},
		{"1.2.3", false},
		{"mx.123", false},
		{string(make([]byte, 64)) + ".example", false},
	}
	long := ""
	for len(long) < 260 {
		long += "abcdefghij."
	}
	tests = append(tests, struct {
		name string
		want bool
	}{long + "com", false})
	for _, tc := range tests {
		if got := ValidHostname(tc.name); got != tc.want {
			t.Errorf("ValidHostname(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
