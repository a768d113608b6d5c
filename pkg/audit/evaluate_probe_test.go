package audit

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// cutByDeadline is what smtpprobe records when the run's own deadline ends
// a probe before the server used up its command timeout.
func cutByDeadline(r smtpprobe.Result) smtpprobe.Result {
	e := &smtpprobe.Error{Phase: smtpprobe.PhaseEHLO, Err: fmt.Errorf("%w: waited 10s for complete reply, before the 20s command timeout", smtpprobe.ErrDeadline)}
	return smtpprobe.Result{Host: r.Host, IP: r.IP, Family: r.Family, Port: r.Port, BannerCode: 220,
		Status: smtpprobe.StatusInconclusive, Phase: smtpprobe.PhaseEHLO, Err: e, Error: e.Error()}
}

func findingText(v Verdict, code string) string {
	for _, f := range v.Findings {
		if f.Code == code {
			return f.Message
		}
	}
	return ""
}

func TestEvaluateProbesDoesNotBlameServersForTheRunsOwnDeadline(t *testing.T) {
	serverCodes := []string{report.CodeSMTPUnreachable, report.CodeNoMXAcceptsSMTP, report.CodeSMTPTimeoutPartial,
		report.CodeIPv6OnlyUnreachable, report.CodeIPv6DownIPv4Up, report.CodeNoIPv6Route, report.CodePort25Blocked}
	t.Run("every probe cut: undetermined, MC903, nothing about the servers", func(t *testing.T) {
		f := healthy()
		for i := range f.Probes {
			f.Probes[i] = cutByDeadline(f.Probes[i])
		}
		v := EvaluateProbes(ProbeTarget{Name: "example.org"}, f.Probes, sandboxPolicy())
		if !v.Undetermined || !strings.Contains(v.Reason, "deadline") {
			t.Errorf("undetermined %v (%q): want undetermined because of the deadline", v.Undetermined, v.Reason)
		}
		got := codes(v)
		if !slices.Contains(got, report.CodeDeadlineReached) {
			t.Errorf("codes %v: want MC903", got)
		}
		for _, c := range serverCodes {
			if slices.Contains(got, c) {
				t.Errorf("codes %v: %s blames a server for the run's deadline", got, c)
			}
		}
		if msg := findingText(v, report.CodeDeadlineReached); !strings.Contains(msg, "--timeout") || !strings.Contains(msg, "192.0.2.10") {
			t.Errorf("MC903 %q should name --timeout and the addresses", msg)
		}
	})
	t.Run("one probe cut, one refused: the refusal is judged, the rest is not", func(t *testing.T) {
		f := healthy()
		f.Probes[0] = cutByDeadline(f.Probes[0])
		f.Probes[2].Status, f.Probes[2].Phase = smtpprobe.StatusRefused, smtpprobe.PhaseConnect
		v := EvaluateProbes(ProbeTarget{Name: "example.org"}, f.Probes, sandboxPolicy())
		got := codes(v)
		if v.Undetermined || !slices.Contains(got, report.CodeSMTPUnreachable) || !slices.Contains(got, report.CodeDeadlineReached) ||
			slices.Contains(got, report.CodeNoMXAcceptsSMTP) {
			t.Errorf("codes %v undetermined %v: want MC301 for the refusal and MC903, no MC305", got, v.Undetermined)
		}
	})
	t.Run("check already reports the domain's deadline: MC903 once", func(t *testing.T) {
		f := healthy()
		f.Probes[0] = cutByDeadline(f.Probes[0])
		f.DeadlineHit = true
		v := Evaluate(f, sandboxPolicy())
		n := 0
		for _, c := range codes(v) {
			if c == report.CodeDeadlineReached {
				n++
			}
		}
		if n != 1 {
			t.Errorf("MC903 %d times in %v, want once", n, codes(v))
		}
	})
}

// The hostile server of the report, scaled down: each reply comes late,
// within the command timeout, but the run's deadline comes first. Probed
// for real, then judged as `mailcheck probe` judges it.
// judgeServer probes a scripted server under ctx and opts (port, EHLO name
// and roots filled in) as `mailcheck probe mx.example.test` does, and
// judges the probe.
func judgeServer(t *testing.T, ctx context.Context, script smtptest.Script, opts smtpprobe.Options) (Verdict, []smtpprobe.Result) {
	t.Helper()
	srv, err := smtptest.Start(script)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	opts.Port, opts.HELO, opts.RootCAs = int(srv.Addr().Port()), "c.test", smtptest.CertPool(srv.Certificate())
	rs := smtpprobe.New(opts).ProbeAll(ctx, []smtpprobe.Target{{Host: "mx.example.test", IP: srv.Addr().Addr()}}, 0)
	return EvaluateProbes(ProbeTarget{Name: "mx.example.test", Kind: TargetHost}, rs, Policy{Now: time.Now(), Sandbox: true}), rs
}

func TestProbeOfASlowServerUnderTheRunDeadlineIsUndeterminedNotAFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
	defer cancel()
	v, rs := judgeServer(t, ctx, smtptest.Script{ReplyDelay: 300 * time.Millisecond, NoTLS: true},
		smtpprobe.Options{CommandTimeout: 400 * time.Millisecond})
	for _, f := range v.Findings {
		if f.Severity == report.SeverityFail {
			t.Errorf("fail finding %s: %s", f.Code, f.Message)
		}
	}
	if !v.Undetermined || !slices.Contains(codes(v), report.CodeDeadlineReached) {
		t.Errorf("undetermined %v, codes %v: want undetermined with MC903 (probe: %s %s)", v.Undetermined, codes(v), rs[0].Status, rs[0].Error)
	}
}

func TestEvaluateReportsEarlyTalkAndJudgesTheRealEHLOReply(t *testing.T) {
	v, _ := judgeServer(t, context.Background(), smtptest.Script{BannerName: "mx.example.test",
		EarlyTalk: []string{"220 unsolicited second banner"}, EarlyTalkDelay: 100 * time.Millisecond}, smtpprobe.Options{})
	got := codes(v)
	if !slices.Contains(got, report.CodeEarlyTalk) || slices.Contains(got, report.CodeNoSTARTTLS) {
		t.Fatalf("codes %v: want MC315 and no MC306 (STARTTLS is in the real EHLO reply)", got)
	}
	if msg := findingText(v, report.CodeEarlyTalk); !strings.Contains(msg, `"220 unsolicited second banner"`) || !strings.Contains(msg, "a line") {
		t.Errorf("MC315 %q should quote the early line", msg)
	}
}

func TestEvaluateWarnsAboutAServerThatNegotiatesOnlyTLS10(t *testing.T) {
	v, _ := judgeServer(t, context.Background(), smtptest.Script{BannerName: "mx.example.test", TLSMaxVersion: tls.VersionTLS10,
		TLSCipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, smtpprobe.Options{})
	msg := findingText(v, report.CodeOldTLS)
	if !strings.Contains(msg, "TLS1.0") || !strings.Contains(msg, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") {
		t.Fatalf("codes %v, MC316 %q: want a warning naming TLS1.0 and the cipher", codes(v), msg)
	}
	// A TLS 1.2 or 1.3 server is not warned about.
	f := healthy()
	f.Probes[0].TLS.Version = "TLS1.2"
	if got := codes(Evaluate(f, sandboxPolicy())); slices.Contains(got, report.CodeOldTLS) {
		t.Errorf("codes %v: MC316 for TLS 1.2", got)
	}
}
