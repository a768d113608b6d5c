package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/findings.md from the catalogue")

const findingsDoc = "../../docs/findings.md"

func TestFindingsDocIsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCatalogMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(findingsDoc), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.FromSlash(findingsDoc))
	if err != nil {
		t.Fatalf("%v (run: go test ./pkg/report -run TestFindingsDocIsUpToDate -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("docs/findings.md is out of date with the catalogue; run: go test ./pkg/report -run TestFindingsDocIsUpToDate -update")
	}
}

func TestCatalogueCodesAreWellFormedAndInTheirArea(t *testing.T) {
	entries := Entries()
	if len(entries) < 40 {
		t.Fatalf("catalogue has %d entries, expected the full receiving-side list", len(entries))
	}
	for i, e := range entries {
		if err := validCode(e.Code); err != nil {
			t.Error(err)
		}
		if i > 0 && entries[i-1].Code >= e.Code {
			t.Errorf("Entries not sorted at %s", e.Code)
		}
		if strings.HasSuffix(e.Title, ".") {
			t.Errorf("%s: title ends with a full stop", e.Code)
		}
	}
}

func TestRegisterRejectsBadEntries(t *testing.T) {
	cases := []struct {
		name string
		e    Entry
	}{
		{"duplicate", Entry{CodeNullMX, SeverityInfo, "t", "x", "f"}},
		{"short code", Entry{"MC1", SeverityInfo, "t", "x", "f"}},
		{"no area", Entry{"MC801", SeverityInfo, "t", "x", "f"}},
		{"letters", Entry{"MC1a1", SeverityInfo, "t", "x", "f"}},
		{"bad severity", Entry{"MC199", "bad", "t", "x", "f"}},
		{"no fix", Entry{"MC198", SeverityInfo, "t", "x", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register accepted %+v", c.e)
				}
			}()
			Register(c.e)
		})
	}
}

func TestCheckCodeAcceptsKnownCodesCaseInsensitively(t *testing.T) {
	if c, err := CheckCode("mc401"); err != nil || c != "MC401" {
		t.Errorf("CheckCode(mc401) = %q, %v", c, err)
	}
	if _, err := CheckCode("MC799"); err == nil {
		t.Error("CheckCode accepted an unknown code")
	}
}

func TestNewTakesSeverityFromTheCatalogue(t *testing.T) {
	f := New(CodeIPv6DownIPv4Up, "mx1.example.org", "msg", "")
	if f.Severity != SeverityFail || f.Fix == "" {
		t.Errorf("New = %+v", f)
	}
}

func TestSortFindingsPutsMostSevereFirstThenCode(t *testing.T) {
	fs := []Finding{
		{Code: "MC401", Severity: SeverityWarn, Subject: "b"},
		{Code: "MC103", Severity: SeverityInfo},
		{Code: "MC404", Severity: SeverityFail},
		{Code: "MC210", Severity: SeverityWarn, Subject: "a"},
	}
	SortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Code)
	}
	if strings.Join(got, ",") != "MC404,MC210,MC401,MC103" {
		t.Errorf("order %v", got)
	}
	if !AtLeast(fs, SeverityFail) || AtLeast(fs[1:], SeverityFail) {
		t.Error("AtLeast wrong")
	}
	if n := len(Without(fs, map[string]bool{"MC404": true})); n != 3 {
		t.Errorf("Without left %d", n)
	}
}

// TestARefusedRegisterLeavesTheCatalogueAsItWas: entries registered in
// the call that panics are not half added.
func TestARefusedRegisterLeavesTheCatalogueAsItWas(t *testing.T) {
	before := len(Entries())
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Register accepted a duplicate")
			}
		}()
		Register(Entry{"MC197", SeverityInfo, "t", "x", "f"}, Entry{CodeNullMX, SeverityInfo, "t", "x", "f"})
	}()
	if _, ok := Lookup("MC197"); ok || len(Entries()) != before {
		t.Errorf("after a refused Register: MC197 known %v, %d entries (were %d)", ok, len(Entries()), before)
	}
}

// TestABadCatalogueFailsEveryUse: an entry the catalogue refuses makes
// its first use panic, and every later one too, rather than leaving an
// empty catalogue behind for the tests that run after.
func TestABadCatalogueFailsEveryUse(t *testing.T) {
	saved, savedMap := tlsEntries, catalogMap.Load()
	defer func() {
		tlsEntries = saved
		catalogMap.Store(savedMap)
	}()
	tlsEntries = append(slices.Clone(saved), Entry{CodeNullMX, SeverityInfo, "t", "x", "f"}) // a duplicate
	catalogMap.Store(nil)
	for i := range 2 {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("use %d of a catalogue with a duplicate code did not panic", i+1)
				}
			}()
			Lookup(CodeNullMX)
		}()
	}
}

// Warm builds the catalogue that would otherwise be built at the first
// finding, and is the same catalogue.
func TestWarmBuildsTheCatalogueAheadOfTheFirstFinding(t *testing.T) {
	saved := catalogMap.Load()
	defer catalogMap.Store(saved)
	catalogMap.Store(nil)
	Warm()
	m := catalogMap.Load()
	if m == nil {
		t.Fatal("the catalogue is not built after Warm")
	}
	if want := len(receiverEntries) + len(senderEntries) + len(tlsEntries); len(*m) != want {
		t.Errorf("Warm built %d entries, the area files have %d", len(*m), want)
	}
	if e, ok := Lookup(CodeNullMX); !ok || e.Code != CodeNullMX {
		t.Errorf("Lookup(%s) after Warm = %+v, %v", CodeNullMX, e, ok)
	}
}
