package social_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func staffUser(t *testing.T, s *social.Service, name, role string) *storage.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func fieldsOf(t *testing.T, s *social.Service, id int64) []social.ProfileField {
	t.Helper()
	a, err := s.AccountByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var fs []social.ProfileField
	if err := json.Unmarshal([]byte(a.Fields), &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

func auditActions(t *testing.T, s *social.Service, targetID int64) []string {
	t.Helper()
	entries, err := s.AuditLog(context.Background(), social.CommandLine, storage.AuditFilter{TargetType: "account", TargetID: idStr(targetID)}, storage.Page{Limit: 80})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Actor+":"+entries[i].Action)
	}
	return out
}

func idStr(id int64) string { return strings.TrimSpace(jsonNumber(id)) }

func jsonNumber(id int64) string { b, _ := json.Marshal(id); return string(b) }

// A verified clinician carries the server's "Registered" field with
// verified_at; the clinician cannot fake or change it but keeps it when an
// app sends it back; revoking or passing the re-check date removes it.
func TestClinicianVerificationFieldIsTheServersAlone(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
		s := newService(t, dialect, clk.now)
		admin := staffUser(t, s, "it_admin", social.RoleAdmin)
		mod := staffUser(t, s, "mod", social.RoleModerator)
		doc := staffUser(t, s, "dr_aoife", social.RoleUser)
		nurse := staffUser(t, s, "nurse_ciara", social.RoleUser)
		if _, err := s.UpdateProfile(ctx, doc.Account, social.ProfileUpdate{Fields: &[]social.ProfileField{{Name: "Speciality", Value: "Geriatrics"}}}); err != nil {
			t.Fatal(err)
		}

		details := social.ClinicianDetails{Profession: "Doctor", Regulator: "Medical Council of Ireland", RegistrationNumber: "123456", Organisation: "St James's Hospital", RecheckAt: clk.now().Add(30 * 24 * time.Hour)}
		if _, err := s.VerifyClinician(ctx, social.StaffActor(mod), doc.AccountID, details, ""); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a moderator verifying: %v, want ErrForbidden", err)
		}
		if _, err := s.VerifyClinician(ctx, social.StaffActor(nurse), doc.AccountID, details, ""); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a user verifying: %v, want ErrForbidden", err)
		}
		bad := details
		bad.Profession = "wizard"
		if _, err := s.VerifyClinician(ctx, social.StaffActor(admin), doc.AccountID, bad, ""); err == nil || !strings.Contains(err.Error(), "profession") {
			t.Fatalf("unknown profession: %v", err)
		}
		if _, err := s.VerifyClinician(ctx, social.StaffActor(admin), doc.AccountID, details, "checked the register"); err != nil {
			t.Fatal(err)
		}
		fs := fieldsOf(t, s, doc.AccountID)
		if len(fs) != 2 || fs[0].Name != "Registered" || fs[0].Value != "Medical Council of Ireland 123456" || fs[0].VerifiedAt == nil || fs[1].Name != "Speciality" {
			t.Fatalf("fields after verifying = %+v", fs)
		}

		// The clinician cannot add or change the field ...
		for _, try := range [][]social.ProfileField{
			{{Name: "Registered", Value: "Medical Council of Ireland 999999"}},
			{{Name: "registered:", Value: "GMC 1234567"}},
		} {
			_, err := s.UpdateProfile(ctx, doc.Account, social.ProfileUpdate{Fields: &try})
			var ve *social.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), "admins") {
				t.Fatalf("faking %+v: %v, want a clear validation error", try, err)
			}
		}
		// ... nor can another clinician claim it.
		fake := []social.ProfileField{{Name: "Registered", Value: "NMBI 55555"}}
		if _, err := s.UpdateProfile(ctx, nurse.Account, social.ProfileUpdate{Fields: &fake}); err == nil {
			t.Fatal("an unverified clinician added a Registered field")
		}
		// An app sending back every field unchanged keeps the verification.
		acct, _ := s.AccountByID(ctx, doc.AccountID)
		sent := append([]social.ProfileField(nil), fs...)
		sent[1].Value = "Geriatric medicine"
		if _, err := s.UpdateProfile(ctx, acct, social.ProfileUpdate{Fields: &sent}); err != nil {
			t.Fatalf("sending the fields back: %v", err)
		}
		fs = fieldsOf(t, s, doc.AccountID)
		if len(fs) != 2 || fs[0].VerifiedAt == nil || fs[1].Value != "Geriatric medicine" {
			t.Fatalf("fields after an app saved them = %+v", fs)
		}

		// The re-check job does nothing before the date, and removes the
		// field after it.
		if err := social.RunRecheck(ctx, s, doc.AccountID); err != nil {
			t.Fatal(err)
		}
		if fs = fieldsOf(t, s, doc.AccountID); fs[0].VerifiedAt == nil {
			t.Fatal("the re-check removed a current verification")
		}
		clk.add(31 * 24 * time.Hour)
		if err := social.RunRecheck(ctx, s, doc.AccountID); err != nil {
			t.Fatal(err)
		}
		if fs = fieldsOf(t, s, doc.AccountID); len(fs) != 1 || fs[0].Name != "Speciality" {
			t.Fatalf("fields after the re-check date passed = %+v", fs)
		}

		// Renewing brings it back; revoking removes it.
		details.RecheckAt = clk.now().Add(365 * 24 * time.Hour)
		if _, err := s.VerifyClinician(ctx, social.CommandLine, doc.AccountID, details, "renewed"); err != nil {
			t.Fatal(err)
		}
		if fs = fieldsOf(t, s, doc.AccountID); len(fs) != 2 || fs[0].VerifiedAt == nil {
			t.Fatalf("fields after renewal = %+v", fs)
		}
		if err := s.RevokeVerification(ctx, social.StaffActor(admin), doc.AccountID, "left the register"); err != nil {
			t.Fatal(err)
		}
		if fs = fieldsOf(t, s, doc.AccountID); len(fs) != 1 {
			t.Fatalf("fields after revoking = %+v", fs)
		}
		if err := s.RevokeVerification(ctx, social.StaffActor(admin), doc.AccountID, ""); err == nil {
			t.Fatal("revoking twice succeeded")
		}

		got := auditActions(t, s, doc.AccountID)
		want := []string{"@it_admin:verify_clinician", "Rounds (re-check date passed):verification_lapsed", "command line:verify_clinician", "@it_admin:revoke_verification"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("audit log = %v, want %v", got, want)
		}
	})
}

