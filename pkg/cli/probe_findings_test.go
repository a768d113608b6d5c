package cli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

type probeFinding struct{ Code, Subject, Message, Fix string }

func probeFindings(t *testing.T, out string) []probeFinding {
	t.Helper()
	var doc struct{ Findings []probeFinding }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return doc.Findings
}

// `mailcheck probe 127.0.0.1` probes an address, not the MX set of a
// domain: its findings speak of that address, compare the EHLO name with
// the PTR only, and never propose the address as myhostname.
func TestProbeOfAnAddressSpeaksOfTheAddressNotOfMX(t *testing.T) {
	mxWord := regexp.MustCompile(`\bMX\b`)
	mock := &dnsq.Mock{PTR: map[string][]string{"127.0.0.1": {"host-1.isp.example."}}}
	check := func(t *testing.T, fs []probeFinding) {
		for _, f := range fs {
			if mxWord.MatchString(f.Message) || mxWord.MatchString(f.Fix) || strings.Contains(f.Fix, "myhostname = 127.0.0.1") {
				t.Errorf("%s treats the address as an MX host: %s / fix: %s", f.Code, f.Message, f.Fix)
			}
			if f.Code == "MC313" {
				t.Errorf("MC313 (EHLO name is not the MX name) for an address: %s", f.Message)
			}
		}
	}
	t.Run("answering with another name", func(t *testing.T) {
		srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.example.test", EHLOName: "mx.example.test"})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		out, errOut, code := probeEnv{resolver: mock}.run(t, "probe", "--port", fmt.Sprint(srv.Addr().Port()), "--helo", "c.test", "-o", "json", "127.0.0.1")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		fs := probeFindings(t, out)
		found := false
		for _, f := range fs {
			found = found || f.Code == "MC311" && strings.Contains(f.Message, "its PTR is host-1.isp.example")
		}
		if !found {
			t.Errorf("no MC311 comparing the EHLO name with the PTR: %+v", fs)
		}
		check(t, fs)
	})
	t.Run("refusing", func(t *testing.T) {
		closed, err := smtptest.ClosedPort("tcp4")
		if err != nil {
			t.Fatal(err)
		}
		out, _, code := probeEnv{resolver: mock}.run(t, "probe", "--port", fmt.Sprint(closed.Port()), "--helo", "c.test", "-o", "json", "127.0.0.1")
		if code != ExitFindings {
			t.Fatalf("exit %d, want 1", code)
		}
		fs := probeFindings(t, out)
		found := false
		for _, f := range fs {
			found = found || f.Code == "MC305" && strings.HasPrefix(f.Message, "127.0.0.1 did not accept an SMTP session")
		}
		if !found {
			t.Errorf("MC305 does not speak of the address: %+v", fs)
		}
		check(t, fs)
	})
}

// probe --no-starttls stops after EHLO: no STARTTLS or certificate finding
// comes from it (it did not look), MC906 says TLS was not judged and what
// EHLO advertised.
func TestProbeWithoutSTARTTLSDoesNotJudgeTLS(t *testing.T) {
	for _, c := range []struct {
		name    string
		script  smtptest.Script
		offered string
	}{
		{"server offers STARTTLS", smtptest.Script{BannerName: "mx.example.test"}, "1 of 1 address offered STARTTLS"},
		{"server does not offer STARTTLS", smtptest.Script{BannerName: "mx.example.test", NoTLS: true}, "0 of 1 address offered STARTTLS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, err := smtptest.Start(c.script)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			out, errOut, code := probeEnv{}.run(t, "probe", "--port", fmt.Sprint(srv.Addr().Port()), "--helo", "c.test", "--no-starttls", "-o", "json", "127.0.0.1")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			mc906 := false
			for _, f := range probeFindings(t, out) {
				switch f.Code {
				case "MC306", "MC307", "MC308", "MC309", "MC310", "MC312", "MC313", "MC408", "MC409":
					t.Errorf("%s from a probe that did not try STARTTLS: %s", f.Code, f.Message)
				case "MC906":
					mc906 = strings.Contains(f.Message, c.offered)
				}
			}
			if !mc906 {
				t.Errorf("no MC906 saying %q:\n%s", c.offered, out)
			}
			for _, cmd := range srv.Commands() {
				if strings.HasPrefix(cmd, "STARTTLS") {
					t.Errorf("sent STARTTLS under --no-starttls")
				}
			}
		})
	}
}
