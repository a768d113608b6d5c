package document

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// dualStack is a domain with one exchange reachable over both families.
func dualStack() discover.Result {
	a := func(ip, fam string) discover.Address {
		return discover.Address{IP: netip.MustParseAddr(ip), Family: fam, Class: discover.ClassDocumentation}
	}
	return discover.Result{Domain: "example.org", MXStatus: dnsq.StatusOK, MX: []discover.Exchange{{
		Preference: 10, Host: "mx.example.org", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
		Addresses: []discover.Address{a("192.0.2.10", "ipv4"), a("2001:db8::10", "ipv6")},
	}}}
}

func simulated(t testing.TB, d discover.Result) *mta.Document {
	t.Helper()
	// The model's input built by hand (the adapter lives in pkg/audit,
	// above this package).
	in := mta.Input{Domain: d.Domain, MXStatus: mta.LookupStatus(d.MXStatus)}
	for _, x := range d.MX {
		ex := mta.Exchange{Preference: x.Preference, Host: x.Host, AStatus: mta.LookupStatus(x.AStatus), AAAAStatus: mta.LookupStatus(x.AAAAStatus)}
		for _, a := range x.Addresses {
			if a.IP.Is4() {
				ex.A = append(ex.A, a.IP)
			} else {
				ex.AAAA = append(ex.AAAA, a.IP)
			}
		}
		in.MX = append(in.MX, ex)
	}
	doc, err := mta.Simulate(in, mta.Config{}, mta.Options{MaxOrderings: 24})
	if err != nil {
		t.Fatal(err)
	}
	return &doc
}

