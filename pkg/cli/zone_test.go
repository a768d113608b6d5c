package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/report"
)

// The next version of example.org's zone (mxZone is the live one): mx2 is
// gone, mx1 lost its AAAA, and one record lies outside the apex.
const nextExampleOrg = `$ORIGIN example.org.
$TTL 300
@       SOA  ns1 hostmaster 2 3600 600 86400 300
@       NS   ns1
@       MX   10 mx1
@       TXT  "v=spf1 ip4:192.0.2.1 -all"
mx1     A    192.0.2.1
stray.example.net. A 192.0.2.77
`

// writeZone writes a zone file in a fresh directory and returns its path.
func writeZone(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mxDoc is the part of the mx document these tests read.
type mxDoc struct {
	MX []struct {
		Host       string `json:"host"`
		AAAAStatus string `json:"aaaa_status"`
		Addresses  []struct {
			IP  string   `json:"ip"`
			PTR []string `json:"ptr"`
		} `json:"addresses"`
	} `json:"mx"`
}

func parseMXDoc(t *testing.T, stdout string) mxDoc {
	t.Helper()
	var doc mxDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	return doc
}

// zoneNotes returns the MC908 findings of a JSON document.
func zoneNotes(t *testing.T, stdout string) []report.Finding {
	t.Helper()
	var doc struct {
		Findings []report.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var out []report.Finding
	for _, f := range doc.Findings {
		if f.Code == report.CodeZoneOverlay {
			out = append(out, f)
		}
	}
	return out
}

func TestMXWithZoneAnswersTheApexFromTheFileAndTheRestLive(t *testing.T) {
	s := startMXZone(t)
	zone := writeZone(t, "example.org.zone", nextExampleOrg)
	stdout, stderr, code := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), "--zone", zone, "example.org")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	// The ignored record is a warning naming the file and its line.
	if want := "mailcheck: warning: " + zone + ":8: "; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	doc := parseMXDoc(t, stdout)
	if len(doc.MX) != 1 || doc.MX[0].Host != "mx1.example.org" || doc.MX[0].AAAAStatus != "nodata" {
		t.Fatalf("want mx1 alone with no AAAA (the file's), got %+v", doc.MX)
	}
	// The PTR is not in the file: it came from live DNS.
	if a := doc.MX[0].Addresses; len(a) != 1 || a[0].IP != "192.0.2.1" || !slices.Equal(a[0].PTR, []string{"mx1.example.org"}) {
		t.Errorf("want 192.0.2.1 with its live PTR, got %+v", a)
	}
	notes := zoneNotes(t, stdout)
	if len(notes) != 1 || notes[0].Subject != zone || notes[0].Severity != report.SeverityInfo {
		t.Fatalf("want one info MC908 about %s, got %+v", zone, notes)
	}
	for _, q := range []string{"example.org MX", "mx1.example.org A", "mx1.example.org AAAA"} {
		if !strings.Contains(notes[0].Message, q) {
			t.Errorf("MC908 does not name %q: %s", q, notes[0].Message)
		}
	}
	if strings.Contains(notes[0].Message, "PTR") {
		t.Errorf("MC908 names a live answer: %s", notes[0].Message)
	}
}

func TestWithoutZoneNoAnswerIsSaidToComeFromAFile(t *testing.T) {
	s := startMXZone(t)
	stdout, _, _ := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), "example.org")
	if n := zoneNotes(t, stdout); len(n) != 0 {
		t.Errorf("live run carries MC908: %+v", n)
	}
}

func TestReverseZoneFileOverlaysThePTR(t *testing.T) {
	s := startMXZone(t)
	rev := writeZone(t, "rev.zone", "$TTL 300\n1 PTR mail.example.org.\n")
	stdout, stderr, code := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(),
		"--zone", "2.0.192.in-addr.arpa="+rev, "example.org")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	doc := parseMXDoc(t, stdout)
	if len(doc.MX) == 0 || len(doc.MX[0].Addresses) == 0 || !slices.Equal(doc.MX[0].Addresses[0].PTR, []string{"mail.example.org"}) {
		t.Errorf("the PTR of 192.0.2.1 is not the file's:\n%s", stdout)
	}
	if n := zoneNotes(t, stdout); len(n) != 1 || !strings.Contains(n[0].Message, "192.0.2.1 PTR") {
		t.Errorf("want MC908 naming the PTR, got %+v", n)
	}
}

