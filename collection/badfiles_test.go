//go:build unix

package collection

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpdateBadFiles checks that links that lead nowhere, FIFOs and
// devices named like images stop an update with an error naming them, or
// are skipped under SkipBad, and never hang it or exhaust memory.
func TestUpdateBadFiles(t *testing.T) {
	m, _, ix, root := setup(t)
	dir := filepath.Join(root, "cats")
	bad := map[string]string{
		"loop.png":     "too many levels of symbolic links",
		"dangling.png": "no such file",
		"fifo.png":     "FIFO",
		"zero.png":     "character device",
	}
	os.Symlink(filepath.Join(dir, "loop.png"), filepath.Join(dir, "loop.png"))
	os.Symlink(filepath.Join(dir, "nowhere.png"), filepath.Join(dir, "dangling.png"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.png"))
	ctx := context.Background()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for name, want := range bad {
			// Each bad file alone: move the others aside.
			for other := range bad {
				if other != name {
					os.Rename(filepath.Join(dir, other), filepath.Join(root, "."+other))
				}
			}
			_, err := Update(ctx, m, ix, root, UpdateOptions{})
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one naming the file and saying %q", name, err, want)
			}
			for other := range bad {
				if other != name {
					os.Rename(filepath.Join(root, "."+other), filepath.Join(dir, other))
				}
			}
		}
		s, err := Update(ctx, m, ix, root, UpdateOptions{EmbedOptions: EmbedOptions{SkipBad: true}})
		if err != nil || s.Skipped != len(bad) || s.Added != 12 {
			t.Errorf("SkipBad: %+v, %v; want the 12 images added and %d skipped", s, err, len(bad))
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Update still running after 20 s: blocked on a bad file")
	}
}
