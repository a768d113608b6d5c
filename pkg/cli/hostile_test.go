package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// dnsClientFaults are the misbehaviours of a DNS server that the client
// must see through (dnstest): a bogus reply says nothing about the name.
var dnsClientFaults = []dnstest.Fault{
	dnstest.FaultTruncateCut, dnstest.FaultShort, dnstest.FaultTCPTruncated, dnstest.FaultTCPTruncatedRecords,
	dnstest.FaultTCPWrongID, dnstest.FaultTCPWrongQuestion, dnstest.FaultWrongType,
}

// bigAddresses is how many A records big.test's MX host has: 270 records
// of 16 bytes do not fit the client's 4,096-byte UDP buffer.
const bigAddresses = 270

// newHostileClientDNS serves, for each DNS client fault F, a-F.test (the
// fault on the A query of its sole MX host) and mx-F.test (on its MX
// query), each with the MX and address of ctl.test, which has no fault;
// big.test, whose MX host's A RRset (documentation addresses) is sent whole over UDP, without TC,
// beyond the client's buffer (FaultOversize), and bigctl.test, the same
// without the fault; late.test. Every MX host but big.test's is
// 127.0.0.1, where the test's SMTP servers listen (late.test's answers
// late).
func newHostileClientDNS(t *testing.T) *dnstest.Server {
	var z strings.Builder
	var opts []dnstest.Option
	sole := func(d, ip string) { fmt.Fprintf(&z, "%s. MX 10 mx.%s.\nmx.%s. A %s\n", d, d, d, ip) }
	sole("ctl.test", "127.0.0.1")
	sole("late.test", "127.0.0.1")
	for _, f := range dnsClientFaults {
		a, mx := "a-"+f.String()+".test", "mx-"+f.String()+".test"
		sole(a, "127.0.0.1")
		sole(mx, "127.0.0.1")
		opts = append(opts, dnstest.WithFault("mx."+a+".", "A", f), dnstest.WithFault(mx+".", "MX", f))
	}
	for _, d := range []string{"big.test", "bigctl.test"} {
		fmt.Fprintf(&z, "%s. MX 10 mx.%s.\n", d, d)
		for i := range bigAddresses {
			fmt.Fprintf(&z, "mx.%s. A %s\n", d, []string{"192.0.2", "198.51.100"}[i/200]+"."+fmt.Sprint(1+i%200))
		}
	}
	opts = append(opts, dnstest.WithFault("mx.big.test.", "A", dnstest.FaultOversize))
	return dnstest.New(t, z.String(), opts...)
}

