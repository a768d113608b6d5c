package dnsq

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseServerAcceptsAddressesWithAndWithoutPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1:53"},
		{" 192.0.2.1:5353 ", "192.0.2.1:5353"},
		{"2001:db8::1", "[2001:db8::1]:53"},
		{"[2001:db8::1]", "[2001:db8::1]:53"},
		{"[2001:db8::1]:53", "[2001:db8::1]:53"},
		{"[2001:DB8::0:1]:0053", "[2001:db8::1]:53"},
		{"::ffff:192.0.2.1", "192.0.2.1:53"},
		{"fe80::1%eth0", "[fe80::1%eth0]:53"},
		{"127.0.0.1:65535", "127.0.0.1:65535"},
	}
	for _, tt := range tests {
		got, err := ParseServer(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseServerRejectsNamesAndGarbageWithAPreciseMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty DNS server address"},
		{"dns.google", `"dns.google" is a host name; give the DNS server's IP address`},
		{"dns.google:53", `"dns.google" is a host name`},
		{"192.0.2.1:0", `port "0" is not a number from 1 to 65535`},
		{"192.0.2.1:65536", `port "65536" is not a number from 1 to 65535`},
		{"192.0.2.1:dns", `port "dns" is not a number`},
		{"2001:db8::1:53:x", "with a port, IPv6 needs brackets"},
		{"192.0.2.300", "is not an IP address or IP:port"},
		{"[192.0.2.1:53", "is not an IP address or IP:port"},
		{"0.0.0.0", "unspecified address"},
		{"[::]:53", "unspecified address"},
		{"224.0.0.1", "multicast"},
		{"2001:db8::1%eth0", "zone"},
		{"1.2.3.4 5.6.7.8", "not an IP address"},
		{"@#!", "not an IP address"},
	}
	for _, tt := range tests {
		_, err := ParseServer(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseServer(%q) error %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestParseResolvConf(t *testing.T) {
	rc := parseResolvConf(strings.NewReader(`
# comment
search example.com
nameserver 192.0.2.53   # trailing comment
nameserver not-an-ip
nameserver 2001:db8::53
; another comment
nameserver 198.51.100.53
nameserver 203.0.113.53
options ndots:2 timeout:3 attempts:9 rotate
`))
	want := []string{"192.0.2.53:53", "[2001:db8::53]:53", "198.51.100.53:53"}
	if !slices.Equal(rc.servers, want) || rc.defaulted {
		t.Errorf("servers %v (defaulted %v), want the first three valid: %v", rc.servers, rc.defaulted, want)
	}
	if rc.timeout != 3*time.Second || rc.attempts != maxAttempts {
		t.Errorf("timeout %v attempts %d, want 3s and the cap %d", rc.timeout, rc.attempts, maxAttempts)
	}
	rc = parseResolvConf(strings.NewReader("search example.com\n"))
	if !slices.Equal(rc.servers, []string{"127.0.0.1:53"}) || !rc.defaulted {
		t.Errorf("no nameserver: %v, want the local host by default", rc.servers)
	}
}

func TestNewReadsResolvConfWhenNoServerIsGiven(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver 192.0.2.53\noptions timeout:1 attempts:3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{ResolvConf: path})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Servers(), []string{"192.0.2.53:53"}) || c.timeout != time.Second || c.attempts != 3 {
		t.Errorf("servers %v timeout %v attempts %d", c.Servers(), c.timeout, c.attempts)
	}
	// Explicit settings win over the file.
	c, err = New(Config{ResolvConf: path, Timeout: 5 * time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != 5*time.Second || c.attempts != 1 {
		t.Errorf("timeout %v attempts %d, want the Config's", c.timeout, c.attempts)
	}
	// A missing file means the local host, and the error says so.
	c, err = New(Config{ResolvConf: filepath.Join(dir, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if !c.defaulted || !slices.Equal(c.Servers(), []string{"127.0.0.1:53"}) {
		t.Errorf("missing resolv.conf: servers %v", c.Servers())
	}
}

func TestNewRejectsInvalidServers(t *testing.T) {
	if _, err := New(Config{Servers: []string{"resolver.example"}}); err == nil {
		t.Error("New accepted a host name as server")
	}
}
