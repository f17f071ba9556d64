package collection

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/internal/atomicfile"
)

// UploadsDir is the folder of a collection that receives images added
// through AddUpload (by the server), as UploadsDir/<id>.<ext>.
const UploadsDir = "uploads"

// ErrUploadExists reports that the file an upload would take already
// exists (put there by someone else): the caller may pick another ID.
var ErrUploadExists = errors.New("the upload's file exists already")

// pendingSuffix marks an upload whose fate hangs on the index: a hidden
// file ".<name>.pending" in UploadsDir is either on its way in (written,
// not yet indexed) or on its way out (unindexed, not yet removed). Recover
// settles it by what the index says.
const pendingSuffix = ".pending"

// pendingName returns the pending file name of the upload file name.
func pendingName(name string) string { return "." + name + pendingSuffix }

// UploadKey returns the key of the file AddUpload saves for the entry id
// of an image in format ("png", "jpeg", ...).
func UploadKey(id uint64, format string) string {
	ext := format
	if ext == "jpeg" {
		ext = "jpg"
	}
	return path.Join(UploadsDir, fmt.Sprintf("%d.%s", id, ext))
}

// IsUpload reports whether the entry path p is the file AddUpload saved
// for the entry id, and so is the collection's to delete with it.
func IsUpload(p string, id uint64) bool {
	dir, name := path.Split(filepath.ToSlash(path.Clean(filepath.ToSlash(p))))
	stem, _, _ := strings.Cut(name, ".")
	return path.Clean(dir) == UploadsDir && stem == fmt.Sprint(id)
}

// AddUpload saves data as the file of e.Path (a key in UploadsDir, see
// UploadKey) under root and indexes e for it, with the file's fingerprint.
// It is crash-safe: the file is written and fsynced under a pending name,
// the entry is logged (fsynced), then the file takes its name. A crash
// before the entry is logged leaves a pending file that Recover removes; a
// crash after, one that Recover renames. So a file is in the collection
// when, and only when, its entry is.
func AddUpload(ix Store, root string, e index.Entry, data []byte) (index.Entry, error) {
	if !IsKey(e.Path) || path.Dir(e.Path) != UploadsDir {
		return index.Entry{}, fmt.Errorf("add upload: %q is not a file of the %s folder", e.Path, UploadsDir)
	}
	dir := filepath.Join(root, UploadsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return index.Entry{}, fmt.Errorf("add upload: %w", err)
	}
	name := path.Base(e.Path)
	final, pending := filepath.Join(dir, name), filepath.Join(dir, pendingName(name))
	if _, err := os.Lstat(final); err == nil {
		return index.Entry{}, fmt.Errorf("add upload: %s: %w", final, ErrUploadExists)
	}
	if err := atomicfile.WriteBytes(pending, data); err != nil {
		return index.Entry{}, fmt.Errorf("save image: %w", err)
	}
	fi, err := os.Stat(pending)
	if err != nil {
		os.Remove(pending)
		return index.Entry{}, fmt.Errorf("save image: %w", err)
	}
	e.Fingerprint = Fingerprint(fi)
	ids, err := ix.Add(e)
	if err != nil {
		os.Remove(pending)
		return index.Entry{}, fmt.Errorf("index image: %w", err)
	}
	e.ID = ids[0]
	if err := os.Rename(pending, final); err != nil {
		// The entry is logged: Recover finishes the rename at the next
		// start. Until then the image answers as missing.
		return e, fmt.Errorf("save image: %w", err)
	}
	return e, nil
}

// Delete removes the entry id from ix and, when it is an upload (see
// IsUpload), its file from root; other files of the collection are left
// alone. It reports the deleted entry and whether there was one. Crash-safe
// like AddUpload: the upload first takes its pending name (so that no
// update indexes it again), then the deletion is logged, then the file
// goes; Recover settles an interruption.
func Delete(ix Store, root string, id uint64) (index.Entry, bool, error) {
	e, ok := ix.Get(id)
	if !ok {
		return index.Entry{}, false, nil
	}
	var pending string
	if IsUpload(e.Path, id) && IsKey(e.Path) {
		dir, name := filepath.Split(File(root, e.Path))
		pending = filepath.Join(dir, pendingName(name))
		switch err := os.Rename(File(root, e.Path), pending); {
		case errors.Is(err, fs.ErrNotExist):
			pending = ""
		case err != nil:
			return e, false, fmt.Errorf("delete image %d: %w", id, err)
		default:
			if err := atomicfile.SyncDir(dir); err != nil {
				return e, false, fmt.Errorf("delete image %d: %w", id, err)
			}
		}
	}
	deleted, err := ix.Delete(id)
	if err != nil {
		if pending != "" {
			os.Rename(pending, File(root, e.Path))
		}
		return e, false, err
	}
	if pending != "" {
		if err := os.Remove(pending); err != nil {
			return e, deleted, fmt.Errorf("delete image %d: the entry is deleted, its file remains: %w", id, err)
		}
	}
	return e, deleted, nil
}

// Recover settles uploads that a crash left pending in root's uploads
// folder: a pending file whose entry is indexed takes its name (an add
// that was logged, or a delete that was not), one whose entry is not is
// removed (an add that was never acknowledged, or a delete that was). It
// logs what it did. Call it with the index open for writing, before
// updating or serving.
func Recover(ix Store, root string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(root, UploadsDir)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover uploads: %w", err)
	}
	for _, de := range des {
		pname := de.Name()
		if strings.HasPrefix(pname, ".") && strings.Contains(pname, ".tmp-") {
			// A temporary file of an interrupted atomic write.
			os.Remove(filepath.Join(dir, pname))
			log.Info("removed a temporary file left by a crash", "path", filepath.Join(dir, pname))
			continue
		}
		if !strings.HasPrefix(pname, ".") || !strings.HasSuffix(pname, pendingSuffix) || !de.Type().IsRegular() {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(pname, "."), pendingSuffix)
		pending, final := filepath.Join(dir, pname), filepath.Join(dir, name)
		key := path.Join(UploadsDir, name)
		_, indexed := ix.LookupPath(key)
		_, err := os.Lstat(final)
		switch {
		case indexed && errors.Is(err, fs.ErrNotExist):
			if err := os.Rename(pending, final); err != nil {
				return fmt.Errorf("recover uploads: %w", err)
			}
			log.Info("finished saving an image interrupted by a crash", "path", final)
		default:
			// Not indexed (never acknowledged, or deleted), or the final
			// name is taken by a file that then is the entry's.
			if err := os.Remove(pending); err != nil {
				return fmt.Errorf("recover uploads: %w", err)
			}
			log.Info("removed an image file left pending by a crash", "path", pending, "indexed", indexed)
		}
	}
	return nil
}