func TestZoneFileErrorsAreUsageErrorsNamingFileAndLine(t *testing.T) {
	s := startMXZone(t)
	bad := writeZone(t, "bad.zone", "$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\nmx1 A not-an-address\n")
	noApex := writeZone(t, "noapex.zone", "$TTL 300\nmx1.example.org. A 192.0.2.1\n")
	dup := writeZone(t, "dup.zone", nextExampleOrg)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"syntax", []string{"--zone", bad}, bad + ":4: "},
		{"no apex", []string{"--zone", noApex}, noApex},
		{"missing file", []string{"--zone", filepath.Join(t.TempDir(), "none.zone")}, "none.zone"},
		{"same apex twice", []string{"--zone", dup, "--zone", "example.org=" + dup}, "example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"mx", "check", "simulate", "probe"} {
				args := append([]string{cmd, "--resolver", s.Addr4()}, append(tc.args, "example.org")...)
				stdout, stderr, code := runMailcheck(t, args...)
				if code != ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
					t.Errorf("%s: exit %d, stderr %q, stdout %q; want 2 naming %q and no output", cmd, code, stderr, stdout, tc.want)
				}
			}
		})
	}
}

func TestEveryPreDeployCommandRunsOverTheOverlay(t *testing.T) {
	s := startMXZone(t)
	zone := writeZone(t, "example.org.zone", nextExampleOrg)
	for _, args := range [][]string{
		{"check", "--dns-only", "--ignore", "MC201"},
		{"simulate"},
		{"probe", "--connect-timeout", "1s"},
		{"sender", "--ip", "192.0.2.1", "--helo", "mx1.example.org", "--domain"},
	} {
		full := append(append([]string{args[0], "-o", "json", "--resolver", s.Addr4(), "--zone", zone}, args[1:]...), "example.org")
		stdout, stderr, code := runMailcheck(t, full...)
		if code == ExitUsage {
			t.Errorf("%s: exit 2: %s", args[0], stderr)
			continue
		}
		if n := zoneNotes(t, stdout); len(n) != 1 || n[0].Subject != zone {
			t.Errorf("%s: want one MC908 about the file, got %+v\n%s", args[0], n, stdout)
		}
	}
}

func TestInBulkEachDomainSaysOnlyWhatTheFileAnsweredForIt(t *testing.T) {
	s := startMXZone(t)
	zone := writeZone(t, "example.org.zone", nextExampleOrg)
	// Two domains in the file's zone (xn--bcher-kva.example.org does not
	// exist there: NXDOMAIN from the file) and one outside it, checked at
	// once: the notes of one must not leak into another's report.
	stdout, stderr, code := runMailcheck(t, "check", "-o", "jsonl", "--dns-only", "--resolver", s.Addr4(), "--zone", zone,
		"example.org", "xn--bcher-kva.example.org", "example.com")
	if code == ExitUsage {
		t.Fatalf("exit 2: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d documents, want 3:\n%s", len(lines), stdout)
	}
	for _, line := range lines {
		var doc struct {
			Domain string `json:"domain"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatal(err)
		}
		notes := zoneNotes(t, line)
		switch doc.Domain {
		case "example.com":
			// Not in the file at all: live DNS answered everything.
			if len(notes) != 0 {
				t.Errorf("example.com carries another domain's MC908: %+v", notes)
			}
		default:
			if len(notes) != 1 || !strings.Contains(notes[0].Message, doc.Domain+" MX") {
				t.Errorf("%s: want one MC908 naming its own MX query, got %+v", doc.Domain, notes)
			}
		}
		for _, n := range notes {
			for _, other := range []string{"example.org", "xn--bcher-kva.example.org"} {
				if other != doc.Domain && strings.Contains(n.Message, " "+other+" MX") {
					t.Errorf("%s's MC908 names %s's MX query: %s", doc.Domain, other, n.Message)
				}
			}
		}
	}
}

func TestZoneVerboseTracesTheQuestionsAnsweredFromTheFile(t *testing.T) {
	s := liveExampleCom(t)
	zone := writeZone(t, "example.com.zone", exampleComWithoutMX2AAAA)
	_, stderr, code := runMailcheck(t, "mx", "-v", "--resolver", s.Addr4(), "--zone", zone, "example.com")
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// From the file: the MX and the exchanges' addresses; from live DNS
	// (the Client's lines, "@" and the server): the reverse names.
	for _, q := range []string{"MX example.com. @zone:", "A mx1.example.com. @zone:", "AAAA mx2.example.com. @zone:",
		"PTR 2.2.0.192.in-addr.arpa. @" + s.Addr4()} {
		if !strings.Contains(stderr, ";; "+q) {
			t.Errorf("trace lacks %q:\n%s", q, stderr)
		}
	}
}
