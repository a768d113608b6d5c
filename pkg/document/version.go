package document

import "github.com/mailcheck/mailcheck/pkg/version"

// Version is the `mailcheck version` document: the build's version,
// commit, date and Go version.
type Version struct {
	SchemaVersion int `json:"schema_version"`
	version.Info
}

// Outcome: version judges nothing.
func (d *Version) Outcome() Outcome { return Outcome{} }
