package tlspolicy

import (
	"crypto/tls"
	"errors"
	"testing"
)

func TestPostfixAttemptAtEachLevel(t *testing.T) {
	for _, c := range []struct {
		level                     string
		dane                      DANEStatus
		starttls, handshake, pkix bool
		delivers, judged          bool
		reason                    string
	}{
		{LevelDANE, DANEPass, true, true, false, true, true, ""},
		{LevelDANE, DANEFail, true, true, true, false, true, "Server certificate not verified"},
		{LevelDANE, DANENoSTARTTLS, false, false, false, false, true, "TLS is required, but was not offered by host"},
		{LevelDANE, DANENoSTARTTLS, true, false, false, false, true, "Cannot start TLS: handshake failure"},
		{LevelDANE, DANEUnusable, true, true, false, true, true, ""},
		{LevelDANE, DANEUnusable, false, false, false, false, true, "TLS is required, but was not offered by host"},
		{LevelDANE, DANENoTLSA, false, false, false, true, true, ""},
		{LevelDANE, DANENotSecure, false, false, false, true, true, ""},
		{LevelDANE, DANELookupError, true, true, true, false, true, "TLSA lookup error"},
		{LevelDANE, DANENotJudged, true, true, true, false, false, ""},
		{LevelEncrypt, "", false, false, false, false, true, "TLS is required, but was not offered by host"},
		{LevelEncrypt, "", true, true, false, true, true, ""},
		{LevelSecure, "", true, true, false, false, true, "Server certificate not verified"},
		{LevelSecure, "", true, true, true, true, true, ""},
		{LevelMay, "", false, false, false, true, true, ""},
		{"bogus-level", "", true, true, true, false, false, ""},
	} {
		a := PostfixAttempt(c.level, DANE{Status: c.dane}, c.starttls, c.handshake, c.pkix)
		if a.Delivers != c.delivers || a.Judged != c.judged || a.Reason != c.reason {
			t.Errorf("%s/%s starttls=%v handshake=%v pkix=%v: %+v, want delivers %v judged %v %q",
				c.level, c.dane, c.starttls, c.handshake, c.pkix, a, c.delivers, c.judged, c.reason)
		}
	}
}

func TestPresentedFromATLSState(t *testing.T) {
	p := newPKI(t, "mx.example")
	got := PresentedFrom("ipv6", true, true, &tls.ConnectionState{PeerCertificates: p.chain}, nil)
	if len(got.Chain) != 3 || got.Family != "ipv6" || !got.Tried || !got.StartTLS {
		t.Errorf("%+v", got)
	}
	failed := PresentedFrom("ipv4", true, true, nil, errors.New("remote error"))
	if failed.Chain != nil || failed.HandshakeError != "remote error" {
		t.Errorf("%+v", failed)
	}
}
