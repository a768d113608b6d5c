package tlspolicy

import (
	"strings"
	"testing"
)

// The parsers read DNS and HTTP data from anyone: they must never panic,
// and what they accept must be what they promise.

func FuzzParseSTSRecord(f *testing.F) {
	for _, s := range []string{"v=STSv1; id=20160831085700Z;", "v=STSv1;id=a;x=y;", "v=STSv1", "id=1; v=STSv1", ";;", "v=STSv1; id=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		id, err := ParseSTSRecord(txt)
		if err == nil && (id == "" || len(id) > 32 || !allAlnum(id) || !strings.HasPrefix(txt, "v=STSv1")) {
			t.Fatalf("accepted %q with id %q", txt, id)
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{goodPolicy, "version: STSv1\nmode: none\nmax_age: 0\n", "version: STSv1\r\nmode: testing\r\nmx: *.a.b\r\nmax_age: 31557600", "mx:\n:\n\n", "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 99999999999\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := ParsePolicy(body)
		if err != nil {
			return
		}
		if p.Version != "STSv1" || p.MaxAge < 0 || p.MaxAge > MaxMaxAge || (p.Mode != ModeNone && len(p.MX) == 0) {
			t.Fatalf("accepted %q as %+v", body, p)
		}
		for _, m := range p.MX {
			p.Covers(m)
		}
	})
}

func FuzzParseTLSRPT(f *testing.F) {
	for _, s := range []string{"v=TLSRPTv1; rua=mailto:tls@example.com", "v=TLSRPTv1;rua=https://r.example/x,mailto:a@b.c;", "v=TLSRPTv1; rua=", "v=TLSRPTv1; rua=mailto:%40@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		rua, err := ParseTLSRPT(txt)
		if err == nil && len(rua) == 0 {
			t.Fatalf("accepted %q without a report URI", txt)
		}
	})
}
