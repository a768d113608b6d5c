package audit

import (
	"strings"
	"testing"
)

func TestParseDomainNormalisesWhatUsersPaste(t *testing.T) {
	for in, want := range map[string][2]string{
		"example.org":              {"example.org", "example.org"},
		"Example.ORG.":             {"example.org", "example.org"},
		" postmaster@example.org ": {"example.org", "example.org"},
		"bücher.example":           {"xn--bcher-kva.example", "bücher.example"},
	} {
		a, u, err := ParseDomain(in)
		if err != nil || a != want[0] || u != want[1] {
			t.Errorf("ParseDomain(%q) = %q, %q, %v; want %q", in, a, u, err, want)
		}
	}
	for _, bad := range []string{"-", "", "a..b", "-a.example", "a-.example", "[2001:db8::1]", "192.0.2.1", strings.Repeat("a", 64) + ".org"} {
		if _, _, err := ParseDomain(bad); err == nil {
			t.Errorf("ParseDomain(%q) accepted", bad)
		}
	}
}

func TestDefaultHELOUsesOnlyFullyQualifiedHostNames(t *testing.T) {
	tests := []struct{ host, want string }{
		{"mail.example.net", "mail.example.net"},
		{"Mail.Example.NET.", "mail.example.net"},
		{"laptop", ""},
		{"box.localdomain", ""},
		{"bad_name!.example", ""},
	}
	for _, tt := range tests {
		got := DefaultHELO(tt.host)
		if got != tt.want {
			t.Errorf("DefaultHELO(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
