package social

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"rounds/storage"
)

// Profile limits, as Mastodon's.
const (
	MaxDisplayName = 30
	MaxNote        = 500
	MaxFields      = 4
	MaxFieldLength = 255
)

// ProfileField is a name and value shown on a profile.
type ProfileField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// VerifiedAt is set only by the server (a verified clinician's
	// registration, for example); a user's own fields never carry it.
	VerifiedAt *string `json:"verified_at"`
}

// ProfileUpdate changes the given parts of a profile; nil leaves a part as
// it is.
type ProfileUpdate struct {
	DisplayName  *string
	Note         *string // plain text
	Locked       *bool
	Discoverable *bool
	// Indexable lets full-text search find the account's public posts.
	Indexable *bool
	Fields    *[]ProfileField
	// ViewsMyOwn adds (true) or removes (false) the "Views: my own" field
	// that tells readers the clinician speaks for themselves.
	ViewsMyOwn *bool
}

// The field a clinician may add to say they speak for themselves.
const (
	ViewsFieldName  = "Views"
	ViewsFieldValue = "My own, not my employer's"
)

// setViewsField adds or removes the "Views: my own" field in fieldsJSON.
func setViewsField(fieldsJSON string, on bool) (string, error) {
	var fields []ProfileField
	_ = json.Unmarshal([]byte(fieldsJSON), &fields)
	kept := fields[:0]
	user := 0
	for _, f := range fields {
		if f.Name == ViewsFieldName && f.Value == ViewsFieldValue {
			continue
		}
		if f.VerifiedAt == nil {
			user++
		}
		kept = append(kept, f)
	}
	if on {
		if user >= MaxFields {
			return "", invalid("fields_attributes", "are full (4 fields); remove one to add “Views: my own”")
		}
		kept = append(kept, ProfileField{Name: ViewsFieldName, Value: ViewsFieldValue})
	}
	b, err := json.Marshal(kept)
	if len(kept) == 0 {
		b = []byte("[]")
	}
	return string(b), err
}

// UpdateProfile changes me's profile and tells the servers of me's
// followers with an Update.
func (s *Service) UpdateProfile(ctx context.Context, me *storage.Account, in ProfileUpdate) (*storage.Account, error) {
	// Work on a copy: a refused change leaves the caller's account as it was.
	copied := *me
	cp := &copied
	var cols []string
	if in.DisplayName != nil {
		name := strings.TrimSpace(*in.DisplayName)
		if utf8.RuneCountInString(name) > MaxDisplayName {
			return nil, invalid("display_name", "is too long (at most 30 characters)")
		}
		cp.DisplayName = name
		cols = append(cols, "display_name")
	}
	if in.Note != nil {
		if utf8.RuneCountInString(*in.Note) > MaxNote {
			return nil, invalid("note", "is too long (at most 500 characters)")
		}
		cp.Note = plainToHTML(*in.Note)
		cols = append(cols, "note")
	}
	if in.Locked != nil {
		cp.Locked = *in.Locked
		cols = append(cols, "locked")
	}
	if in.Discoverable != nil {
		cp.Discoverable = *in.Discoverable
		cols = append(cols, "discoverable")
	}
	if in.Indexable != nil {
		cp.Indexable = *in.Indexable
		cols = append(cols, "indexable")
	}
	if in.Fields != nil {
		fields, err := userFields(cp.Fields, *in.Fields)
		if err != nil {
			return nil, err
		}
		if len(fields) > MaxFields {
			return nil, invalid("fields_attributes", "may hold at most 4 fields")
		}
		var kept []ProfileField
		for _, f := range fields {
			name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
			if name == "" && value == "" {
				continue
			}
			if utf8.RuneCountInString(name) > MaxFieldLength || utf8.RuneCountInString(value) > MaxFieldLength {
				return nil, invalid("fields_attributes", "names and values may be at most 255 characters")
			}
			kept = append(kept, ProfileField{Name: name, Value: plainInline(value)})
		}
		b, _ := json.Marshal(kept)
		if kept == nil {
			b = []byte("[]")
		}
		v, err := s.Verification(ctx, cp.ID)
		if err != nil {
			return nil, err
		}
		if cp.Fields, err = withVerifiedField(string(b), badgeOf(cp, v), s.now()); err != nil {
			return nil, err
		}
		cols = append(cols, "fields")
	}
	if in.ViewsMyOwn != nil {
		f, err := setViewsField(cp.Fields, *in.ViewsMyOwn)
		if err != nil {
			return nil, err
		}
		cp.Fields = f
		if !slices.Contains(cols, "fields") {
			cols = append(cols, "fields")
		}
	}
	if len(cols) == 0 {
		return me, nil
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.UpdateAccount(ctx, cp, cols...); err != nil {
			return err
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: cp.ID})
	})
	if err != nil {
		return nil, domainErr(err)
	}
	*me = *cp
	return me, nil
}

// plainInline escapes text for HTML without adding paragraphs.
func plainInline(s string) string {
	h := plainToHTML(s)
	h = strings.TrimPrefix(h, "<p>")
	return strings.TrimSuffix(h, "</p>")
}
