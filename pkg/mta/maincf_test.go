package mta

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMainCFHandlesCommentsContinuationsAndReferences(t *testing.T) {
	text := `# Postfix main.cf
myhostname = mx.example.test
   # a comment inside does not end the logical line
smtp_address_preference =
    ipv4
my_limit = 3
smtp_mx_address_limit = $my_limit
smtp_mx_session_limit = ${my_limit}
smtp_connect_timeout = $(timeout_base)s
timeout_base = 10
inet_protocols = ipv4, ipv6   
relayhost = [mail.example.test]:587 # a '#' here is part of the value
unknown_parameter = whatever
`
	as, err := ParseMainCF(strings.NewReader(text), "main.cf")
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 10 || as[1].Name != "smtp_address_preference" || as[1].Value != "ipv4" || as[1].Source != "main.cf:4" {
		t.Fatalf("assignments = %+v", as)
	}
	if as[8].Value != "[mail.example.test]:587 # a '#' here is part of the value" {
		t.Errorf("relayhost = %q", as[8].Value)
	}
	d := simulate(t, example(), Config{MainCF: as, Set: sets("smtp_mx_session_limit", "1")}, Options{})
	s := d.MTA.Settings
	want := map[string]Setting{
		"smtp_address_preference":  {"ipv4", "main.cf:4"},
		"smtp_mx_address_limit":    {"3", "main.cf:7"},
		"smtp_mx_session_limit":    {"1", "--set"},
		"smtp_connect_timeout":     {"10s", "main.cf:9"},
		"inet_protocols":           {"ipv4, ipv6", "main.cf:11"},
		"smtp_randomize_addresses": {"yes", "default"},
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %+v, want %+v", k, s[k], v)
		}
	}
	if _, ok := s["unknown_parameter"]; ok {
		t.Error("unknown parameter kept")
	}
	if d.PFirstIPv6Exact != "0" || d.AddressLimit != 3 {
		t.Errorf("main.cf not applied: P(first v6) %s limit %d", d.PFirstIPv6Exact, d.AddressLimit)
	}
}

func TestBadSettingsAreClearErrorsNamingTheirSource(t *testing.T) {
	tests := []struct {
		name, text string
		set        []Assignment
		version    string
		want       string
	}{
		{name: "missing =", text: "smtp_mx_address_limit 5\n", want: "main.cf:1: missing '='"},
		{name: "leading whitespace continues nothing", text: "  smtp_mx_address_limit = 5\n", want: "main.cf:1:"},
		{name: "bad number", text: "a = 1\n\nsmtp_mx_address_limit = five\n", want: "main.cf:3: smtp_mx_address_limit = five"},
		{name: "bad enum", text: "smtp_address_preference = ipv5\n", want: "main.cf:1: smtp_address_preference"},
		{name: "reference loop", text: "x = $y\ny = $x\nsmtp_mx_address_limit = $x\n", want: "main.cf:3"},
		{name: "unknown --set name", set: sets("smtp_bogus", "1"), want: `--set: postfix has no parameter "smtp_bogus"`},
		{name: "parameter newer than version", set: sets("smtp_balance_inet_protocols", "yes"), version: "3.2.0", want: "it appeared in 3.3"},
		{name: "unknown host lookup", set: sets("smtp_host_lookup", "nis"), want: "smtp_host_lookup: want dns, native or both"},
		{name: "bad time", set: sets("smtp_connect_timeout", "soon"), want: "smtp_connect_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Set: tt.set, Version: tt.version}
			var err error
			if tt.text != "" {
				cfg.MainCF, err = ParseMainCF(strings.NewReader(tt.text), "main.cf")
			}
			if err == nil {
				_, err = Simulate(example(), cfg, Options{})
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseMTA(t *testing.T) {
	tests := []struct{ in, name, version, err string }{
		{"postfix", "postfix", "3.7.11", ""},
		{"Postfix:3.3.0", "postfix", "3.3.0", ""},
		{"exim", "exim", "4.96", ""},
		{"opensmtpd:openbsd", "opensmtpd", "openbsd", ""},
		{"sendmail:8.18.1", "sendmail", "8.18.1", ""},
		{"postfix:2.7.0", "", "", "before 2.8"},
		{"postfix:three", "", "", "bad version"},
		{"qmail", "", "", "unknown MTA"},
	}
	for _, tt := range tests {
		n, v, err := ParseMTA(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || n != tt.name || v != tt.version {
			t.Errorf("%s: %s %s %v", tt.in, n, v, err)
		}
	}
}

func TestExpandConditionalForms(t *testing.T) {
	vals := map[string]string{"set": "x", "empty": ""}
	look := func(n string) (string, bool) { v, ok := vals[n]; return v, ok }
	tests := map[string]string{
		"${set?yes}":   "yes",
		"${empty?yes}": "",
		"${empty:no}":  "no",
		"${set:no}":    "",
		"${undef:d}":   "d",
		"$$set":        "$set",
		"a${set}b":     "axb",
	}
	for in, want := range tests {
		got, err := Expand(in, look)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"${set", "$", "${bad name}"} {
		if _, err := Expand(bad, look); err == nil {
			t.Errorf("Expand(%q) accepted", bad)
		}
	}
}

// FuzzParseMainCF: the parser and expansion never panic or hang, and every
// assignment has a valid name and a file:line source.
func FuzzParseMainCF(f *testing.F) {
	f.Add("smtp_mx_address_limit = 5\n")
	f.Add("# c\na = $b\n  continued\nb = ${a?x}\n")
	f.Add("x = $(y)\ny = ${x:z}\n")
	f.Add("\n\n  \n=\n")
	f.Fuzz(func(t *testing.T, text string) {
		as, err := ParseMainCF(strings.NewReader(text), "main.cf")
		if err != nil {
			return
		}
		for _, a := range as {
			if a.Name == "" || !strings.HasPrefix(a.Source, "main.cf:") {
				t.Fatalf("bad assignment %+v", a)
			}
		}
		_, _ = Simulate(example(), Config{MainCF: as}, Options{MaxOrderings: 1})
	})
}

func TestConfigErrorsMatchErrBadConfig(t *testing.T) {
	_, err := Simulate(example(), Config{Set: sets("smtp_mx_address_limit", "x")}, Options{})
	if !errors.Is(err, ErrBadConfig) || strings.Contains(err.Error(), "bad MTA configuration") {
		t.Errorf("err = %v", err)
	}
}

func TestInetProtocolsEnablesTheFamiliesItNames(t *testing.T) {
	for _, tt := range []struct {
		value  string
		v4, v6 bool
	}{
		{"all", true, true},
		{"ipv4", true, false},
		{"IPv6", false, true},
		{"ipv4, ipv6", true, true},
		{"ipv6,\tipv4", true, true},
		{"", false, false},
		{"ipv5", false, false},
	} {
		if v4, v6 := InetProtocols(tt.value); v4 != tt.v4 || v6 != tt.v6 {
			t.Errorf("InetProtocols(%q) = %v, %v; want %v, %v", tt.value, v4, v6, tt.v4, tt.v6)
		}
	}
}
