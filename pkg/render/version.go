package render

import (
	"fmt"
	"io"

	"github.com/mailcheck/mailcheck/pkg/document"
)

// VersionText writes `mailcheck VERSION (commit COMMIT, built DATE,
// GOVERSION)` on one line.
func VersionText(w io.Writer, _ *Styles, doc document.Version) error {
	_, err := fmt.Fprintln(w, doc.String())
	return err
}
