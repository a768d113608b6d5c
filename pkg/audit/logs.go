package audit

import (
	"context"
	"time"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/maillog"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// LogsRequest is what `mailcheck logs` asks for: the logs, opened by the
// command layer, in the order to read them, and which attempts count.
type LogsRequest struct {
	Inputs   []maillog.Input
	Since    time.Time // zero: all
	Domain   string    // A-label form; "": every destination
	Location *time.Location
}

// Logs is `mailcheck logs`: the logs read one after another, streamed,
// into per-destination and per-family counts with the dominant replies
// explained. Syslog time stamps carry no year: the current year is
// assumed, and the previous one for times more than a day ahead of now
// (a log that spans New Year). The error is an I/O error, with what was
// read before it summarised in the document all the same.
func (c *Checker) Logs(ctx context.Context, req LogsRequest) (*document.Logs, error) {
	now := c.now()
	loc := req.Location
	if loc == nil {
		loc = time.Local
	}
	files := make([]string, len(req.Inputs))
	for i, in := range req.Inputs {
		files[i] = in.Name
	}
	agg := maillog.NewAggregator(maillog.Options{Since: req.Since, Domain: req.Domain, Year: now.In(loc).Year(), Location: loc, Now: now})
	err := agg.ReadAll(ctx, req.Inputs)
	return &document.Logs{SchemaVersion: report.SchemaVersion, Files: files, Summary: agg.Summary()}, err
}
