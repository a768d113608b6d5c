package tlspolicy

import (
	"context"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

func TestParseSTSRecord(t *testing.T) {
	for _, c := range []struct {
		txt, id, err string
	}{
		{"v=STSv1; id=20160831085700Z;", "20160831085700Z", ""},
		{"v=STSv1;id=abc", "abc", ""},
		{"v=STSv1; id=abc; ext_1=x.y", "abc", ""},
		{"v=STSv1;", "", "no id"},
		{"id=abc; v=STSv1", "", "does not begin"},
		{"v=STSv1; id=abc; id=def", "", "twice"},
		{"v=STSv1; id=" + strings.Repeat("a", 33), "", "1 to 32"},
		{"v=STSv1; id=a-b", "", "letters and digits"},
		{"v=STSv1; id=abc; bad field", "", "no '='"},
		{"v=STSv1; id=abc; x=a=b", "", "extension"},
		{"v=STSv1;; id=abc", "", "empty field"},
	} {
		id, err := ParseSTSRecord(c.txt)
		if c.err == "" && (err != nil || id != c.id) {
			t.Errorf("%q: id %q, err %v; want %q", c.txt, id, err, c.id)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: err %v, want one with %q", c.txt, err, c.err)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy(goodPolicy + "future_key: ignored\n")
	if err != nil || p.Mode != ModeEnforce || p.MaxAge != 86400 || len(p.MX) != 2 || p.MX[1] != "*.backup.example.com" {
		t.Fatalf("%+v, %v", p, err)
	}
	if p, err := ParsePolicy("version : STSv1\nmode: None\nmax_age: 0\n"); err != nil || p.Mode != ModeNone {
		t.Errorf("mode none needs no mx: %+v, %v", p, err)
	}
	for _, c := range []struct{ body, err string }{
		{"mode: enforce\nmx: a.example\nmax_age: 1\n", "no version"},
		{"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "want STSv1"},
		{"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "not enforce"},
		{"version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx"},
		{"version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age"},
		{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "above the maximum"},
		{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "digits"},
		{"version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n", "twice"},
		{"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", "not a host name"},
		{"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n", "not a host name"},
		{"version: STSv1\nmode enforce\n", "no ':'"},
	} {
		if _, err := ParsePolicy(c.body); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: err %v, want one with %q", c.body, err, c.err)
		}
	}
}

func TestPolicyWildcardCoversExactlyOneLabel(t *testing.T) {
	p := &Policy{MX: []string{"mail.example.com", "*.example.net"}}
	for host, want := range map[string]bool{
		"mail.example.com.": true, "MAIL.example.com": true, "example.com": false,
		"mx1.example.net": true, "example.net": false, "a.b.example.net": false, "xexample.net": false,
	} {
		if got := p.Covers(host); got != want {
			t.Errorf("%s: covered %v, want %v", host, got, want)
		}
	}
}

func TestParseTLSRPT(t *testing.T) {
	rua, err := ParseTLSRPT("v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/v1")
	if err != nil || len(rua) != 2 || rua[1] != "https://r.example.com/v1" {
		t.Fatalf("%v, %v", rua, err)
	}
	for _, c := range []struct{ txt, err string }{
		{"v=TLSRPTv1;", "no rua"},
		{"v=TLSRPTv1; rua=http://r.example.com/", "only mailto: and https:"},
		{"v=TLSRPTv1; rua=mailto:nobody", "one address"},
		{"v=TLSRPTv1; rua=https:///x", "no host"},
		{"rua=mailto:a@b.example; v=TLSRPTv1", "does not begin"},
		{"v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example", "twice"},
	} {
		if _, err := ParseTLSRPT(c.txt); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: err %v, want one with %q", c.txt, err, c.err)
		}
	}
}

func TestCheckTLSRPTStatuses(t *testing.T) {
	for _, c := range []struct {
		txt  []string
		fail dnsq.Status
		want string
	}{
		{[]string{"v=TLSRPTv1; rua=mailto:tls@example.com"}, "", RPTOK},
		{nil, "", RPTNone},
		{[]string{"v=spf1 -all"}, "", RPTNone},
		{[]string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"}, "", RPTInvalid},
		{[]string{"v=TLSRPTv1; rua=ftp://x\x1b[2J"}, "", RPTInvalid},
		{nil, dnsq.StatusTimeout, RPTLookupError},
	} {
		r := &dnsq.Mock{TXT: map[string][]string{}}
		if c.txt != nil {
			r.TXT["_smtp._tls.example.com."] = c.txt
		}
		if c.fail != "" {
			r.Fail = map[string]dnsq.Status{"TXT _smtp._tls.example.com.": c.fail}
		}
		got := CheckTLSRPT(context.Background(), r, "example.com")
		if got.Status != c.want {
			t.Errorf("%q: %+v, want %s", c.txt, got, c.want)
		}
		if strings.ContainsRune(got.Record+got.Error, 0x1b) {
			t.Errorf("%q: an escape sequence reached the report: %+v", c.txt, got)
		}
		if got.Status == RPTOK && (len(got.RUA) != 1 || got.RUA[0] != "mailto:tls@example.com") {
			t.Errorf("rua %v", got.RUA)
		}
	}
}
