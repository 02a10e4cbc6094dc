package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"rounds/internal/progress"
	"rounds/storage"
)

func init() {
	adminGroups["backup"] = backupCommand
	adminGroups["restore"] = restoreCommand
}

// backupManifest is the first file of a backup archive.
type backupManifest struct {
	Format    string    `json:"format"` // always backupFormat
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Domain    string    `json:"domain"`
	// Database is "sqlite" (a VACUUM INTO copy) or "postgres" (a pg_dump
	// custom-format dump); DatabaseFile is its name in the archive.
	Database       string `json:"database"`
	DatabaseFile   string `json:"database_file"`
	DatabaseBytes  int64  `json:"database_bytes"`
	DatabaseSHA256 string `json:"database_sha256"`
	MediaFiles     int    `json:"media_files"`
	MediaBytes     int64  `json:"media_bytes"`
}

const (
	backupFormat     = "rounds-backup"
	backupVersion    = 1
	backupSQLiteFile = "database/rounds.db"
	backupPGFile     = "database/rounds.pgdump"
)

// backupCommand runs `rounds admin backup --to FILE`: the database and the
// media files, while the server goes on serving, in one tar.gz.
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var to string
	cfg, err := parseCommand("admin backup", args, stderr, getenv, false, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the backup file to write (a .tar.gz); it must not exist")
	})
	if err != nil {
		return err
	}
	if to == "" {
		return &usageError{"admin backup: --to FILE is required"}
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file", to)
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(to), ".rounds-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)

	m := backupManifest{Format: backupFormat, Version: backupVersion, CreatedAt: time.Now().UTC(), Domain: cfg.Domain}
	var dump string
	fmt.Fprintln(stderr, "Copying the database ...")
	if db.Dialect() == storage.SQLite {
		m.Database, m.DatabaseFile = "sqlite", backupSQLiteFile
		dump = filepath.Join(tmp, "rounds.db")
		err = db.VacuumInto(ctx, dump)
	} else {
		m.Database, m.DatabaseFile = "postgres", backupPGFile
		dump = filepath.Join(tmp, "rounds.pgdump")
		err = pgTool(ctx, "pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file="+dump, "--dbname="+cfg.Database)
	}
	if err != nil {
		return err
	}
	if m.DatabaseBytes, m.DatabaseSHA256, err = fileDigest(dump); err != nil {
		return err
	}

	// Media rows in the copy were inserted after their files were written,
	// so listing the files now finds every one the copy names.
	mediaDir := filepath.Join(cfg.DataDir, "media")
	var media []string
	err = filepath.WalkDir(mediaDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == mediaDir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(mediaDir, p)
			media = append(media, rel)
			m.MediaBytes += info.Size()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backup: list media: %w", err)
	}
	m.MediaFiles = len(media)

	part := to + ".part"
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(part)
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := tarBytes(tw, "manifest.json", manifest); err != nil {
		return err
	}
	bar := progress.StartBytes(stderr, "backup", m.DatabaseBytes+m.MediaBytes)
	if err := tarFile(tw, m.DatabaseFile, dump, bar); err != nil {
		bar.Finish()
		return err
	}
	skipped := 0
	for _, rel := range media {
		err := tarFile(tw, "media/"+filepath.ToSlash(rel), filepath.Join(mediaDir, rel), bar)
		if errors.Is(err, fs.ErrNotExist) {
			skipped++ // deleted since it was listed, and so from the database too
			continue
		}
		if err != nil {
			bar.Finish()
			return err
		}
	}
	bar.Finish()
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(part, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Backed up the %s database (%d bytes) and %d media files (%d bytes) to %s\n",
		m.Database, m.DatabaseBytes, m.MediaFiles-skipped, m.MediaBytes, to)
	return nil
}