// Moderators warn, limit and suspend; only admins approve, disable, delete
// and change roles; nobody acts on their own or a higher role; a suspended
// admin can do nothing.
func TestAccountActionsFollowRoles(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		owner := staffUser(t, s, "owner", social.RoleOwner)
		admin := staffUser(t, s, "admin", social.RoleAdmin)
		mod := staffUser(t, s, "mod", social.RoleModerator)
		user := staffUser(t, s, "user", social.RoleUser)
		target := staffUser(t, s, "target", social.RoleUser)
		m, a, o := social.StaffActor(mod), social.StaffActor(admin), social.StaffActor(owner)

		mustForbid := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, social.ErrForbidden) {
				t.Fatalf("%s: %v, want ErrForbidden", what, err)
			}
		}
		mustOK := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		mustForbid("user warns", s.TakeAction(ctx, social.StaffActor(user), target.AccountID, social.AccountAction{Type: social.ActionWarn}))
		mustForbid("moderator disables", s.TakeAction(ctx, m, target.AccountID, social.AccountAction{Type: social.ActionDisable}))
		mustForbid("moderator deletes", s.DeleteAccount(ctx, m, target.AccountID, ""))
		mustForbid("moderator sets a role", s.SetRole(ctx, m, target.AccountID, social.RoleModerator, ""))
		mustForbid("moderator suspends an admin", s.TakeAction(ctx, m, admin.AccountID, social.AccountAction{Type: social.ActionSuspend}))
		mustForbid("admin makes an admin", s.SetRole(ctx, a, target.AccountID, social.RoleAdmin, ""))
		mustForbid("admin demotes the owner", s.SetRole(ctx, a, owner.AccountID, social.RoleUser, ""))

		mustOK("moderator warns", s.TakeAction(ctx, m, target.AccountID, social.AccountAction{Type: social.ActionWarn, Text: "patient photo"}))
		mustOK("moderator limits", s.TakeAction(ctx, m, target.AccountID, social.AccountAction{Type: social.ActionSilence, Text: "again"}))
		mustOK("moderator lifts the limit", s.Unsilence(ctx, m, target.AccountID, ""))
		mustOK("moderator suspends", s.TakeAction(ctx, m, target.AccountID, social.AccountAction{Type: social.ActionSuspend, Text: "third time"}))
		if _, err := s.SignIn(ctx, "target", "a long password", "test"); !errors.Is(err, social.ErrLoginDisabled) {
			t.Fatalf("a suspended user signing in: %v, want ErrLoginDisabled", err)
		}
		mustOK("moderator unsuspends", s.Unsuspend(ctx, m, target.AccountID, "appeal upheld"))
		mustOK("admin disables", s.TakeAction(ctx, a, target.AccountID, social.AccountAction{Type: social.ActionDisable}))
		mustOK("admin enables", s.Enable(ctx, a, target.AccountID, ""))
		mustOK("admin makes a moderator", s.SetRole(ctx, a, target.AccountID, social.RoleModerator, "new moderator"))
		mustOK("owner makes an admin", s.SetRole(ctx, o, target.AccountID, social.RoleAdmin, ""))
		if err := s.SetRole(ctx, social.CommandLine, owner.AccountID, social.RoleUser, ""); err == nil {
			t.Fatal("the only owner was demoted")
		}

		// A suspended admin can do nothing.
		mustOK("owner suspends the admin", s.TakeAction(ctx, o, admin.AccountID, social.AccountAction{Type: social.ActionSuspend}))
		admin, _ = s.UserByUsername(ctx, "admin")
		mustForbid("suspended admin warns", s.TakeAction(ctx, social.StaffActor(admin), user.AccountID, social.AccountAction{Type: social.ActionWarn}))
		if _, err := s.AuditLog(ctx, social.StaffActor(admin), storage.AuditFilter{}, storage.Page{}); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("suspended admin reads the audit log: %v", err)
		}
		if _, err := s.AuditLog(ctx, m, storage.AuditFilter{}, storage.Page{}); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("moderator reads the audit log: %v", err)
		}

		got := auditActions(t, s, target.AccountID)
		want := []string{"@mod:warn", "@mod:limit", "@mod:unlimit", "@mod:suspend", "@mod:unsuspend", "@admin:disable", "@admin:enable", "@admin:change_role", "@owner:change_role"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("audit log = %v\nwant %v", got, want)
		}
		ws, err := s.Warnings(ctx, target.AccountID)
		if err != nil || len(ws) != 4 || ws[len(ws)-1].Text != "patient photo" {
			t.Fatalf("warnings = %+v, %v", ws, err)
		}
	})
}

