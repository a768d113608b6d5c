package smtpprobe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits bound what one peer can make us read.
type Limits struct {
	// MaxLineLen is the longest reply line accepted, CRLF included. RFC 5321
	// §4.5.3.1.5 sets 512 octets; real servers exceed it a little, so the
	// default is 2048.
	MaxLineLen int
	// MaxLines is the most lines in one reply (an EHLO reply has one per
	// extension; 100 is far above any real server).
	MaxLines int
	// MaxBytes is the most bytes read from one connection in total.
	MaxBytes int64
}

// DefaultLimits are the limits used when Options.Limits is zero.
var DefaultLimits = Limits{MaxLineLen: 2048, MaxLines: 100, MaxBytes: 64 << 10}

// Reply is one SMTP reply (RFC 5321 §4.2).
type Reply struct {
	Code  int
	Lines []string // text after "NNN " or "NNN-", raw (not yet sanitised)
}

// Text returns the reply text, lines joined by "\n".
func (r Reply) Text() string { return strings.Join(r.Lines, "\n") }

// Enhanced returns the enhanced status code (RFC 3463) at the start of the
// last line, or "".
func (r Reply) Enhanced() string {
	if len(r.Lines) == 0 {
		return ""
	}
	f := strings.Fields(r.Lines[len(r.Lines)-1])
	if len(f) == 0 {
		return ""
	}
	e := f[0]
	parts := strings.Split(e, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return ""
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return e
}

// counter is the connection's read side: it counts bytes against the total
// bound and notes when the first byte arrived.
type counter struct {
	r     io.Reader
	n     int64
	max   int64
	first time.Time
	now   func() time.Time
}

func (c *counter) Read(p []byte) (int, error) {
	if c.n >= c.max {
		return 0, ErrTooMuchData
	}
	if rem := c.max - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	if n > 0 && c.first.IsZero() {
		c.first = c.now()
	}
	c.n += int64(n)
	return n, err
}

// replyReader reads bounded SMTP replies.
type replyReader struct {
	br     *bufio.Reader
	limits Limits
	// onLine, when set, sees every raw line read (the -v transcript).
	onLine func(string)
	// last is the last line read, raw, or what had arrived of it.
	last string
}

func newReplyReader(r io.Reader, l Limits, onLine func(string)) *replyReader {
	// The buffer is the line bound: ReadSlice fails with ErrBufferFull on a
	// longer line, so a 2 MiB line costs 2 KiB of memory.
	return &replyReader{br: bufio.NewReaderSize(r, l.MaxLineLen), limits: l, onLine: onLine}
}

// reset reads from r from now on, with nothing buffered and the same
// buffer.
func (rr *replyReader) reset(r io.Reader) {
	rr.br.Reset(r)
	rr.last = ""
}

// read reads one complete reply. The caller sets the deadline for the whole
// reply on the connection beforehand.
func (rr *replyReader) read() (Reply, error) {
	var rep Reply
	for {
		line, err := rr.line()
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				return rep, err
			}
			if (len(line) > 0 || len(rep.Lines) > 0) && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return rep, err
		}
		code, more, text, ok := parseLine(line)
		if !ok {
			return rep, fmt.Errorf("%w: %q", ErrMalformed, truncate(line, 80))
		}
		// RFC 5321 §4.2.1 wants the same code on every line; like Postfix
		// (smtp_chat.c) we do not insist and keep the last line's code.
		rep.Code = code
		rep.Lines = append(rep.Lines, text)
		if !more {
			return rep, nil
		}
		if len(rep.Lines) >= rr.limits.MaxLines {
			return rep, fmt.Errorf("%w (more than %d)", ErrTooManyLines, rr.limits.MaxLines)
		}
	}
}

// line reads one raw line, CR and LF trimmed, and keeps it in last. On an
// error it returns what had arrived of the line (consumed: a later read
// starts after it), and ErrLineTooLong for a line beyond MaxLineLen.
func (rr *replyReader) line() (string, error) {
	raw, err := rr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		rr.last = string(raw)
		return rr.last, fmt.Errorf("%w (more than %d bytes without a line end)", ErrLineTooLong, rr.limits.MaxLineLen)
	}
	if err != nil {
		rr.last = string(raw)
		return rr.last, err
	}
	rr.last = string(bytes.TrimRight(raw, "\r\n"))
	if rr.onLine != nil {
		rr.onLine(rr.last)
	}
	return rr.last, nil
}

// parseLine splits "250-text" / "250 text" / "250". RFC 5321 §4.2: three
// digits, the first 2-5, then SP, "-" or the end of the line.
func parseLine(line string) (code int, more bool, text string, ok bool) {
	if len(line) < 3 {
		return 0, false, "", false
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, "", false
		}
	}
	if line[0] < '2' || line[0] > '5' || line[1] > '5' {
		return 0, false, "", false
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, false, "", true
	}
	switch line[3] {
	case ' ':
		return code, false, line[4:], true
	case '-':
		return code, true, line[4:], true
	}
	return 0, false, "", false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// firstWord returns the first space-separated word of s.
func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// parseExtensions turns EHLO reply lines 2..n into "KEYWORD params" strings
// with the keyword upper-cased (RFC 5321 §4.1.1.1: keywords are
// case-insensitive). It reports whether STARTTLS was among them.
func parseExtensions(lines []string) (exts []string, starttls bool) {
	if len(lines) <= 1 {
		return []string{}, false
	}
	exts = make([]string, 0, len(lines)-1)
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		kw := strings.ToUpper(f[0])
		if kw == "STARTTLS" {
			starttls = true
		}
		exts = append(exts, strings.Join(append([]string{kw}, f[1:]...), " "))
	}
	return exts, starttls
}
