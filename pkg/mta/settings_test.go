package mta

import (
	"maps"
	"testing"
)

// The remembered answer is the answer: for configurations that differ in
// one value, in where a value came from, or in where one assignment ends
// and the next begins, resolveSettings gives what merging them afresh
// gives, the first time and the second.
func TestResolveSettingsRemembersEachConfigurationApart(t *testing.T) {
	cfgs := []Config{
		{},
		{Set: sets("smtp_address_preference", "ipv4")},
		{Set: sets("smtp_address_preference", "ipv6")},
		{MainCF: []Assignment{{Name: "smtp_address_preference", Value: "ipv4", Source: "main.cf:1"}}},
		{MainCF: []Assignment{{Name: "smtp_address_preference", Value: "ipv4", Source: "main.cf:2"}}},
		// The same bytes with the boundary between name and value moved
		// (main.cf ignores the unknown name of the second).
		{MainCF: []Assignment{{Name: "smtp_mx_address_limit", Value: "12", Source: "main.cf:1"}}},
		{MainCF: []Assignment{{Name: "smtp_mx_address_limit1", Value: "2", Source: "main.cf:1"}}},
	}
	for _, mta := range []string{Postfix, Exim} {
		for i, cfg := range cfgs {
			want, wantErr := mergeSettings(mta, DefaultVersions[mta], cfg)
			for round := 1; round <= 2; round++ {
				got, err := resolveSettings(mta, DefaultVersions[mta], cfg)
				if (err != nil) != (wantErr != nil) || !maps.Equal(got, want) {
					t.Errorf("%s, configuration %d, call %d: %v (%v), want %v (%v)", mta, i, round, got, err, want, wantErr)
				}
			}
		}
	}
}

// Simulate's document owns its settings: changing them changes no later
// simulation.
func TestSimulateDocumentSettingsAreTheCallersOwn(t *testing.T) {
	first := simulate(t, example(), Config{}, Options{})
	first.MTA.Settings["smtp_address_preference"] = Setting{Value: "ipv4", Source: SourceSet}
	second := simulate(t, example(), Config{}, Options{})
	if got := second.MTA.Settings["smtp_address_preference"]; got.Source != SourceDefault || got.Value != "any" {
		t.Errorf("smtp_address_preference after a caller changed an earlier document: %+v", got)
	}
}
