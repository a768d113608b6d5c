package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// explainJSON runs explain --no-checks -o json on args and returns the
// document with its recipients, and standard error.
func explainJSON(t *testing.T, stdin string, args ...string) (doc struct {
	Rule         string `json:"rule"`
	Reason       string `json:"reason"`
	Subject      string `json:"subject"`
	ReportingMTA string `json:"reporting_mta"`
	Recipients   []struct {
		Recipient     string `json:"recipient"`
		Action        string `json:"action"`
		Reason        string `json:"reason"`
		ReplyCode     int    `json:"reply_code"`
		EnhancedCode  string `json:"enhanced_code"`
		ReceivingHost string `json:"receiving_host"`
		ReceivingIP   string `json:"receiving_ip"`
		Reply         string `json:"reply"`
	} `json:"recipients"`
}, errOut string) {
	t.Helper()
	out, errOut, code := runInProcess(t, context.Background(), stdin, append([]string{"explain", "--no-checks", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return doc, errOut
}

func TestExplainReadsAnArgumentNamingAFileAsTheWholeMessage(t *testing.T) {
	doc, _ := explainJSON(t, "", filepath.Join("testdata", "explain", "postfix-two-recipients.eml"))
	if doc.Subject != "Undelivered Mail Returned to Sender" || doc.ReportingMTA != "mail.example.org" {
		t.Errorf("subject %q reporting MTA %q", doc.Subject, doc.ReportingMTA)
	}
	// The top-level result stays the primary recipient's, as before.
	if doc.Rule != "gmail-ipv6-ptr-auth" || doc.Reason != "requireptr" {
		t.Errorf("primary rule %q reason %q", doc.Rule, doc.Reason)
	}
	if len(doc.Recipients) != 2 {
		t.Fatalf("%d recipients, want 2: %+v", len(doc.Recipients), doc.Recipients)
	}
	gmail, other := doc.Recipients[0], doc.Recipients[1]
	if gmail.Recipient != "bob@gmail.com" || gmail.Action != "failed" || gmail.ReplyCode != 550 || gmail.EnhancedCode != "5.7.1" ||
		gmail.ReceivingHost != "gmail-smtp-in.l.google.com" || gmail.ReceivingIP != "2001:db8:f::1b" || gmail.Reason != "requireptr" {
		t.Errorf("first recipient %+v", gmail)
	}
	if other.Recipient != "carol@example.net" || other.Reason != "userunknown" || other.EnhancedCode != "5.1.1" || other.ReceivingIP != "192.0.2.70" {
		t.Errorf("second recipient %+v", other)
	}
	if strings.Contains(other.Reply, "--B2") || strings.Contains(other.Reply, "Final-Recipient") {
		t.Errorf("MIME debris in the reply: %q", other.Reply)
	}
}

func TestExplainReadsTheSameMessageFromAFileAndFromStandardInput(t *testing.T) {
	path := filepath.Join("testdata", "explain", "postfix-two-recipients.eml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _ := explainJSON(t, "", path)
	fromStdin, _ := explainJSON(t, string(data), "-")
	a, _ := json.Marshal(fromFile)
	b, _ := json.Marshal(fromStdin)
	if string(a) != string(b) {
		t.Errorf("file and stdin differ:\n%s\n%s", a, b)
	}
}

func TestExplainReadsAnArgumentThatIsNoFileAsTheText(t *testing.T) {
	// "bounce.eml" that does not exist, and a directory, are text to explain.
	for _, arg := range []string{filepath.Join(t.TempDir(), "bounce.eml"), t.TempDir()} {
		doc, _ := explainJSON(t, "", arg)
		if doc.Recipients != nil || doc.Rule != "" {
			t.Errorf("%s: read as a message: %+v", arg, doc)
		}
	}
	// Two arguments are always text, even when the first names a file.
	doc, _ := explainJSON(t, "", filepath.Join("testdata", "explain", "postfix-two-recipients.eml"), "550 5.1.1 User unknown")
	if doc.Recipients != nil || doc.Reason != "userunknown" {
		t.Errorf("two arguments: %+v", doc)
	}
}

func TestExplainBoundsAFileAsItBoundsStandardInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(path, []byte(gmailLogLine+"\n"+strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, errOut := explainJSON(t, "", path)
	if !strings.Contains(errOut, "only the first") || doc.Rule != "gmail-ipv6-ptr-auth" {
		t.Errorf("rule %q, stderr %q", doc.Rule, errOut)
	}
}

func TestExplainListsEveryRecipientOfAMessageInText(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), "", "explain", "--no-checks", filepath.Join("testdata", "explain", "postfix-two-recipients.eml"))
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		`Message: "Undelivered Mail Returned to Sender" from mail.example.org (2 recipients`,
		"Recognised: Gmail IPv6 sending guidelines",
		"  bob@gmail.com  failed\n    550 5.7.1  reason requireptr",
		"  carol@example.net  failed\n    550 5.1.1  reason userunknown",
		"remote MTA mx.example.net [192.0.2.70]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainNamesTheRecipientOfAForwardedLogLine(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), "", "explain", "--no-checks", "-o", "json", filepath.Join("testdata", "explain", "forwarded-log.eml"))
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Recipients []struct {
			Recipient string `json:"recipient"`
			Reason    string `json:"reason"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Recipients) != 1 || doc.Recipients[0].Recipient != "bob@gmail.com" || doc.Recipients[0].Reason != "requireptr" {
		t.Errorf("recipients %+v", doc.Recipients)
	}
}
