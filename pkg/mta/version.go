package mta

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a dotted release number, "3.7.11" -> {3,7,11}. OpenSMTPD's
// portable suffix ("7.8.0p1") is kept apart in patch.
type version struct {
	parts []int
	patch int // the N of a "pN" suffix, -1 when there is none
	raw   string
}

func parseVersion(s string) (version, error) {
	v := version{raw: s, patch: -1}
	if s == "" {
		return v, fmt.Errorf("empty version")
	}
	main := s
	if i := strings.IndexByte(s, 'p'); i >= 0 {
		main = s[:i]
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 {
			return v, fmt.Errorf("bad version %q", s)
		}
		v.patch = n
	}
	for _, f := range strings.Split(main, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || len(f) > 4 {
			return v, fmt.Errorf("bad version %q (want digits and dots, like 3.7.11)", s)
		}
		v.parts = append(v.parts, n)
	}
	if len(v.parts) > 4 {
		return v, fmt.Errorf("bad version %q", s)
	}
	return v, nil
}

// atLeast reports whether v >= the version given as numbers; missing parts
// count as 0.
func (v version) atLeast(want ...int) bool {
	for i := 0; i < len(want) || i < len(v.parts); i++ {
		a, b := 0, 0
		if i < len(v.parts) {
			a = v.parts[i]
		}
		if i < len(want) {
			b = want[i]
		}
		if a != b {
			return a > b
		}
	}
	return true
}

func (v version) String() string { return v.raw }
