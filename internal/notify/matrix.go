package notify

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Matrix says which channels each event goes to. It is configuration: the
// default below can be overridden per event (ParseMatrix, With); Validate
// checks an effective matrix against the catalog at start-up.
type Matrix map[Event][]Channel

// DefaultMatrix returns the shipped channel matrix. Legal notices go by
// email and SMS (either counts as notice) and to the inbox; verification
// codes go to whichever address the request carries.
func DefaultMatrix() Matrix {
	return Matrix{
		EventVerificationCode:    {Email, SMS},
		EventDeliveryCompleted:   {Email, InApp},
		EventMeasureImposed:      {Email, SMS, InApp},
		EventAppealDecided:       {Email, SMS, InApp},
		EventAccountEnded:        {Email, SMS, InApp},
		EventRefundDecided:       {Email, SMS, InApp},
		EventMaintenance:         {Email, SMS, InApp},
		EventAgreementRevised:    {Email, InApp},
		EventMarketingNewsletter: {Email, InApp},
		// Tickets: SMS goes only where the caller passes a phone (urgent
		// tickets).
		EventTicketOpened:           {Email, InApp},
		EventTicketAnswered:         {Email, SMS, InApp},
		EventTicketCustomerReplied:  {Email, InApp},
		EventTicketClosed:           {Email, SMS, InApp},
		EventTicketAutoCloseWarning: {Email, SMS, InApp},
		EventTicketTargetBreached:   {Email, InApp},
		EventKYCDecided:             {Email, InApp},
		EventServiceExpiring:        {Email, InApp},
		EventServiceStateChange:     {Email, InApp},
		EventServiceRenewed:         {Email, InApp},
		EventAutoRenewProblem:       {Email, InApp},
		EventQuotaLevel:             {Email, InApp},
		EventResellerInvitation:     {Email},
		EventResellerOrderPlaced:    {Email, InApp},
		EventDeliveryBreached:       {Email, SMS, InApp},
		EventCertificateIssued:      {Email, SMS},
		EventCertificateRenewed:     {Email, InApp},
		EventCertificateRenewalDue:  {Email, SMS, InApp},
		EventMaintenanceUpdate:      {Email, SMS, InApp},
		EventOutageDecided:          {Email, InApp},
		EventAssignment:             {Email, SMS, InApp},
	}
}

// ParseMatrix parses overrides written as
// "event=email+sms+inapp;event2=email". Whitespace is ignored; an empty
// string is no override.
func ParseMatrix(s string) (Matrix, error) {
	m := Matrix{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, list, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("channel matrix: %q: want event=channel+channel", part)
		}
		ev := Event(strings.TrimSpace(name))
		if _, ok := m[ev]; ok {
			return nil, fmt.Errorf("channel matrix: event %s given twice", ev)
		}
		var chans []Channel
		for _, c := range strings.Split(list, "+") {
			ch := Channel(strings.TrimSpace(c))
			if !ch.Valid() {
				return nil, fmt.Errorf("channel matrix: event %s: unknown channel %q (email, sms, inapp)", ev, c)
			}
			if slices.Contains(chans, ch) {
				return nil, fmt.Errorf("channel matrix: event %s: channel %s twice", ev, ch)
			}
			chans = append(chans, ch)
		}
		m[ev] = chans
	}
	return m, nil
}

// With returns a copy of m with the events of o replaced.
func (m Matrix) With(o Matrix) Matrix {
	out := make(Matrix, len(m)+len(o))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	for k, v := range o {
		out[k] = slices.Clone(v)
	}
	return out
}

// Channels returns the channels of ev in the stable order of Channels.
func (m Matrix) Channels(ev Event) []Channel {
	var out []Channel
	for _, c := range Channels {
		if slices.Contains(m[ev], c) {
			out = append(out, c)
		}
	}
	return out
}

// Validate checks the matrix against the catalog: every catalogued event
// has a row and every row a catalogued event; a legal notice reaches at
// least one channel that counts as notice (email or SMS), because the inbox
// never does.
func (m Matrix) Validate() error {
	var probs []string
	for _, s := range Specs {
		chans, ok := m[s.Event]
		if !ok || len(chans) == 0 {
			probs = append(probs, fmt.Sprintf("event %s has no channels", s.Event))
			continue
		}
		if s.Category == Legal && !slices.ContainsFunc(chans, Channel.Notice) {
			probs = append(probs, fmt.Sprintf("legal event %s must go by email or sms (the inbox is not notice)", s.Event))
		}
	}
	for ev := range m {
		if _, ok := SpecOf(ev); !ok {
			probs = append(probs, fmt.Sprintf("unknown event %q", ev))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return fmt.Errorf("channel matrix: %s", strings.Join(probs, "; "))
	}
	return nil
}

// Codes are provider SMS template codes by event, optionally by event and
// language: key "event" or "event/lang" (the language-specific one wins).
type Codes map[string]string

// For returns the template code for ev in lang, or "".
func (c Codes) For(ev Event, lang Lang) string {
	if code := c[string(ev)+"/"+string(lang)]; code != "" {
		return code
	}
	return c[string(ev)]
}

// ParseCodes parses SMS template codes written as
// "event=SMS_123456,event/en=SMS_654321".
func ParseCodes(s string) (Codes, error) {
	out := Codes{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, code, ok := strings.Cut(part, "=")
		name, code = strings.TrimSpace(name), strings.TrimSpace(code)
		if !ok || code == "" {
			return nil, fmt.Errorf("sms templates: %q: want event=TEMPLATE_CODE", part)
		}
		ev, lang, hasLang := strings.Cut(name, "/")
		if _, known := SpecOf(Event(ev)); !known {
			return nil, fmt.Errorf("sms templates: unknown event %q", ev)
		}
		if hasLang && !slices.Contains(Langs, Lang(lang)) {
			return nil, fmt.Errorf("sms templates: %q: language must be zh-CN or en", name)
		}
		out[name] = code
	}
	return out, nil
}

// SandboxCodes returns a code for every event and language, for the
// sandbox provider: "YX_<event>_<lang>".
func SandboxCodes() Codes {
	out := Codes{}
	for _, s := range Specs {
		for _, l := range Langs {
			out[string(s.Event)+"/"+string(l)] = "YX_" + string(s.Event) + "_" + string(l)
		}
	}
	return out
}

// Lookup finds the event and language a code was configured for; a code
// configured for all languages reports lang "".
func (c Codes) Lookup(code string) (ev Event, lang Lang, ok bool) {
	for k, v := range c {
		if v == code {
			e, l, _ := strings.Cut(k, "/")
			return Event(e), Lang(l), true
		}
	}
	return "", "", false
}

// CheckCodes reports the events that the matrix sends by SMS but that have
// no provider template code in some language: a start-up error when a
// real SMS provider is configured.
func (m Matrix) CheckCodes(codes Codes) error {
	var missing []string
	for ev, chans := range m {
		if !slices.Contains(chans, SMS) {
			continue
		}
		for _, l := range Langs {
			if codes.For(ev, l) == "" {
				missing = append(missing, string(ev)+"/"+string(l))
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("sms templates: no provider template code for %s", strings.Join(missing, ", "))
	}
	return nil
}
