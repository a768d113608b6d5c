package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// maxParts bounds the MIME parts looked at, and maxDepth their nesting: a
// bounce has three or four parts (RFC 3464 §2: text, delivery-status, the
// original message); a message built to exhaust the reader gets no further
// than these.
const (
	maxParts = 64
	maxDepth = 8
)

// message is a bounce message taken apart: the human-readable text of its
// parts (decoded to UTF-8), the field groups of its delivery-status parts
// (RFC 3464 §2.2, §2.3), and the headers of the message and of the returned
// original. Nothing in it is sanitised yet.
type message struct {
	header   mail.Header // the bounce's own header
	texts    []string    // text/plain (and text/html stripped of tags) parts, in order
	dsn      []textproto.MIMEHeader
	original textproto.MIMEHeader // headers of the returned message, when present
	parts    int
	// feedback is set by an abuse report (RFC 5965 ARF: a
	// message/feedback-report part), which is not a bounce; report by a
	// delivery report (RFC 3462 multipart/report; report-type=
	// delivery-status), which is one even when its fields are missing.
	feedback, report bool
}

// IsMessage says whether text is a whole message (a saved .eml or mbox
// file, headers first), which ParseMessage reads recipient by recipient,
// rather than a pasted reply or log line.
func IsMessage(text string) bool { return looksLikeMessage(text) }

// looksLikeMessage says whether text starts with an RFC 5322 header block
// (or an mbox "From " line before one), as a saved .eml file does, rather
// than with a pasted reply or log line.
func looksLikeMessage(text string) bool {
	if strings.HasPrefix(text, "From ") {
		return true
	}
	line, _, _ := strings.Cut(text, "\n")
	name, _, ok := strings.Cut(line, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return false
	}
	// Postfix log lines start "Nov 29 10:12:01 ..." (a space before any
	// colon); a reply starts with digits. Header names are printable
	// ASCII without spaces (RFC 5322 §2.2), and a bounce has one of these.
	low := strings.ToLower(text[:min(len(text), 16<<10)])
	return strings.Contains(low, "\nsubject:") || strings.Contains(low, "\ncontent-type:") ||
		strings.Contains(low, "\nfrom:") || strings.Contains(low, "\nreceived:") ||
		strings.HasPrefix(low, "subject:") || strings.HasPrefix(low, "from:") || strings.HasPrefix(low, "received:") ||
		strings.HasPrefix(low, "return-path:") || strings.HasPrefix(low, "delivered-to:")
}

// normaliseNewlines turns CRLF and lone CR (old Mac mail stores) into LF,
// the line end the standard library's readers handle in all cases. CR CR
// LF, which generators that add a CR to lines already ending in CRLF
// write, is one line end too: read as two, it would split a paragraph.
func normaliseNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return newlineReplacer.Replace(s)
}

var newlineReplacer = strings.NewReplacer("\r\r\n", "\n", "\r\n", "\n", "\r", "\n")

// readMessage takes a whole message apart. It never fails: a header block
// the standard library rejects is skipped to the first blank line and the
// rest is read as text.
func readMessage(text string) *message {
	text = normaliseNewlines(text)
	if strings.HasPrefix(text, "From ") {
		// An mbox separator line (RFC 4155) before the headers.
		_, text, _ = strings.Cut(text, "\n")
	}
	m := &message{}
	msg, err := mail.ReadMessage(strings.NewReader(text))
	if err != nil {
		head, body, ok := strings.Cut(text, "\n\n")
		if !ok {
			body = head
		}
		m.header = mail.Header{}
		m.texts = append(m.texts, body)
		return m
	}
	m.header = msg.Header
	m.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0)
	return m
}

