package document

import (
	"testing"

	"github.com/mailcheck/mailcheck/pkg/report"
)

func TestCountedLeavesOutWhatABaselineKnew(t *testing.T) {
	fs := []report.Finding{{Code: "MC101"}, {Code: "MC102", Delta: DeltaKnown}, {Code: "MC103", Delta: DeltaNew}}
	got := Counted(fs)
	if len(got) != 2 || got[0].Code != "MC101" || got[1].Code != "MC103" {
		t.Errorf("Counted = %v, want MC101 and MC103", got)
	}
	if len(fs) != 3 || fs[1].Code != "MC102" {
		t.Errorf("Counted changed its argument: %v", fs)
	}
	none := []report.Finding{{Code: "MC101"}}
	if got := Counted(none); len(got) != 1 || &got[0] != &none[0] {
		t.Errorf("Counted copied findings of which none was known: %v", got)
	}
}
