package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// VerifiedFieldName is the name of the profile field that shows a verified
// clinician's registration. Only the server writes it.
const VerifiedFieldName = "Registered"

// Professions an admin may record. Others are refused, so the profile
// badge always reads well.
var Professions = []string{
	"doctor", "nurse", "midwife", "pharmacist", "dentist", "paramedic",
	"physiotherapist", "occupational therapist", "speech and language therapist",
	"dietitian", "radiographer", "psychologist", "social worker", "allied health professional",
	"healthcare scientist", "optometrist",
}

// ClinicianDetails is what an admin confirmed about a clinician.
type ClinicianDetails struct {
	Profession         string
	Regulator          string // "Medical Council of Ireland", "NMBI", "GMC" ...
	RegistrationNumber string
	Organisation       string // the employing organisation
	Specialty          string // "Cardiology", "Emergency medicine" ...; may be empty
	// RecheckAt is when the registration must be checked again; the
	// verification lapses then unless renewed. Zero means one year.
	RecheckAt time.Time
}

func (d *ClinicianDetails) normalise(now time.Time) error {
	d.Profession = strings.ToLower(strings.TrimSpace(d.Profession))
	d.Regulator = strings.TrimSpace(d.Regulator)
	d.RegistrationNumber = strings.TrimSpace(d.RegistrationNumber)
	d.Organisation = strings.TrimSpace(d.Organisation)
	d.Specialty = strings.Join(strings.Fields(d.Specialty), " ")
	known := false
	for _, p := range Professions {
		known = known || p == d.Profession
	}
	switch {
	case !known:
		return invalid("profession", "must be one of: "+strings.Join(Professions, ", "))
	case d.Regulator == "":
		return invalid("regulator", "is needed (for example Medical Council of Ireland, NMBI, CORU, PSI, GMC or NMC)")
	case d.RegistrationNumber == "":
		return invalid("registration_number", "is needed")
	case len(d.Regulator)+len(d.RegistrationNumber) > 200 || len(d.Organisation) > 200:
		return invalid("regulator", "and registration number are too long")
	case len(d.Specialty) > 100:
		return invalid("specialty", "is too long (at most 100 characters)")
	}
	if d.RecheckAt.IsZero() {
		d.RecheckAt = now.AddDate(1, 0, 0)
	}
	if !d.RecheckAt.After(now) {
		return invalid("recheck_at", "must be in the future")
	}
	return nil
}

// verifiedField is the profile field v shows.
func verifiedField(v *storage.ClinicianVerification) ProfileField {
	at := v.VerifiedAt.UTC().Format(time.RFC3339)
	return ProfileField{Name: VerifiedFieldName, Value: plainInline(v.Regulator + " " + v.RegistrationNumber), VerifiedAt: &at}
}

// withVerifiedField returns the account's fields JSON with the server's
// verified field first when v is current, and without it otherwise.
func withVerifiedField(fieldsJSON string, v *storage.ClinicianVerification, now time.Time) (string, error) {
	var fields []ProfileField
	if fieldsJSON != "" {
		if err := json.Unmarshal([]byte(fieldsJSON), &fields); err != nil {
			return "", fmt.Errorf("stored profile fields: %w", err)
		}
	}
	kept := make([]ProfileField, 0, len(fields)+1)
	if v.Current(now) {
		kept = append(kept, verifiedField(v))
	}
	for _, f := range fields {
		if f.VerifiedAt == nil {
			kept = append(kept, f)
		}
	}
	b, err := json.Marshal(kept)
	return string(b), err
}

// userFields drops the server's verified field from fields an app sent back
// unchanged, and refuses a field that tries to add or change it.
func userFields(current string, sent []ProfileField) ([]ProfileField, error) {
	var stored []ProfileField
	_ = json.Unmarshal([]byte(current), &stored)
	var kept []ProfileField
	for _, f := range sent {
		name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
		managed := false
		for _, s := range stored {
			if s.VerifiedAt != nil && s.Name == name && (s.Value == value || s.Value == plainInline(value)) {
				managed = true
			}
		}
		if managed {
			continue
		}
		if strings.EqualFold(strings.TrimRight(name, ": "), VerifiedFieldName) {
			return nil, invalid("fields_attributes", "the “Registered” field is added by this server's admins when they verify your professional registration; you cannot add or change it")
		}
		kept = append(kept, f)
	}
	return kept, nil
}

