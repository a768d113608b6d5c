package sender

import (
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"

	"github.com/mailcheck/mailcheck/pkg/iprev"
)

// The replies below are the receivers' published texts (see pkg/bounce's
// rule table for the sources); "{ip}" is the sending address.
const (
	gmailIPv6Reply   = "[{ip}] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication."
	gmailPTRReply    = "The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. As a policy, Gmail does not accept messages from IPs with missing PTR records."
	gmailUnauthReply = "This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM."
	gmailDMARCReply  = "Unauthenticated email from {domain} is not accepted due to domain's DMARC policy."
	msPTRReply       = "Service unavailable, sending IPv6 address [{ip}] must have reverse DNS record."
	msAuthReply      = "Service unavailable, message sent over IPv6 [{ip}] must pass either SPF or DKIM validation, this message is not signed"
	unlessDKIM       = "unless the message carries a valid DKIM signature (mailcheck cannot see your signatures)"
)

// judge predicts what Gmail and Microsoft do with mail from s. It uses only
// facts in s (and the domain's DMARC); DKIM is invisible from DNS alone, so
// verdicts that DKIM could change say so in Condition.
func judge(s *Sender, domain string) Receivers {
	rep := func(t string) string { return expandReply(t, s.IP.String(), domain) }
	if s.Skipped != "" {
		u := Verdict{Action: ActionUnknown, Reason: "not checked: " + s.Skipped}
		return Receivers{Gmail: u, Microsoft: u}
	}
	v6 := s.Family == addr.IPv6
	ptrMissing := s.FCrDNS == iprev.StatusNone || s.FCrDNS == iprev.StatusPermError
	ptrBad := ptrMissing || s.FCrDNS == iprev.StatusFail
	spfKnown := s.SPF != nil
	spfPass := spfKnown && s.SPF.Result == "pass"
	dmarcEnforced := s.DMARC != nil && s.DMARC.Status == "ok" && (s.DMARC.Policy == "reject" || s.DMARC.Policy == "quarantine")

	var g, m Verdict
	// Gmail (support.google.com/mail/answer/81126).
	switch {
	case s.FCrDNS == iprev.StatusTempError && (s.PTRStatus == dnsq.StatusTimeout || s.PTRStatus == dnsq.StatusError):
		// No answer here may be this host's resolver, not the zone.
		g = Verdict{Action: ActionUnknown, Reason: "the reverse DNS lookup got no answer from here (" + string(s.PTRStatus) +
			"); if the reverse zone itself is broken, Gmail defers with 421 4.7.0"}
	case s.FCrDNS == iprev.StatusTempError:
		g = Verdict{Action: ActionDefer, ReplyCode: 421, EnhancedCode: "4.7.0", Rule: "gmail-ptr-rate-limited",
			Reason: "the reverse DNS lookup fails temporarily (" + string(s.PTRStatus) + "); Gmail sees the same failure and rate-limits"}
	case v6 && ptrBad:
		g = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.1", Reply: rep(gmailIPv6Reply), Rule: "gmail-ipv6-ptr-auth",
			Reason: "over IPv6 Gmail requires a PTR record whose name resolves (AAAA) back to the address; " + ptrWhy(s)}
	case ptrBad:
		g = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.25", Reply: gmailPTRReply, Rule: "gmail-ptr-missing",
			Reason: "Gmail requires forward-confirmed reverse DNS; " + ptrWhy(s) + " (Gmail may first answer 421 4.7.0 or 4.7.23 and rate-limit)"}
	case !spfKnown:
		g = Verdict{Action: ActionAccept, Reason: "reverse DNS is in order",
			Condition: "provided the message passes SPF or DKIM (SPF not checked: pass --domain)"}
	case spfPass:
		g = Verdict{Action: ActionAccept, Reason: "forward-confirmed reverse DNS and SPF pass"}
	case s.SPF.Result == "fail" && dmarcEnforced:
		g = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.26", Reply: rep(gmailDMARCReply), Rule: "gmail-dmarc-policy",
			Reason: "SPF fails and " + domain + " publishes DMARC p=" + s.DMARC.Policy, Condition: unlessDKIM + " aligned with " + domain}
	case v6:
		g = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.1", Reply: rep(gmailIPv6Reply), Rule: "gmail-ipv6-ptr-auth",
			Reason: "over IPv6 Gmail requires SPF or DKIM to pass; SPF is " + s.SPF.Result, Condition: unlessDKIM}
	default:
		g = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.26", Reply: gmailUnauthReply, Rule: "gmail-unauthenticated",
			Reason: "Gmail requires SPF or DKIM to pass; SPF is " + s.SPF.Result, Condition: unlessDKIM}
	}

	// Microsoft: Exchange Online's IPv6 rules (PTR present, SPF or DKIM);
	// nothing published for IPv4 beyond Outlook.com's bulk-sender rule.
	bulk := "Outlook.com refuses senders of more than 5,000 messages a day without SPF, DKIM and DMARC (550 5.7.515)"
	switch {
	case v6 && s.FCrDNS == iprev.StatusTempError:
		m = Verdict{Action: ActionDefer, Rule: "microsoft-ipv6-no-ptr",
			Reason: "the PTR lookup fails temporarily; Exchange Online needs a PTR for IPv6 senders"}
	case s.FCrDNS == iprev.StatusTempError && (!spfKnown || s.SPF.Result == "temperror"):
		m = Verdict{Action: ActionUnknown, Reason: "the DNS lookups failed temporarily: nothing could be judged"}
	case v6 && ptrMissing:
		m = Verdict{Action: ActionReject, ReplyCode: 550, EnhancedCode: "5.7.25", Reply: rep(msPTRReply), Rule: "microsoft-ipv6-no-ptr",
			Reason: "Exchange Online refuses IPv6 senders without a PTR record"}
	case v6 && !spfKnown:
		m = Verdict{Action: ActionAccept, Reason: "the address has a PTR record",
			Condition: "provided the message passes SPF or DKIM, else 450 4.7.26 (SPF not checked: pass --domain)"}
	case v6 && !spfPass:
		m = Verdict{Action: ActionDefer, ReplyCode: 450, EnhancedCode: "4.7.26", Reply: rep(msAuthReply), Rule: "microsoft-ipv6-auth",
			Reason: "Exchange Online requires mail over IPv6 to pass SPF or DKIM; SPF is " + s.SPF.Result, Condition: unlessDKIM}
	default:
		m = Verdict{Action: ActionAccept, Reason: "no Microsoft rule refuses this address on DNS grounds"}
		if s.DMARC == nil || !s.DMARC.Present || s.DMARC.Status != "ok" {
			m.Condition = bulk
		}
	}
	return Receivers{Gmail: g, Microsoft: m}
}

func ptrWhy(s *Sender) string {
	switch s.FCrDNS {
	case iprev.StatusNone:
		return "the address has no PTR record"
	case iprev.StatusPermError:
		return "its PTR data is not a valid host name"
	case iprev.StatusFail:
		fam := "A"
		if s.Family == addr.IPv6 {
			fam = "AAAA"
		}
		return "no PTR name has an " + fam + " record holding the address"
	}
	return "reverse DNS is in order"
}

func expandReply(t, ip, domain string) string {
	return strings.NewReplacer("{ip}", ip, "{domain}", domain).Replace(t)
}