// restoreCommand runs `rounds admin restore --from FILE` into an empty data
// directory and an empty database; it refuses anything else.
func restoreCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var from string
	cfg, err := parseCommand("admin restore", args, stderr, getenv, false, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "the backup file to restore (made by rounds admin backup)")
	})
	if err != nil {
		return err
	}
	if from == "" {
		return &usageError{"admin restore: --from FILE is required"}
	}
	sqlitePath, isSQLite := strings.CutPrefix(cfg.Database, "sqlite:")

	// Refuse before writing anything.
	if entries, err := os.ReadDir(cfg.DataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: the data directory %s is not empty; restore into an empty one", cfg.DataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if isSQLite {
		if info, err := os.Stat(sqlitePath); err == nil && info.Size() > 0 {
			return fmt.Errorf("restore: the database %s already exists; restore into a new file", sqlitePath)
		}
	} else {
		db, err := storage.Open(ctx, cfg.Database)
		if err != nil {
			return err
		}
		used, err := db.HasTables(ctx)
		db.Close()
		if err != nil {
			return err
		}
		if used {
			return errors.New("restore: the PostgreSQL database already holds tables; restore into a new, empty database")
		}
	}

	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("restore: %s is not a Rounds backup: %w", from, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != "manifest.json" {
		return fmt.Errorf("restore: %s is not a Rounds backup (no manifest first)", from)
	}
	var m backupManifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil || m.Format != backupFormat {
		return fmt.Errorf("restore: %s is not a Rounds backup (bad manifest)", from)
	}
	if m.Version != backupVersion {
		return fmt.Errorf("restore: the backup is of format version %d; this Rounds reads version %d", m.Version, backupVersion)
	}
	if (m.Database == "sqlite") != isSQLite {
		return fmt.Errorf("restore: the backup holds a %s database and the target is not one; restore it into the same kind", m.Database)
	}
	if m.Domain != cfg.Domain {
		fmt.Fprintf(stderr, "Warning: the backup is of %s and this server is configured as %s; other servers know it by its old domain.\n", m.Domain, cfg.Domain)
	}
	mediaDir := filepath.Join(cfg.DataDir, "media")
	if err := os.MkdirAll(mediaDir, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(cfg.DataDir, ".restore-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)

	bar := progress.StartBytes(stderr, "restore", m.DatabaseBytes+m.MediaBytes)
	var dump string
	files := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bar.Finish()
			return fmt.Errorf("restore: read %s: %w", from, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		var dest string
		switch {
		case hdr.Name == m.DatabaseFile:
			dest = filepath.Join(tmp, "database")
			if isSQLite {
				// Next to its final place, to be renamed there.
				dest = sqlitePath + ".restoring"
				defer os.Remove(dest)
			}
			dump = dest
		case strings.HasPrefix(hdr.Name, "media/"):
			rel := strings.TrimPrefix(hdr.Name, "media/")
			// Nothing is written outside the media directory.
			if rel == "" || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || path.IsAbs(rel) || strings.HasPrefix(path.Base(rel), ".") {
				bar.Finish()
				return fmt.Errorf("restore: the backup holds a bad file name %q", hdr.Name)
			}
			dest = filepath.Join(mediaDir, filepath.FromSlash(rel))
			files++
		default:
			continue
		}
		if err := writeFrom(dest, tr, bar); err != nil {
			bar.Finish()
			return err
		}
	}
	bar.Finish()
	if dump == "" {
		return fmt.Errorf("restore: %s holds no database", from)
	}
	if size, sum, err := fileDigest(dump); err != nil {
		return err
	} else if size != m.DatabaseBytes || sum != m.DatabaseSHA256 {
		return fmt.Errorf("restore: the database in %s is damaged (checksum mismatch)", from)
	}
	if files != m.MediaFiles {
		fmt.Fprintf(stderr, "Note: the backup lists %d media files and holds %d (files deleted while it was made).\n", m.MediaFiles, files)
	}

	fmt.Fprintln(stderr, "Loading the database ...")
	if isSQLite {
		if err := os.MkdirAll(filepath.Dir(sqlitePath), 0o750); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := os.Rename(dump, sqlitePath); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	} else if err := pgTool(ctx, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+cfg.Database, dump); err != nil {
		return err
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("restore: the restored database: %w", err)
	}
	fmt.Fprintf(stdout, "Restored the %s database and %d media files from %s (made %s)\n", m.Database, files, from, m.CreatedAt.Format(time.RFC3339))
	return nil
}

// pgTool runs one of PostgreSQL's client programs, which backups of a
// PostgreSQL database need on the machine.
func pgTool(ctx context.Context, name string, args ...string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s is needed for a PostgreSQL database and was not found; install the PostgreSQL client tools (postgresql-client), of the server's major version or newer", name)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func fileDigest(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func tarBytes(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_, err := tw.Write(b)
	return err
}

// tarFile adds the file at p as name, counting its bytes on bar.
func tarFile(tw *tar.Writer, name, p string, bar *progress.Bar) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The header promised Size bytes: a file still growing is cut there.
	n, err := io.Copy(tw, io.TeeReader(io.LimitReader(f, info.Size()), bar))
	if err == nil && n != info.Size() {
		err = fmt.Errorf("%s shrank while it was copied", p)
	}
	if err != nil {
		return fmt.Errorf("backup: %s: %w", p, err)
	}
	return nil
}

// writeFrom writes r to a new file at dest, counting bytes on bar.
func writeFrom(dest string, r io.Reader, bar *progress.Bar) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := io.Copy(f, io.TeeReader(r, bar)); err != nil {
		f.Close()
		return fmt.Errorf("restore: %s: %w", dest, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("restore: %w", err)
	}
	return f.Close()
}