// VerifyClinician records that an admin confirmed the professional
// registration of the local account accountID. The account's profile then
// carries the verified "Registered" field, which every Mastodon app marks,
// and the change federates as an Update. Verifying again renews it. Staff
// verify (and revoke) only accounts ranked below theirs, never their own.
func (s *Service) VerifyClinician(ctx context.Context, a Actor, accountID int64, d ClinicianDetails, reason string) (*storage.ClinicianVerification, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, err
	}
	now := s.now()
	if err := d.normalise(now); err != nil {
		return nil, err
	}
	var out *storage.ClinicianVerification
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		acct, u, err := moderationTarget(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if !acct.Local() {
			return invalid("", "only accounts on this server can be verified")
		}
		if acct.Moved() {
			return invalid("", "@"+acct.Username+" has moved to "+acct.MovedToURI+"; a moved account shows no verified field")
		}
		if err := a.mayActOn(u); err != nil {
			return err
		}
		v := &storage.ClinicianVerification{
			AccountID: acct.ID, Profession: d.Profession, Regulator: d.Regulator,
			RegistrationNumber: d.RegistrationNumber, Organisation: d.Organisation, Specialty: d.Specialty,
			VerifiedByAccountID: a.accountID(), VerifiedBy: a.Label(),
			VerifiedAt: now, RecheckAt: d.RecheckAt.UTC(), UpdatedAt: now,
		}
		if err := tx.PutVerification(ctx, v); err != nil {
			return err
		}
		if err := s.setVerifiedField(ctx, tx, acct, v); err != nil {
			return err
		}
		if s.jobs != nil {
			at := v.RecheckAt
			if err := s.jobs.InsertTx(ctx, tx, RecheckArgs{AccountID: acct.ID}, &river.InsertOpts{ScheduledAt: at}); err != nil {
				return err
			}
		}
		out = v
		e := accountAudit("verify_clinician", acct, reason)
		e.detail = map[string]any{"profession": v.Profession, "regulator": v.Regulator,
			"registration_number": v.RegistrationNumber, "organisation": v.Organisation, "specialty": v.Specialty,
			"recheck_at": v.RecheckAt.Format(time.RFC3339)}
		return s.appendAudit(ctx, tx, a, e)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// RevokeVerification withdraws a clinician's verification: the field goes
// from the profile everywhere.
func (s *Service) RevokeVerification(ctx context.Context, a Actor, accountID int64, reason string) error {
	if err := a.require(PermManageAccounts); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		acct, u, err := moderationTarget(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.mayActOn(u); err != nil {
			return err
		}
		v, err := tx.Verification(ctx, accountID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && v.RevokedAt != nil) {
			return invalid("", "@"+acct.Username+" is not verified")
		}
		if err != nil {
			return err
		}
		now := s.now()
		v.RevokedAt, v.RevokedBy, v.UpdatedAt = &now, a.Label(), now
		if err := tx.UpdateVerification(ctx, v, "revoked_at", "revoked_by", "updated_at"); err != nil {
			return err
		}
		if err := s.setVerifiedField(ctx, tx, acct, v); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, accountAudit("revoke_verification", acct, reason))
	})
	return domainErr(err)
}

// Verification returns the clinician verification of accountID; nil when
// there is none. Callers check Current.
func (s *Service) Verification(ctx context.Context, accountID int64) (*storage.ClinicianVerification, error) {
	v, err := s.db.Verification(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// setVerifiedField rewrites acct's fields for v and tells other servers
// when they changed.
func (s *Service) setVerifiedField(ctx context.Context, tx storage.Tx, acct *storage.Account, v *storage.ClinicianVerification) error {
	fields, err := withVerifiedField(acct.Fields, badgeOf(acct, v), s.now())
	if err != nil {
		return err
	}
	if fields == acct.Fields {
		return nil
	}
	acct.Fields = fields
	acct.UpdatedAt = s.now()
	if err := tx.UpdateAccount(ctx, acct, "fields"); err != nil {
		return err
	}
	return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: acct.ID})
}

// RecheckArgs is the job that runs at a verification's re-check date: if
// it has not been renewed by then, the verified field goes.
type RecheckArgs struct {
	AccountID int64 `json:"account_id,string"`
}

// Kind names the job kind.
func (RecheckArgs) Kind() string { return "verification_recheck" }

type recheckWorker struct {
	river.WorkerDefaults[RecheckArgs]
	s *Service
}

// recheckActor is who lapsed a verification in the audit log.
var recheckActor = Actor{name: "Rounds (re-check date passed)"}

func (w *recheckWorker) Work(ctx context.Context, job *river.Job[RecheckArgs]) error {
	s := w.s
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		v, err := tx.Verification(ctx, job.Args.AccountID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if v.Current(s.now()) || v.RevokedAt != nil {
			return nil // renewed (a later job checks again) or already gone
		}
		acct, err := tx.AccountByID(ctx, v.AccountID)
		if err != nil {
			return err
		}
		before := acct.Fields
		if err := s.setVerifiedField(ctx, tx, acct, v); err != nil {
			return err
		}
		if acct.Fields == before {
			return nil
		}
		return s.appendAudit(ctx, tx, recheckActor, accountAudit("verification_lapsed", acct, "the re-check date passed without renewal"))
	})
	return err
}
