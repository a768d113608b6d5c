package cli

import (
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// A simulation the deadline stopped could not be completed here: exit 3,
// like a lookup that got no answer; complete, the same domain exits 0.
func TestSimulateExitsThreeWhenTheDeadlineStoppedTheModel(t *testing.T) {
	partial := &document.Simulate{Document: mta.Document{Domain: "example.test", Partial: true}}
	if got := docExit(partial, report.SeverityFail); got != ExitUndetermined {
		t.Errorf("partial: exit %d, want %d", got, ExitUndetermined)
	}
	complete := &document.Simulate{Document: mta.Document{Domain: "example.test"}}
	if got := docExit(complete, report.SeverityFail); got != ExitOK {
		t.Errorf("complete: exit %d, want %d", got, ExitOK)
	}
}
