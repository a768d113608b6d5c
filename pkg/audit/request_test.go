package audit

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless is a file that never ends (a device, a log being written).
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "# comment\n"[i%10]
	}
	return len(p), nil
}
func (endless) Close() error { return nil }

// --main-cf is read bounded: a file that never ends is a clear usage
// error, not a hang or an exhausted memory.
func TestMainCFBeyondItsSizeLimitIsBadInput(t *testing.T) {
	open := func(string) (io.ReadCloser, error) { return endless{}, nil }
	_, err := ReadMainCF(open, "endless.cf")
	var re *RequestError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "--main-cf: endless.cf: file larger than") {
		t.Errorf("err %v", err)
	}
}
