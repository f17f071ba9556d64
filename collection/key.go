package collection

import (
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/lookalike/lookalike/data"
)

// An entry of a collection is keyed by its file's path relative to the
// collection root, with forward slashes ("cats/tom.png",
// "uploads/101.png"), whichever command added it: so one file is one entry,
// and a collection can move as a whole. Its fingerprint is the file's size
// and modification time, see Fingerprint. Indexes written before keys were
// relative hold absolute paths; Update converts those inside the root.

// Key returns the entry key of the file at p in the collection rooted at
// root (an absolute, clean path): p relative to root, with forward slashes.
// A relative p is taken as relative to root already. ok is false for a path
// outside root.
func Key(root, p string) (key string, ok bool) {
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return "", false
		}
		p = rel
	}
	if !filepath.IsLocal(p) {
		return "", false
	}
	return filepath.ToSlash(filepath.Clean(p)), true
}

// IsKey reports whether the stored entry path p is a key (relative, inside
// the root) rather than an absolute path of an older index.
func IsKey(p string) bool {
	return p != "" && !filepath.IsAbs(p) && filepath.IsLocal(filepath.FromSlash(p))
}

// File returns the file path of the entry path p in the collection rooted
// at root: root joined with a key, or p itself when it is absolute.
func File(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// Fingerprint is the content fingerprint of a file as collections record
// it: data.Fingerprint, its size and modification time in nanoseconds.
func Fingerprint(fi fs.FileInfo) string {
	return data.Fingerprint(fi)
}

// labelOf returns the label of the entry key: its first folder, or "" for
// a file directly in the root.
func labelOf(key string) string {
	if dir, _, ok := strings.Cut(path.Clean(key), "/"); ok {
		return dir
	}
	return ""
}