// The check document is the union of its own fields and the simulate
// document's: every key of both, once, with the check's domain and schema
// version.
func TestCheckJSONIsTheUnionOfCheckAndSimulationWithNoKeyTwice(t *testing.T) {
	d := dualStack()
	sim := simulated(t, d)
	rep := Check{SchemaVersion: 1, Result: d, Probed: true, Probes: []smtpprobe.Result{}, Simulation: sim}
	merged, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(merged, &got); err != nil {
		t.Fatalf("%v: %s", err, merged)
	}
	want := map[string]any{}
	for _, v := range []any{sim, checkFields(rep)} { // the check's keys win
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged document differs from the union:\n%s", merged)
	}
	if got["domain"] != "example.org" || got["mta"] == nil || got["orderings"] == nil {
		t.Errorf("merged document lacks domain, mta or orderings: %s", merged)
	}
	// No key twice at the top level.
	dec := json.NewDecoder(bytes.NewReader(merged))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		if seen[k] {
			t.Errorf("key %q twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != len(got) {
		t.Errorf("%d top-level keys read, %d in the document", len(seen), len(got))
	}
}

func TestCheckJSONWithoutSimulationIsTheCheckFieldsAlone(t *testing.T) {
	rep := Check{SchemaVersion: 1, Result: dualStack(), Probes: []smtpprobe.Result{}}
	got, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshalNoEscape(checkFields(rep))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// marshalNoEscape is json.Marshal without HTML escaping.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// spliced is the check document's JSON built the plain way: the check
// fields and the simulation encoded apart, the second object's members
// appended to the first's.
func spliced(t *testing.T, r Check) []byte {
	t.Helper()
	base, err := marshalNoEscape(checkFields(r))
	if err != nil {
		t.Fatal(err)
	}
	if r.Simulation == nil {
		return base
	}
	sim, err := marshalNoEscape(simBody{Document: r.Simulation})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim) <= 2 {
		return base
	}
	return append(append(base[:len(base)-1:len(base)-1], ','), sim[1:]...)
}

// AppendJSON writes into the caller's buffer exactly the bytes of the
// plain splice, after what the buffer already holds, for a document with
// probes, findings with HTML-looking text, and a simulation.
func TestCheckAppendJSONWritesThePlainSpliceAfterTheBuffersContent(t *testing.T) {
	d := dualStack()
	rep := Check{SchemaVersion: 1, Result: d, Probed: true, Simulation: simulated(t, d),
		Probes: []smtpprobe.Result{{Host: "mx.example.org", IP: netip.MustParseAddr("192.0.2.10"), Family: "ipv4", Port: 25,
			Status: smtpprobe.StatusOK, BannerCode: 220, Banner: "mx <ESMTP> & \"ready\"", Extensions: []string{"STARTTLS", "SIZE 1000"},
			ExtensionsTLS: []string{}, EarlyTalk: []string{}}},
		Findings: []report.Finding{{Code: "MC308", Severity: report.SeverityWarn, Subject: "192.0.2.10",
			Message: "certificate for <mx.example.org> & more", Fix: "Replace `<host>. IN A <address>`."}}}
	for _, r := range []Check{rep, {SchemaVersion: 1, Result: d, Probes: []smtpprobe.Result{}}} {
		want := spliced(t, r)
		buf := bytes.NewBufferString("before\n")
		if err := r.AppendJSON(buf); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != "before\n"+string(want) {
			t.Errorf("got  %s\nwant before\n%s", got, want)
		}
		m, err := r.MarshalJSON()
		if err != nil || !bytes.Equal(m, want) {
			t.Errorf("MarshalJSON: %v\n%s\nwant %s", err, m, want)
		}
	}
	if !bytes.Contains(spliced(t, rep), []byte("<mx.example.org> & more")) {
		t.Error("the plain splice escapes HTML: the comparison proves nothing about escaping")
	}
}

// A document that cannot be encoded (a NaN probability) is an error and
// leaves the buffer as it was.
func TestCheckAppendJSONLeavesTheBufferAloneOnAnError(t *testing.T) {
	d := dualStack()
	sim := simulated(t, d)
	sim.PFirstIPv6 = math.NaN()
	buf := bytes.NewBufferString("before\n")
	if err := (&Check{SchemaVersion: 1, Result: d, Simulation: sim}).AppendJSON(buf); err == nil {
		t.Fatal("no error for a NaN")
	}
	if buf.String() != "before\n" {
		t.Errorf("buffer after the error: %q", buf.String())
	}
}

// JUnit lists one testcase per code checked: under --no-starttls the TLS
// codes were not checked.
func TestCheckedCodesLeaveTLSOutWhenSTARTTLSWasNotTried(t *testing.T) {
	r := &Check{Result: dualStack(), Probed: true}
	if got := r.CheckedCodes(); !slices.Contains(got, "MC306") || !slices.Contains(got, "MC301") {
		t.Fatalf("STARTTLS tried: %v", got)
	}
	r.NoStartTLS = true
	got := r.CheckedCodes()
	for _, c := range []string{"MC306", "MC308", "MC312", "MC408"} {
		if slices.Contains(got, c) {
			t.Errorf("%s counted as checked under --no-starttls: %v", c, got)
		}
	}
	if !slices.Contains(got, "MC301") {
		t.Errorf("MC301 not counted: %v", got)
	}
}

// A DNS-only run looked up no TLS policy and probed nothing: JUnit must
// not count the MC7xx codes, the early-talk and old-TLS probe codes, or the
// --compare-live code as passing.
func TestCheckedCodesLeaveOutWhatADNSOnlyRunNeverLookedAt(t *testing.T) {
	got := (&Check{Result: dualStack()}).CheckedCodes()
	for _, c := range got {
		if c[2] == '7' || c == "MC315" || c == "MC316" || c == "MC412" {
			t.Errorf("%s counted as checked by a DNS-only run: %v", c, got)
		}
	}
	if !slices.Contains(got, "MC401") || !slices.Contains(got, "MC112") {
		t.Errorf("the DNS codes MC401 and MC112 not counted: %v", got)
	}
}

// The TLS policy's codes count once their part of the policy was looked
// up, DANE's only with a validating resolver, and the certificate ones
// only when STARTTLS was tried.
func TestCheckedCodesCountTheTLSPolicyPartsThatRan(t *testing.T) {
	r := &Check{Result: dualStack(), Probed: true, DANE: &DANE{}}
	got := r.CheckedCodes()
	if !slices.Contains(got, "MC708") || slices.Contains(got, "MC703") || slices.Contains(got, "MC714") || slices.Contains(got, "MC720") {
		t.Errorf("DANE looked up without a validating resolver, no MTA-STS or TLS-RPT: %v", got)
	}
	if !slices.Contains(got, "MC315") || !slices.Contains(got, "MC316") {
		t.Errorf("probed: MC315 and MC316 not counted: %v", got)
	}
	r.DANE.Validation.Validates = true
	r.MTASTS, r.TLSRPT = &tlspolicy.MTASTS{}, &tlspolicy.TLSRPT{}
	got = r.CheckedCodes()
	for _, c := range []string{"MC702", "MC703", "MC706", "MC712", "MC714", "MC719", "MC720"} {
		if !slices.Contains(got, c) {
			t.Errorf("%s not counted with the whole policy looked up: %v", c, got)
		}
	}
	r.NoStartTLS = true
	got = r.CheckedCodes()
	for _, c := range []string{"MC702", "MC703", "MC704", "MC710", "MC719", "MC316"} {
		if slices.Contains(got, c) {
			t.Errorf("%s counted as checked under --no-starttls: %v", c, got)
		}
	}
	if !slices.Contains(got, "MC706") || !slices.Contains(got, "MC714") {
		t.Errorf("the record-only codes MC706 and MC714 not counted under --no-starttls: %v", got)
	}
	if slices.Contains(got, "MC412") {
		t.Errorf("MC412 counted without --compare-live: %v", got)
	}
	r.Changes = &Changes{}
	if got = r.CheckedCodes(); !slices.Contains(got, "MC412") {
		t.Errorf("MC412 not counted with --compare-live: %v", got)
	}
}

func TestOutcomeOfABadInputLineIsBadInput(t *testing.T) {
	r := &Check{Input: "-", Error: "not a domain"}
	if o := r.Outcome(); !o.BadInput {
		t.Errorf("outcome %+v", o)
	}
	if o := (&Explain{Findings: nil}).Outcome(); o.BadInput || o.Undetermined || o.Findings != nil {
		t.Errorf("explain judged: %+v", o)
	}
}