// Every command that reports findings gives the same exit code on the same
// hostile DNS and SMTP servers (docs/exit-codes.md): a domain none of whose
// addresses could be determined is 3, a definite failure is 1, a bogus DNS
// reply is never a definite failure, a big answer is read over TCP and
// gives the true verdict, and a probe the run's deadline cut short is
// inconclusive (3), whichever command ran it. sender is not in the table:
// it judges this host as a sender, not the domain's MX set.
func TestEveryCommandAgreesOnHostileServers(t *testing.T) {
	mail := dnstest.NewHostileMail(t)
	client := newHostileClientDNS(t)
	srv, err := smtptest.Start(smtptest.Script{NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// Answers every reply, the greeting included, after lateDelay: within
	// --command-timeout, but the run's 1s deadline comes first.
	const lateDelay = 700 * time.Millisecond
	late, err := smtptest.Start(smtptest.Script{NoTLS: true, ReplyDelay: lateDelay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { late.Close() })
	// A DNSSEC-signed domain whose TLSA query is never answered, served
	// by a server that offers STARTTLS: the run's deadline cuts the DANE
	// lookup after the probe ends.
	starttls, err := smtptest.Start(smtptest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { starttls.Close() })
	signed := dnstest.New(t, "$ORIGIN .\n@ SOA a.root. h 1 1 1 1 1\n@ NS a.root.\ndane.test. MX 10 mx.dane.test.\nmx.dane.test. A 127.0.0.1\n",
		dnstest.WithSecureZone("."), dnstest.WithFault(fmt.Sprintf("_%d._tcp.mx.dane.test.", starttls.Addr().Port()), "TLSA", dnstest.FaultDrop))

	// Each command as a CI job would run it. check ignores MC201 (the MX
	// address is loopback, where the test servers listen); probe judges
	// the servers it reaches, not the MX record.
	commands := func(port string) map[string][]string {
		smtp := []string{"--port", port, "--no-starttls", "--connect-timeout", "1s"}
		return map[string][]string{
			"mx":               {"mx", "-o", "json"},
			"probe":            append([]string{"probe", "-o", "json"}, smtp...),
			"simulate":         {"simulate", "-o", "json"},
			"simulate --probe": append([]string{"simulate", "--probe", "-o", "json"}, smtp...),
			"check":            append([]string{"check", "-o", "json", "--ignore", "MC201"}, smtp...),
			"check --dns-only": {"check", "--dns-only", "-o", "json", "--ignore", "MC201"},
			// STARTTLS tried, so DANE is judged.
			"probe (STARTTLS)": {"probe", "-o", "json", "--port", port, "--connect-timeout", "1s"},
			"check (STARTTLS)": {"check", "-o", "json", "--ignore", "MC201", "--port", port, "--connect-timeout", "1s"},
		}
	}
	type hostileCase struct {
		dns     *dnstest.Server
		domain  string
		timeout string
		exit    map[string]int // by command; a command not listed is not run
	}
	all := func(code int) map[string]int {
		return map[string]int{"mx": code, "probe": code, "simulate": code, "check": code, "check --dns-only": code}
	}
	// The true verdict of a domain whose sole MX host is 127.0.0.1 and
	// answers: mx fails the loopback address (MC201, which the others
	// ignore), the rest pass.
	loopback := map[string]int{"mx": ExitFindings, "probe": ExitOK, "simulate": ExitOK, "check": ExitOK, "check --dns-only": ExitOK}
	dnsOnly := map[string]int{"mx": ExitOK, "simulate": ExitOK, "check --dns-only": ExitOK}
	evil := all(ExitFindings)
	delete(evil, "probe")
	cases := []hostileCase{
		{mail, "loop.test", "5s", all(ExitUndetermined)},
		{mail, "long.test", "5s", all(ExitUndetermined)},
		{mail, "servfail.test", "5s", all(ExitUndetermined)},
		{mail, "dropped.test", "3s", all(ExitUndetermined)},
		// --timeout ends the DNS stage before any address is known.
		{mail, "slow.test", "1s", all(ExitUndetermined)},
		{mail, "nodata.test", "5s", all(ExitFindings)},
		// One MX host without addresses, one that SERVFAILs: definite.
		{mail, "definite.test", "5s", all(ExitFindings)},
		{mail, "evil.test", "5s", evil},
		// One MX host's lookups dropped, the other's answered: a sender
		// uses the address it has, so no command calls it undetermined.
		{mail, "halfdropped.test", "3s", dnsOnly},
		// --timeout ends the DNS stage after an address is known: judged
		// on what was found, and every command says the deadline cut it
		// (MC903).
		{mail, "halfslow.test", "1s", dnsOnly},
		{client, "ctl.test", "5s", loopback},
		// A UDP answer cut inside a record with TC set is retried over TCP:
		// the true verdict.
		{client, "a-truncate-cut.test", "5s", loopback},
		{client, "mx-truncate-cut.test", "5s", loopback},
		// An answer too big for the UDP buffer, sent without TC, is read
		// over TCP: the true verdict, every address included.
		{client, "big.test", "5s", dnsOnly},
		{client, "bigctl.test", "5s", dnsOnly},
		// A server that answers each reply late, but answers: the run's
		// deadline (1s) cuts the probe during EHLO. Inconclusive for every
		// command that probes; nothing is blamed on the server.
		{client, "late.test", "1s", map[string]int{"probe": ExitUndetermined, "check": ExitUndetermined, "simulate --probe": ExitUndetermined}},
		// With time enough, the late server is judged as it is: fine.
		{client, "late.test", "5s", map[string]int{"probe": ExitOK}},
		// The deadline cuts the TLSA lookup: DANE is not judged, the run
		// is partial, nothing is blamed on the domain.
		{signed, "dane.test", "1s", map[string]int{"probe (STARTTLS)": ExitUndetermined, "check (STARTTLS)": ExitUndetermined}},
	}
	for _, f := range dnsClientFaults[1:] { // truncate-cut is honest: above
		for _, where := range []string{"a-", "mx-"} {
			cases = append(cases, hostileCase{client, where + f.String() + ".test", "5s", all(ExitUndetermined)})
		}
	}
	for _, c := range cases {
		port := srv.Addr().Port()
		switch c.domain {
		case "late.test":
			port = late.Addr().Port()
		case "dane.test":
			port = starttls.Addr().Port()
		}
		for name, args := range commands(fmt.Sprint(port)) {
			want, ok := c.exit[name]
			if !ok {
				continue
			}
			t.Run(c.domain+"/"+c.timeout+"/"+name, func(t *testing.T) {
				t.Parallel()
				full := append(slices.Clone(args), "--resolver", c.dns.Addr4(), "--timeout", c.timeout, c.domain)
				stdout, stderr, code := runMailcheckWith(t, binOptions{Timeout: 30 * time.Second}, full...)
				if code != want {
					t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", full, code, want, stdout, stderr)
				}
				var doc struct {
					Partial  bool                        `json:"partial"`
					Findings []struct{ Code string }     `json:"findings"`
					Notes    []string                    `json:"notes"`
					MX       []struct{ Addresses []any } `json:"mx"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatalf("%v: %v\n%s", full, err, stdout)
				}
				codes := make([]string, len(doc.Findings))
				for i, f := range doc.Findings {
					codes[i] = f.Code
				}
				switch {
				case c.domain == "evil.test" && !slices.Contains(codes, "MC112"):
					// The fail finding is the MX target itself, whatever
					// else the command saw.
					t.Errorf("no MC112 in %v", codes)
				case strings.HasPrefix(c.domain, "big") && name == "mx" && (len(doc.MX) != 1 || len(doc.MX[0].Addresses) != bigAddresses):
					t.Errorf("%+v, want one MX host with %d addresses", doc.MX, bigAddresses)
				case c.domain == "halfslow.test" && !slices.Contains(codes, "MC903"):
					t.Errorf("no MC903 in %v: the deadline cut the lookups", codes)
				case c.domain == "late.test" && c.timeout == "1s":
					if name == "simulate --probe" {
						if !slices.ContainsFunc(doc.Notes, func(n string) bool { return strings.Contains(n, "the deadline (--timeout) ended its probe") }) {
							t.Errorf("notes %q do not say the deadline ended the probe", doc.Notes)
						}
						break
					}
					if !doc.Partial || slices.Contains(codes, "MC305") {
						t.Errorf("partial %v, findings %v: want partial and no server blamed", doc.Partial, codes)
					}
				case c.domain == "dane.test" && (!doc.Partial || slices.Contains(codes, "MC709")):
					t.Errorf("partial %v, findings %v: want partial and no MC709", doc.Partial, codes)
				case c.domain == "late.test" && doc.Partial:
					t.Errorf("partial with time enough: %s", stdout)
				}
			})
		}
	}
}

// An A-label that does not decode to a valid U-label ("xn--a" is Punycode
// for U+0080) is bad input for every command, before any query; check's
// bulk fast path for plain lower-case names included.
func TestEveryCommandRejectsAnInvalidALabel(t *testing.T) {
	for _, args := range [][]string{
		{"mx"}, {"check"}, {"check", "--dns-only"}, {"simulate"}, {"probe"},
	} {
		full := append(slices.Clone(args), "--resolver", "127.0.0.1:1", "xn--a.example")
		stdout, stderr, code := runMailcheck(t, full...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, `label "xn--a" is not a valid IDN A-label`) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", full, code, stdout, stderr)
		}
	}
}
