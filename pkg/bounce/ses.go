package bounce

import (
	"encoding/json"
	"net/textproto"
	"strings"
)

// Amazon SES reports bounces, complaints and deliveries as JSON
// notifications (SES developer guide, "Amazon SES notification contents"),
// sent by mail either as they are or wrapped in an Amazon SNS message
// whose "Message" field holds them as a string. A bounce notification
// carries RFC 3464's per-recipient fields under other names
// (bouncedRecipients[]: emailAddress, action, status, diagnosticCode), so
// each recipient is read as a delivery-status field group would be.

// sesNotification is the part of an SES notification that says what
// happened to each recipient.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Bounce           struct {
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
		ReportingMTA string `json:"reportingMTA"`
		RemoteMTAIP  string `json:"remoteMtaIp"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
		RemoteMTAIP  string   `json:"remoteMtaIp"`
	} `json:"delivery"`
	// Message is the SNS envelope's: the notification as a string.
	Message string `json:"Message"`
}

// sesGroups reads an SES notification in text as delivery-status field
// groups, one per recipient (Final-Recipient, Action, Status,
// Diagnostic-Code, Remote-MTA). complaint is true for a complaint
// notification (a recipient's abuse report, not a bounce). Text that holds
// no notification gives no groups.
func sesGroups(text string) (groups []textproto.MIMEHeader, complaint bool) {
	text = text[:min(len(text), maxScan)]
	if !strings.Contains(text, "notificationType") {
		return nil, false
	}
	n, ok := decodeSES(text)
	if ok && n.NotificationType == "" && n.Message != "" {
		n, ok = decodeSES(n.Message) // the SNS envelope's message
	}
	if !ok {
		return nil, false
	}
	group := func(addr, action, status, diag, remoteIP string) textproto.MIMEHeader {
		g := textproto.MIMEHeader{}
		g.Set("Final-Recipient", "rfc822; "+addr)
		for k, v := range map[string]string{"Action": action, "Status": status, "Diagnostic-Code": diag} {
			if v != "" {
				g.Set(k, v)
			}
		}
		if remoteIP != "" {
			g.Set("Remote-Mta", "dns; ["+remoteIP+"]")
		}
		return g
	}
	switch n.NotificationType {
	case "Bounce":
		for _, r := range n.Bounce.BouncedRecipients {
			groups = append(groups, group(r.EmailAddress, r.Action, r.Status, r.DiagnosticCode, n.Bounce.RemoteMTAIP))
		}
	case "Delivery":
		for _, a := range n.Delivery.Recipients {
			groups = append(groups, group(a, "delivered", "", "smtp; "+n.Delivery.SMTPResponse, n.Delivery.RemoteMTAIP))
		}
	case "Complaint":
		for _, r := range n.Complaint.ComplainedRecipients {
			groups = append(groups, group(r.EmailAddress, "", "", "", ""))
		}
		complaint = true
	}
	if len(groups) > maxRecipients {
		groups = groups[:maxRecipients]
	}
	return groups, complaint
}

// decodeSES decodes the first JSON object in text. Sendmail breaks a line
// longer than its mailer allows into "!", the line end and a space
// (util.c putxline), and a notification is one long line: one broken so
// is joined again for a second attempt.
func decodeSES(text string) (sesNotification, bool) {
	i := strings.IndexByte(text, '{')
	if i < 0 {
		return sesNotification{}, false
	}
	var n sesNotification
	if err := json.NewDecoder(strings.NewReader(text[i:])).Decode(&n); err == nil {
		return n, true
	}
	joined := strings.ReplaceAll(text[i:], "!\n ", "")
	n = sesNotification{}
	if err := json.NewDecoder(strings.NewReader(joined)).Decode(&n); err == nil {
		return n, true
	}
	return sesNotification{}, false
}
