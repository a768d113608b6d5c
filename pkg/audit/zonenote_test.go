package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/report"
)

func TestNoteZonesKeepsTheDNSSECQuestionsAndNotesOnlyFileAnswers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "example.com.zone")
	zone := "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ MX 10 mx1\nmx1 A 192.0.2.1\n" +
		"_25._tcp.mx1 TLSA 3 1 1 0102\n"
	if err := os.WriteFile(path, []byte(zone), 0o600); err != nil {
		t.Fatal(err)
	}
	z, err := dnsq.LoadZone(path, "")
	if err != nil {
		t.Fatal(err)
	}
	o, err := dnsq.NewOverlay(&dnsq.Mock{MX: map[string][]dnsq.MX{"other.net.": {{Preference: 10, Host: "mx.other.net."}}}}, z)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := NoteZones(o).(dnsq.SecureResolver)
	if !ok {
		t.Fatal("the noting wrapper hides the overlay's TLSA and NS lookups")
	}
	ctx, notes := withZoneNotes(context.Background())
	r.LookupMX(ctx, "example.com")
	r.LookupMX(ctx, "example.com") // noted once
	r.LookupTLSA(ctx, "_25._tcp.mx1.example.com")
	r.LookupMX(ctx, "other.net") // live: not noted
	// Lookups outside a noted run (another command's) note nothing.
	r.LookupA(context.Background(), "mx1.example.com")

	fs := notes.findings(nil)
	if len(fs) != 1 || fs[0].Code != report.CodeZoneOverlay || fs[0].Subject != path {
		t.Fatalf("want one MC908 about %s, got %+v", path, fs)
	}
	msg := fs[0].Message
	if strings.Count(msg, "example.com MX") != 1 || !strings.Contains(msg, "_25._tcp.mx1.example.com TLSA") ||
		strings.Contains(msg, "other.net") || strings.Contains(msg, "mx1.example.com A") {
		t.Errorf("MC908 lists the wrong answers: %s", msg)
	}
}