// Reports: a user reports an account and its post; a moderator assigns,
// resolves and reopens it; a plain user cannot see reports.
func TestReportsAreFiledAndHandledByModerators(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		mod := staffUser(t, s, "mod", social.RoleModerator)
		reporter := staffUser(t, s, "reporter", social.RoleUser)
		target := staffUser(t, s, "target", social.RoleUser)
		st, err := s.PostStatus(ctx, target.Account, social.NewStatus{Text: "something regrettable", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Report(ctx, reporter.Account, social.NewReport{TargetAccountID: reporter.AccountID}); err == nil {
			t.Fatal("reporting yourself succeeded")
		}
		other, _ := s.PostStatus(ctx, reporter.Account, social.NewStatus{Text: "mine", Visibility: social.VisibilityPublic})
		if _, err := s.Report(ctx, reporter.Account, social.NewReport{TargetAccountID: target.AccountID, StatusIDs: []int64{other.ID}}); err == nil {
			t.Fatal("a report naming someone else's post succeeded")
		}
		r, err := s.Report(ctx, reporter.Account, social.NewReport{TargetAccountID: target.AccountID, StatusIDs: []int64{st.ID}, Comment: "identifies a patient", Category: "violation"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reports(ctx, social.StaffActor(reporter), storage.ReportFilter{}, storage.Page{}); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a user listing reports: %v", err)
		}
		open, err := s.Reports(ctx, social.StaffActor(mod), storage.ReportFilter{}, storage.Page{})
		if err != nil || len(open) != 1 || open[0].ID != r.ID || open[0].TargetAccount.Username != "target" {
			t.Fatalf("open reports = %+v, %v", open, err)
		}
		if r, err = s.AssignReport(ctx, social.StaffActor(mod), r.ID, true); err != nil || r.AssignedAccountID == nil || *r.AssignedAccountID != mod.AccountID {
			t.Fatalf("assign: %+v %v", r, err)
		}
		// Acting on the account with the report resolves it.
		if err := s.TakeAction(ctx, social.StaffActor(mod), target.AccountID, social.AccountAction{Type: social.ActionWarn, Text: "remove it", ReportID: r.ID}); err != nil {
			t.Fatal(err)
		}
		if r, _ = s.ReportByID(ctx, social.StaffActor(mod), r.ID); r.ActionTakenAt == nil {
			t.Fatal("the action did not resolve the report")
		}
		if _, err := s.ResolveReport(ctx, social.StaffActor(mod), r.ID, ""); err == nil {
			t.Fatal("resolving a resolved report succeeded")
		}
		if r, err = s.ReopenReport(ctx, social.StaffActor(mod), r.ID, "not finished"); err != nil || r.ActionTakenAt != nil {
			t.Fatalf("reopen: %v", err)
		}
		if r, err = s.ResolveReport(ctx, social.StaffActor(mod), r.ID, "done"); err != nil || r.ActionTakenAt == nil {
			t.Fatalf("resolve: %v", err)
		}
		entries, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{TargetType: "report"}, storage.Page{})
		if err != nil || len(entries) != 3 {
			t.Fatalf("report audit entries = %d, %v", len(entries), err)
		}
	})
}

