package social

import (
	"context"
	"time"

	"rounds/storage"
)

// DirectoryEntry is one verified clinician as the directory page shows
// them: their account, the verification that stands, and when they last
// posted (zero when never).
type DirectoryEntry struct {
	Account      *storage.Account
	Verification *storage.ClinicianVerification
	LastStatusAt time.Time
}

// VerifiedDirectory lists this server's verified clinicians that o selects
// (Verified and Local are implied), as Directory does: those who opted out
// of discovery, suspended, limited, unapproved and disabled accounts are
// never listed.
func (s *Service) VerifiedDirectory(ctx context.Context, viewer *storage.Account, o DirectoryOptions) ([]DirectoryEntry, error) {
	o.Verified, o.Local = true, true
	accts, err := s.Directory(ctx, viewer, o)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	vs, err := s.db.Verifications(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]DirectoryEntry, 0, len(accts))
	for _, a := range accts {
		e := DirectoryEntry{Account: a, Verification: vs[a.ID]}
		if e.LastStatusAt, err = s.db.LastStatusAt(ctx, a.ID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// DirectoryFacets returns the professions, specialties and organisations
// of the directory's clinicians, to filter it by.
func (s *Service) DirectoryFacets(ctx context.Context) (storage.DirectoryFacets, error) {
	return s.db.VerifiedDirectoryFacets(ctx, s.now())
}
