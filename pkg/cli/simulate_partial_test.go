package cli

import (
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
)

// A simulation the deadline stopped could not be completed here: exit 3,
// like a lookup that got no answer; complete, the same domain exits 0.
func TestSimulateExitsThreeWhenTheDeadlineStoppedTheModel(t *testing.T) {
	d := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK}
	if got := simulateExitCode(d, render.SimulateDocument{Document: mta.Document{Partial: true}}); got != ExitUndetermined {
		t.Errorf("partial: exit %d, want %d", got, ExitUndetermined)
	}
	if got := simulateExitCode(d, render.SimulateDocument{Document: mta.Document{}}); got != ExitOK {
		t.Errorf("complete: exit %d, want %d", got, ExitOK)
	}
}