// The optional "Views: my own" field comes and goes on request, beside the
// clinician's own fields and the verified one.
func TestViewsMyOwnField(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		u := staffUser(t, s, "dr_eimear", social.RoleUser)
		if _, err := s.VerifyClinician(ctx, social.CommandLine, u.AccountID, social.ClinicianDetails{Profession: "midwife", Regulator: "NMBI", RegistrationNumber: "998877"}, ""); err != nil {
			t.Fatal(err)
		}
		on, off := true, false
		acct, _ := s.AccountByID(ctx, u.AccountID)
		if _, err := s.UpdateProfile(ctx, acct, social.ProfileUpdate{ViewsMyOwn: &on}); err != nil {
			t.Fatal(err)
		}
		fs := fieldsOf(t, s, u.AccountID)
		if len(fs) != 2 || fs[0].Name != "Registered" || fs[1].Name != "Views" || fs[1].Value != social.ViewsFieldValue {
			t.Fatalf("fields with views on = %+v", fs)
		}
		acct, _ = s.AccountByID(ctx, u.AccountID)
		four := []social.ProfileField{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}, {Name: "d", Value: "4"}}
		if _, err := s.UpdateProfile(ctx, acct, social.ProfileUpdate{Fields: &four, ViewsMyOwn: &on}); err == nil {
			t.Fatal("a fifth field was added")
		}
		if _, err := s.UpdateProfile(ctx, acct, social.ProfileUpdate{ViewsMyOwn: &off}); err != nil {
			t.Fatal(err)
		}
		if fs = fieldsOf(t, s, u.AccountID); len(fs) != 1 || fs[0].Name != "Registered" {
			t.Fatalf("fields with views off = %+v", fs)
		}
	})
}

// A limited account's mentions reach only those who follow it.
func TestLimitedAccountMentionsReachOnlyFollowers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		loud := staffUser(t, s, "loud", social.RoleUser)
		fan := staffUser(t, s, "fan", social.RoleUser)
		other := staffUser(t, s, "other", social.RoleUser)
		if _, err := s.Follow(ctx, fan.Account, loud.Account); err != nil {
			t.Fatal(err)
		}
		if err := s.TakeAction(ctx, social.CommandLine, loud.AccountID, social.AccountAction{Type: social.ActionSilence}); err != nil {
			t.Fatal(err)
		}
		loudAcct, _ := s.AccountByID(ctx, loud.AccountID)
		if _, err := s.PostStatus(ctx, loudAcct, social.NewStatus{Text: "@fan @other buy my course", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		count := func(u *storage.User) int {
			ns, err := s.Notifications(ctx, u.Account, nil, nil, storage.Page{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range ns {
				if x.Type == social.NotifyMention {
					n++
				}
			}
			return n
		}
		if count(fan) != 1 || count(other) != 0 {
			t.Fatalf("mentions: follower %d (want 1), stranger %d (want 0)", count(fan), count(other))
		}
	})
}

// An edit's mentions and hashtags replace the old ones.
func TestEditReplacesMentionsAndHashtags(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		author := staffUser(t, s, "author", social.RoleUser)
		staffUser(t, s, "first", social.RoleUser)
		second := staffUser(t, s, "second", social.RoleUser)
		st, err := s.PostStatus(ctx, author.Account, social.NewStatus{Text: "@first see #cardiology", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EditStatus(ctx, author.Account, st.ID, social.NewStatus{Text: "@second see #nephrology"}); err != nil {
			t.Fatal(err)
		}
		x, err := s.StatusExtras(ctx, nil, []*storage.Status{st})
		if err != nil {
			t.Fatal(err)
		}
		if tags := x.Tags[st.ID]; len(tags) != 1 || tags[0] != "nephrology" {
			t.Fatalf("tags after the edit = %v", tags)
		}
		if ms := x.Mentions[st.ID]; len(ms) != 1 || ms[0].ID != second.AccountID {
			t.Fatalf("mentions after the edit = %v", ms)
		}
		old, err := s.PublicTimeline(ctx, true, false, "cardiology", storage.Page{})
		if err != nil || len(old) != 0 {
			t.Fatalf("the old tag's timeline = %d posts, %v", len(old), err)
		}
		now, err := s.PublicTimeline(ctx, true, false, "nephrology", storage.Page{})
		if err != nil || len(now) != 1 {
			t.Fatalf("the new tag's timeline = %d posts, %v", len(now), err)
		}
	})
}
