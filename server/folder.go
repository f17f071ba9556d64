package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lookalike/lookalike/internal/nonblock"
)

// errOutside reports an entry path that leads outside the collection.
var errOutside = errors.New("path leads outside the image collection")

// folder is the image collection directory. Every file the server reads
// for an entry goes through it, which refuses paths that leave the
// directory, by ".." or by symbolic links, and files that are not regular.
type folder struct {
	dir  string   // absolute path, as configured
	real string   // dir with symbolic links resolved
	root *os.Root // opened on real
}

// openFolder opens the collection directory, creating it if it does not
// exist. It writes nothing into an existing directory: the uploads folder
// is made by the first upload, so a read-only collection can be served as
// it is.
func openFolder(dir string) (*folder, error) {
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
	return &folder{dir: abs, real: real, root: root}, nil
}

func (c *folder) close() { c.root.Close() }

// rel returns an entry's stored path relative to the collection root. A
// relative path is taken as relative to the root and must stay inside it
// lexically (no leading ".."); an absolute path must lie inside the root,
// as configured or with symbolic links resolved.
func (c *folder) rel(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("entry has no image path: %w", fs.ErrNotExist)
	}
	if !filepath.IsAbs(p) {
		p = filepath.FromSlash(p)
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
func (c *folder) open(p string) (*os.File, fs.FileInfo, error) {
	rel, err := c.rel(p)
	if err != nil {
		return nil, nil, err
	}
	f, err := nonblock.OpenIn(c.root, rel)
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
func (c *folder) openResolved(rel string) (*os.File, error) {
	rp, err := filepath.EvalSymlinks(filepath.Join(c.real, rel))
	if err != nil {
		return nil, err
	}
	r, err := filepath.Rel(c.real, rp)
	if err != nil || !filepath.IsLocal(r) {
		return nil, fmt.Errorf("%q resolves to %q: %w", rel, rp, errOutside)
	}
	return nonblock.OpenIn(c.root, r)
}
