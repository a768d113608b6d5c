package cli

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The --help of every command that reports findings lists every exit code
// docs/exit-codes.md gives it, in one "Exit codes:" paragraph, so that a
// user who reads only the help writes the same CI gate as one who reads
// the docs.
func TestEveryFindingsCommandsHelpListsEveryExitCode(t *testing.T) {
	codes := []int{ExitOK, ExitFindings, ExitUsage, ExitUndetermined, ExitIOError, ExitInterrupted}
	for _, name := range []string{"mx", "probe", "simulate", "check", "sender"} {
		long, _ := help(name)
		_, para, ok := strings.Cut(long, "Exit codes:")
		if !ok {
			t.Errorf("%s --help has no \"Exit codes:\" paragraph", name)
			continue
		}
		para, _, _ = strings.Cut(para, "\n\n")
		for _, c := range codes {
			if !regexp.MustCompile(fmt.Sprintf(`(^|[\s;])%d\s`, c)).MatchString(para) {
				t.Errorf("%s --help does not say what exit code %d means:%s", name, c, para)
			}
		}
	}
}
