package mta

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Limits on a main.cf we are asked to read.
const (
	maxMainCFBytes = 4 << 20
	maxMainCFLine  = 64 << 10
	maxExpandDepth = 100
)

// ParseMainCF reads Postfix main.cf syntax (postconf(5), "Syntax"):
// "name = value" logical lines; a line that starts with whitespace continues
// the previous logical line; empty lines and lines whose first non-space
// character is '#' are ignored (a '#' elsewhere is part of the value).
// name is used in error messages and sources ("main.cf:12"). Values are
// returned unexpanded: $name references are expanded when settings are
// resolved, against every parameter the file defines.
func ParseMainCF(r io.Reader, name string) ([]Assignment, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxMainCFBytes+1))
	sc.Buffer(make([]byte, 0, 4096), maxMainCFLine)
	var out []Assignment
	var cur *strings.Builder
	curLine := 0
	total := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		text := strings.TrimRight(cur.String(), " \t\r")
		cur = nil
		src := fmt.Sprintf("%s:%d", name, curLine)
		k, v, ok := strings.Cut(text, "=")
		if !ok {
			return fmt.Errorf("%s: missing '=' after parameter name %q", src, strings.TrimSpace(text))
		}
		a, err := ParseAssignment(k+"="+v, src)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		total += len(line) + 1
		if total > maxMainCFBytes {
			return nil, fmt.Errorf("%s: file larger than %d bytes", name, maxMainCFBytes)
		}
		trimmed := strings.TrimLeft(line, " \t\r")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if trimmed != line { // starts with whitespace: continuation
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: line starts with whitespace but continues nothing", name, n)
			}
			cur.WriteByte(' ')
			cur.WriteString(strings.TrimRight(trimmed, "\r"))
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		cur = &strings.Builder{}
		cur.WriteString(line)
		curLine = n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, n+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// Expand replaces $name, ${name}, $(name), ${name?text}, ${name:text} and
// $$ the way Postfix's mac_expand does for the forms we need: an undefined
// name expands to nothing; ${name?text} gives text when name is non-empty,
// ${name:text} when it is empty or undefined. Expansion is recursive, with a
// depth limit that also catches reference loops, and a bound on the bytes
// produced. lookup returns a parameter's raw value and whether it is set.
// The sending-side audit reads main.cf through it too.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	budget := maxExpandWork
	return expandDepth(s, lookup, 0, &budget)
}

// maxExpandWork bounds the bytes one expansion may produce in all, so that
// references that double at every level cannot blow up.
const maxExpandWork = 1 << 20

func expandDepth(s string, lookup func(string) (string, bool), depth int, budget *int) (string, error) {
	if depth > maxExpandDepth {
		return "", fmt.Errorf("$name references nest too deep (a loop?)")
	}
	*budget -= len(s)
	if *budget < 0 {
		return "", fmt.Errorf("$name references expand to more than %d bytes", maxExpandWork)
	}
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("'$' at end of value")
		}
		switch n := s[i+1]; n {
		case '$':
			b.WriteByte('$')
			i++
		case '{', '(':
			closer := byte('}')
			if n == '(' {
				closer = ')'
			}
			end, err := matching(s, i+1, n, closer)
			if err != nil {
				return "", err
			}
			inner := s[i+2 : end]
			i = end
			name, op, text := inner, byte(0), ""
			if k := strings.IndexAny(inner, "?:"); k >= 0 {
				name, op, text = inner[:k], inner[k], inner[k+1:]
			}
			if !validName(name) {
				return "", fmt.Errorf("bad parameter name %q in $%c...%c", name, n, closer)
			}
			val, _ := lookup(name)
			val, err = expandDepth(val, lookup, depth+1, budget)
			if err != nil {
				return "", err
			}
			switch op {
			case 0:
				b.WriteString(val)
			case '?', ':':
				if (op == '?') == (val != "") {
					t, err := expandDepth(text, lookup, depth+1, budget)
					if err != nil {
						return "", err
					}
					b.WriteString(t)
				}
			}
		default:
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("'$' not followed by a parameter name")
			}
			val, _ := lookup(s[i+1 : j])
			val, err := expandDepth(val, lookup, depth+1, budget)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			i = j - 1
		}
	}
	return b.String(), nil
}

func matching(s string, open int, o, c byte) (int, error) {
	depth := 0
	for j := open; j < len(s); j++ {
		switch s[j] {
		case o:
			depth++
		case c:
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced %c in value", o)
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}
