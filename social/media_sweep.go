package social

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MediaSweepAge is how old a file in the media folder must be before the
// sweep at start may remove it: an upload in another process serving the
// same data folder writes its file a moment before its row.
const MediaSweepAge = 10 * time.Minute

// SweepMediaDir removes what a process killed mid-upload left in the media
// folder: temporary upload files, and image files that no media row names
// (written, but the row never committed). Only files older than olderThan
// are touched. It returns how many files it removed.
func (s *Service) SweepMediaDir(ctx context.Context, olderThan time.Duration) (int, error) {
	dir := s.MediaDir()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	var candidates []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		switch name := e.Name(); {
		case strings.HasPrefix(name, ".upload-"):
			if os.Remove(filepath.Join(dir, name)) == nil {
				removed++
			}
		case mediaFileName.MatchString(name) || legacyMediaName.MatchString(name):
			candidates = append(candidates, name)
		}
	}
	known, err := s.db.MediaFileNamesKnown(ctx, candidates)
	if err != nil {
		return removed, err
	}
	for _, name := range candidates {
		if !known[name] && os.Remove(filepath.Join(dir, name)) == nil {
			removed++
		}
	}
	return removed, nil
}
