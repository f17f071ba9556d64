package viz

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// WritePNG encodes img as PNG to path atomically: it writes a temporary
// file in the same directory, syncs it to disk and renames it over path, so
// readers see either the old file or the complete new one. On error the
// temporary file is removed and any existing file at path is left as it was.
func WritePNG(path string, img image.Image) (err error) {
	if img == nil {
		return fmt.Errorf("viz: write %s: nil image", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := png.Encode(f, img); err != nil {
		return fmt.Errorf("viz: encode %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("viz: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("viz: close %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("viz: chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("viz: rename %s: %w", tmp, err)
	}
	// Make the rename durable. This is best effort: the file is already in
	// place, and not every platform can sync a directory.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
