package social

import (
	"context"
	"io"

	"rounds/storage"
)

// Which profile image SetProfileImage changes.
const (
	ProfileAvatar = "avatar"
	ProfileHeader = "header"
)

// SetProfileImage stores an image me uploaded (checked as UploadMedia
// checks any upload) as their avatar or header and tells the servers of
// their followers with an Update. A nil r removes the image.
func (s *Service) SetProfileImage(ctx context.Context, me *storage.Account, which string, r io.Reader) (*storage.Account, error) {
	col := "avatar_url"
	if which == ProfileHeader {
		col = "header_url"
	} else if which != ProfileAvatar {
		return nil, invalid("image", "must be the avatar or the header")
	}
	url := ""
	if r != nil {
		m, err := s.UploadMedia(ctx, me, r, "")
		if err != nil {
			return nil, err
		}
		url = s.MediaURL(m)
	}
	copied := *me
	if which == ProfileHeader {
		copied.HeaderURL = url
	} else {
		copied.AvatarURL = url
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.UpdateAccount(ctx, &copied, col); err != nil {
			return err
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: copied.ID})
	})
	if err != nil {
		return nil, domainErr(err)
	}
	*me = copied
	return me, nil
}
