package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errOutside reports an entry path that leads outside the collection.
var errOutside = errors.New("path leads outside the image collection")

// collection is the image collection directory. Every file the server
// reads or writes for an entry goes through it, which refuses paths that
// leave the directory, by ".." or by symbolic links.
type collection struct {
	dir  string   // absolute path, as configured
	real string   // dir with symbolic links resolved
	root *os.Root // opened on real
}

// openCollection opens the collection directory, creating it if it does not
// exist, and removes temporary files that a crash left in its uploads folder.
// It writes nothing into an existing directory: the uploads folder is made
// by the first upload, so a read-only collection can be served as it is.
func openCollection(dir string) (*collection, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("image collection %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("image collection: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("image collection: %w", err)
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, fmt.Errorf("image collection: %w", err)
	}
	tmps, _ := filepath.Glob(filepath.Join(real, UploadsDir, ".*.tmp-*"))
	for _, t := range tmps {
		os.Remove(t)
	}
	return &collection{dir: abs, real: real, root: root}, nil
}

func (c *collection) close() { c.root.Close() }

// uploads returns the uploads folder, creating it if needed.
func (c *collection) uploads() (string, error) {
	dir := filepath.Join(c.real, UploadsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("image collection: %w", err)
	}
	return dir, nil
}

// rel returns an entry's stored path relative to the collection root. A
// relative path is taken as relative to the root and must stay inside it
// lexically (no leading ".."); an absolute path must lie inside the root,
// as configured or with symbolic links resolved.
func (c *collection) rel(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("entry has no image path: %w", fs.ErrNotExist)
	}
	if !filepath.IsAbs(p) {
		if !filepath.IsLocal(p) {
			return "", fmt.Errorf("%q: %w", p, errOutside)
		}
		return filepath.Clean(p), nil
	}
	for _, base := range []string{c.dir, c.real} {
		if r, err := filepath.Rel(base, p); err == nil && filepath.IsLocal(r) {
			return r, nil
		}
	}
	if rp, err := filepath.EvalSymlinks(p); err == nil {
		if r, err := filepath.Rel(c.real, rp); err == nil && filepath.IsLocal(r) {
			return r, nil
		}
	}
	return "", fmt.Errorf("%q: %w", p, errOutside)
}

// open opens the regular file of an entry's stored path for reading. It
// fails with errOutside when the path, or a symbolic link on it, leads
// outside the collection, and with fs.ErrNotExist when there is no file.
func (c *collection) open(p string) (*os.File, fs.FileInfo, error) {
	rel, err := c.rel(p)
	if err != nil {
		return nil, nil, err
	}
	f, err := c.root.Open(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// os.Root refuses absolute symbolic links even when they point
		// inside the collection: resolve them and check where they lead.
		f, err = c.openResolved(rel)
	}
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%q is not a regular file: %w", p, fs.ErrNotExist)
	}
	return f, info, nil
}

// openResolved opens rel after resolving every symbolic link on it and
// checking that the result lies inside the collection.
func (c *collection) openResolved(rel string) (*os.File, error) {
	rp, err := filepath.EvalSymlinks(filepath.Join(c.real, rel))
	if err != nil {
		return nil, err
	}
	r, err := filepath.Rel(c.real, rp)
	if err != nil || !filepath.IsLocal(r) {
		return nil, fmt.Errorf("%q resolves to %q: %w", rel, rp, errOutside)
	}
	return c.root.Open(r)
}

// uploadPath returns the stored path of an added image.
func uploadPath(id uint64, format string) string {
	ext := format
	if ext == "jpeg" {
		ext = "jpg"
	}
	return filepath.Join(UploadsDir, fmt.Sprintf("%d.%s", id, ext))
}

// isUpload reports whether the stored path p is the file the server saved
// for the added image id (and so is the server's to delete).
func isUpload(p string, id uint64) bool {
	dir, name := filepath.Split(filepath.Clean(p))
	stem, _, _ := strings.Cut(name, ".")
	return filepath.Clean(dir) == UploadsDir && stem == fmt.Sprint(id)
}
