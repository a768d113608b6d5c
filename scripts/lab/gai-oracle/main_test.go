//go:build linux

package main

import (
	"reflect"
	"testing"
)

// getent ahosts for several names starts each name's lines with its
// canonical name; a crashed lookup ends in "!exit 139".
func TestParseAnswersSplitsBatchedOutputAndRecordsCrashes(t *testing.T) {
	out := `== default postfix *
mixed4 192.0.2.25 2001:db8:25::1
ula !Name or service not known
== default getent *
2001:db8:25::1  STREAM mixed4
2001:db8:25::1  DGRAM  
2001:db8:25::1  RAW    
192.0.2.25      STREAM 
192.0.2.25      DGRAM  
192.0.2.25      RAW    
2001:db8:25::1  STREAM mixed6
2001:db8:25::1  DGRAM  
== nobits-scope postfix mixed4
!exit 139
== nobits-scope getent mixed4
192.0.2.25      STREAM mixed4
`
	got := parseAnswers(out)
	want := map[string][]string{
		"default postfix mixed4":      {"192.0.2.25", "2001:db8:25::1"},
		"default getent mixed4":       {"2001:db8:25::1", "192.0.2.25"},
		"default getent mixed6":       {"2001:db8:25::1"},
		"nobits-scope postfix mixed4": {crashed},
		"nobits-scope getent mixed4":  {"192.0.2.25"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
