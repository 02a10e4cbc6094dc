package social

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"rounds/social/guard"
	"rounds/storage"
)

// Registration modes.
const (
	// RegistrationsClosed: only admins create accounts (the default).
	RegistrationsClosed = "closed"
	// RegistrationsInvite: people with a valid invite link sign up.
	RegistrationsInvite = "invite"
	// RegistrationsApproval: anyone applies with a reason; an admin approves.
	RegistrationsApproval = "approval"
)

// Patient-identifier guard policies.
const (
	GuardBlock = "block" // a flagged post is refused (the default)
	GuardWarn  = "warn"  // refused, but the web form may post it anyway
	GuardOff   = "off"
)

// Federation modes.
const (
	FederationOpen      = "open"      // every domain not blocked federates
	FederationAllowlist = "allowlist" // only listed domains federate
)

// IdentifierPattern is an admin-configured hospital record number rule.
type IdentifierPattern struct {
	Label  string `json:"label"`
	Regexp string `json:"regexp"`
}

// Settings are the server settings an admin changes at run time. The zero
// value of a field means its default.
type Settings struct {
	RegistrationsMode     string              `json:"registrations_mode"`
	RequireStaffTwoFactor bool                `json:"require_staff_two_factor"`
	GuardPolicy           string              `json:"guard_policy"`
	GuardPatterns         []IdentifierPattern `json:"guard_patterns"`
	// SendDelay is how long a new post waits, seen only by its author,
	// before it is published: nil means DefaultSendDelay; users may choose
	// their own.
	SendDelay      *Duration `json:"send_delay,omitempty"`
	FederationMode string    `json:"federation_mode"`
	// Rules are the server's rules, shown on its start page, in sign-up
	// and in the instance API; nil means DefaultRules.
	Rules []string `json:"rules,omitempty"`
	// The tone check before replies and mentions (tone_policy.go).
	ToneSettings
	// QuestionTag is the hashtag (without #) that marks a post to a
	// clinician as a question, besides a question mark; "" for none
	// (questions.go).
	QuestionTag string `json:"question_tag,omitempty"`
}

// DefaultRules are the rules of a Rounds server until its admins write
// their own.
var DefaultRules = []string{
	"One account per clinician, in their own name. No shared or team accounts.",
	"Never post anything that could identify a patient: names, numbers, dates of birth, images or rare details. Posts carrying patient identifiers are stopped before they leave.",
	"Say when you speak for yourself and when for your employer; declare your interests.",
	"Be courteous to colleagues, patients and the public. No harassment, no hate.",
	"Health advice here is general: it is not a consultation.",
}

// ServerRules returns the rules in force.
func (st Settings) ServerRules() []string {
	if st.Rules == nil {
		return DefaultRules
	}
	return st.Rules
}

// Duration is a time.Duration stored as text ("30s").
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (st *Settings) fillDefaults() {
	st.QuestionTag = strings.TrimPrefix(strings.TrimSpace(st.QuestionTag), "#")
	if st.RegistrationsMode == "" {
		st.RegistrationsMode = RegistrationsClosed
	}
	if st.GuardPolicy == "" {
		st.GuardPolicy = GuardBlock
	}
	if st.FederationMode == "" {
		st.FederationMode = FederationOpen
	}
	if st.TonePolicy == "" {
		st.TonePolicy = ToneAsk
	}
}

func (st *Settings) validate() error {
	switch st.RegistrationsMode {
	case RegistrationsClosed, RegistrationsInvite, RegistrationsApproval:
	default:
		return invalid("registrations_mode", "must be closed, invite or approval")
	}
	switch st.GuardPolicy {
	case GuardBlock, GuardWarn, GuardOff:
	default:
		return invalid("guard_policy", "must be block, warn or off")
	}
	switch st.FederationMode {
	case FederationOpen, FederationAllowlist:
	default:
		return invalid("federation_mode", "must be open or allowlist")
	}
	if st.SendDelay != nil && (*st.SendDelay < 0 || time.Duration(*st.SendDelay) > MaxSendDelay) {
		return invalid("send_delay", "must be between 0 and 15 minutes")
	}
	if len(st.Rules) > 20 {
		return invalid("rules", "may be at most 20")
	}
	for _, r := range st.Rules {
		if strings.TrimSpace(r) == "" || len(r) > 500 {
			return invalid("rules", "must each be between 1 and 500 characters")
		}
	}
	if err := st.ToneSettings.validate(); err != nil {
		return err
	}
	if err := validQuestionTag(st.QuestionTag); err != nil {
		return err
	}
	if _, err := guard.New(guard.Options{Patterns: guardPatterns(st.GuardPatterns)}); err != nil {
		return invalid("guard_patterns", err.Error())
	}
	return nil
}

// settingsKey is the one row the settings live in.
const settingsKey = "settings"

// settingsTTL bounds how stale another process's cached settings may be.
const settingsTTL = 5 * time.Second

type settingsCache struct {
	mu     sync.Mutex
	value  Settings
	loaded time.Time
}

// Settings returns the server settings, with defaults filled in.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	c := &s.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded.IsZero() && time.Since(c.loaded) < settingsTTL {
		return c.value, nil
	}
	m, err := s.db.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	var st Settings
	if raw, ok := m[settingsKey]; ok {
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return Settings{}, fmt.Errorf("stored settings: %w", err)
		}
	}
	st.fillDefaults()
	c.value, c.loaded = st, time.Now()
	return st, nil
}

// UpdateSettings changes the settings through change, checks the result and
// stores it, leaving an entry in the audit log. Only admins may.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, change func(*Settings)) (Settings, error) {
	if err := a.require(PermManageSettings); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		m, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		var before Settings
		if raw, ok := m[settingsKey]; ok {
			if err := json.Unmarshal([]byte(raw), &before); err != nil {
				return fmt.Errorf("stored settings: %w", err)
			}
		}
		before.fillDefaults()
		after := before
		after.GuardPatterns = append([]IdentifierPattern(nil), before.GuardPatterns...)
		after.ToneFlagWords = append([]string(nil), before.ToneFlagWords...)
		after.ToneAllowWords = append([]string(nil), before.ToneAllowWords...)
		change(&after)
		after.fillDefaults()
		if err := after.validate(); err != nil {
			return err
		}
		b, err := json.Marshal(after)
		if err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, settingsKey, string(b), s.now()); err != nil {
			return err
		}
		out = after
		return s.appendAudit(ctx, tx, a, audit{action: "update_settings", targetType: "settings",
			target: "server settings", detail: map[string]any{"before": before, "after": after}})
	})
	if err != nil {
		return Settings{}, domainErr(err)
	}
	c := &s.settings
	c.mu.Lock()
	c.value, c.loaded = out, time.Now()
	c.mu.Unlock()
	return out, nil
}
