package social

import (
	"context"
	"errors"
	"time"

	"rounds/storage"
)

// SignatureStyle returns the HTTP signature style domain accepted last
// ("rfc9421" or "cavage") and when that was learned; "" when nothing is
// known.
func (s *Service) SignatureStyle(ctx context.Context, domain string) (string, time.Time, error) {
	st, err := s.db.SignatureStyleOf(ctx, domain)
	if errors.Is(err, storage.ErrNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	return st.Style, st.UpdatedAt, nil
}

// SetSignatureStyle records the HTTP signature style domain accepted.
func (s *Service) SetSignatureStyle(ctx context.Context, domain, style string) error {
	return s.db.PutSignatureStyle(ctx, &storage.SignatureStyle{Domain: domain, Style: style, UpdatedAt: s.now()})
}
