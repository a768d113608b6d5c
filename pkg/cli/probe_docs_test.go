package cli

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

func TestDocsJSONDescribesExactlyTheFieldsProbeWrites(t *testing.T) {
	port := startDualStack(t,
		smtptest.Script{BannerName: "mx.example.test"},
		smtptest.Script{BannerName: "old.example.test", NoTLS: true})
	mx := []dnsq.MX{{Preference: 10, Host: "mx.example.test."}}
	mock := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.test.": mx, "xn--bcher-kva.example.test.": mx},
		A:    map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("127.0.0.1")}},
		AAAA: map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("::1")}},
		PTR:  map[string][]string{"127.0.0.1": {"mx.example.test."}},
	}
	closed, err := smtptest.ClosedPort("tcp4")
	if err != nil {
		t.Fatal(err)
	}

	produced := map[string]bool{}
	for _, args := range [][]string{
		{"--port", port, "bücher.example.test"},
		{"--port", fmt.Sprint(closed.Port()), "127.0.0.1"},
	} {
		out, errOut, code := probeEnv{resolver: mock}.run(t, append([]string{"probe", "-o", "json", "--helo", "c.test"}, args...)...)
		if code == ExitUsage {
			t.Fatalf("probe %v: exit 2: %s", args, errOut)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("probe %v: %v\n%s", args, err, out)
		}
		jsonPaths("", doc, produced)
	}

	section := docSection(t, "../../docs/json.md", "probe")
	// The field table ends where the status table starts.
	fields := section
	if i := strings.Index(section, "Probe status:"); i >= 0 {
		fields = section[:i]
	}
	documented := map[string]bool{}
	for _, m := range docFieldRow.FindAllStringSubmatch(fields, -1) {
		documented[m[1]] = true
	}
	if len(documented) < 40 {
		t.Fatalf("found only %d documented fields in docs/json.md's probe section", len(documented))
	}
	undocumented, unproduced := fieldDiff(produced, documented)
	// Finding fields are the shared Finding object; whether a test run
	// produces findings depends on the evaluation, not on probe.
	unproduced = slices.DeleteFunc(unproduced, func(p string) bool { return strings.HasPrefix(p, "findings[].") })
	if len(undocumented) > 0 {
		t.Errorf("probe writes fields docs/json.md does not document: %v", undocumented)
	}
	if len(unproduced) > 0 {
		t.Errorf("docs/json.md documents probe fields the test did not produce: %v", unproduced)
	}

	// Every status value in the code is in the status table.
	for _, st := range []string{"ok", "refused", "timeout", "unreachable", "reset", "greeting_4xx", "greeting_5xx", "not_smtp", "tls_failed", "inconclusive"} {
		if !strings.Contains(section, "| `"+st+"` |") {
			t.Errorf("status %s is not documented", st)
		}
	}

	for p := range exampleFields(t, section, "probe") {
		if !documented[p] {
			t.Errorf("the probe example uses an undocumented field %s", p)
		}
	}
}