// walk visits one MIME entity (RFC 2045, RFC 2046) and its children.
func (m *message) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	m.parts++
	if m.parts > maxParts || depth > maxDepth {
		return
	}
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ctype == "" {
		// RFC 2045 §5.2: the default is text/plain; a header we cannot
		// read is treated the same way, so its text is still examined.
		ctype, params = "text/plain", map[string]string{}
	}
	if ctype == "multipart/report" {
		switch strings.ToLower(params["report-type"]) {
		case "feedback-report":
			m.feedback = true
		case "delivery-status", "global-delivery-status":
			m.report = true
		}
	}
	if strings.HasPrefix(ctype, "multipart/") {
		m.walkMultipart(params["boundary"], body, depth)
		return
	}
	data, _ := io.ReadAll(transferDecoder(h.Get("Content-Transfer-Encoding"), body))
	switch ctype {
	case "message/feedback-report":
		m.feedback = true
	case "message/delivery-status", "message/global-delivery-status":
		m.dsn = append(m.dsn, fieldGroups(string(data))...)
	case "message/rfc822", "message/global":
		if inner, err := mail.ReadMessage(bytes.NewReader(normaliseBytes(data))); err == nil {
			if m.original == nil {
				m.original = textproto.MIMEHeader(inner.Header)
			}
			// The returned message is the sender's, not the receiver's
			// words: only its headers matter. Some MTAs put their whole
			// report inside a message/rfc822 part (a forwarded bounce);
			// those are read when nothing else was found.
			if len(m.texts) == 0 && len(m.dsn) == 0 {
				m.walk(textproto.MIMEHeader(inner.Header), inner.Body, depth+1)
			}
		}
	case "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
		if g := fieldGroups(string(data)); len(g) > 0 && m.original == nil {
			m.original = g[0]
		}
	case "text/html":
		m.texts = append(m.texts, stripTags(decodeCharset(data, params["charset"])))
	default:
		if strings.HasPrefix(ctype, "text/") {
			text := decodeCharset(data, params["charset"])
			if len(m.texts) > 0 && looksLikeMessage(strings.TrimLeft(text, "\r\n")) {
				// A later text part that starts with a header block is
				// the returned message sent as plain text (Oracle
				// Messaging Server does so): the sender's headers, not
				// the receiver's words.
				if g := fieldGroups(text); len(g) > 0 && m.original == nil {
					m.original = g[0]
				}
				return
			}
			m.texts = append(m.texts, text)
		}
	}
}

func (m *message) walkMultipart(boundary string, body io.Reader, depth int) {
	if boundary == "" {
		data, _ := io.ReadAll(body)
		m.texts = append(m.texts, string(data))
		return
	}
	data, _ := io.ReadAll(body)
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	n := 0
	for {
		// NextRawPart leaves the transfer encoding to transferDecoder, so
		// that every part is decoded the same way.
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		n++
		m.walk(p.Header, p, depth+1)
	}
	if n == 0 {
		// A boundary that never occurs: the body is still text.
		m.texts = append(m.texts, string(data))
	}
}

// transferDecoder undoes a Content-Transfer-Encoding (RFC 2045 §6).
// Decoding errors end the part; what was decoded is kept.
func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &spaceless{r: r})
	}
	return r
}

// spaceless drops the white space some encoders put in base64 bodies
// besides line ends (which encoding/base64 already ignores).
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

func normaliseBytes(b []byte) []byte {
	if !bytes.Contains(b, []byte("\r")) {
		return b
	}
	return []byte(normaliseNewlines(string(b)))
}

// decodeCharset converts text in a declared charset to UTF-8 with the
// WHATWG encoding index (golang.org/x/text). An unknown or missing charset
// leaves the bytes as they are; sanitising later replaces invalid UTF-8.
func decodeCharset(data []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case "", "us-ascii", "ascii", "utf-8", "utf8":
		return string(data)
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return string(data)
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), data)
	if err != nil {
		return string(data)
	}
	return string(out)
}

// wordDecoder decodes RFC 2047 encoded words in headers, in any charset the
// encoding index knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(strings.ToLower(charset))
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// fieldGroups reads the blank-line separated field groups of a
// delivery-status body (RFC 3464 §2.1): the per-message fields, then one
// group per recipient. Folded lines are unfolded by textproto.
func fieldGroups(s string) []textproto.MIMEHeader {
	s = normaliseNewlines(s)
	var out []textproto.MIMEHeader
	for _, g := range strings.Split(s, "\n\n") {
		g = strings.TrimLeft(g, "\n")
		if strings.TrimSpace(g) == "" {
			continue
		}
		r := textproto.NewReader(bufio.NewReader(strings.NewReader(g + "\n\n")))
		h, _ := r.ReadMIMEHeader()
		if len(h) > 0 {
			out = append(out, h)
		}
		if len(out) >= maxParts {
			break
		}
	}
	return out
}

// stripTags reduces an HTML part to its text: tags become spaces, the
// common entities are replaced. Bounces in HTML only (some Exchange and
// webmail generators) say in it what the text part would.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(c)
		}
	}
	return strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", "\"", "&#39;", "'").Replace(b.String())
}
