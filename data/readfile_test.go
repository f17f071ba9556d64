//go:build unix

package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within runs fn and fails the test if it has not returned after d: a
// regression that blocks (on a FIFO, say) fails instead of hanging.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
	}
}

// badFiles makes, in dir, image-named files that are not images one can
// read: a FIFO, a link to /dev/zero, a dangling link and a link loop. It
// returns their paths and a part of the error each must give.
func badFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs or devices")
	}
	bad := map[string]string{}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	bad[fifo] = "FIFO"
	zero := filepath.Join(dir, "zero.png")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	bad[zero] = "character device"
	dangling := filepath.Join(dir, "dangling.png")
	os.Symlink(filepath.Join(dir, "nowhere.png"), dangling)
	bad[dangling] = "no such file"
	loop := filepath.Join(dir, "loop.png")
	os.Symlink(loop, loop)
	bad[loop] = "too many levels of symbolic links"
	return bad
}

func TestDecodeFileRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	for path, want := range badFiles(t, dir) {
		within(t, 5*time.Second, func() {
			_, err := DecodeFile(path, 32, Limits{})
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one naming the file and saying %q", filepath.Base(path), err, want)
			}
		})
	}
}

func TestDecodeFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.png", encode(t, pattern(20, 20, 1), "png"))
	fi, _ := os.Stat(path)
	if _, err := DecodeFile(path, 20, Limits{MaxBytes: fi.Size()}); err != nil {
		t.Fatalf("a file of exactly the limit: %v", err)
	}
	_, err := DecodeFile(path, 20, Limits{MaxBytes: fi.Size() - 1})
	if !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("a file over the limit: %v", err)
	}
	// A file whose size lies: /proc files say 0 bytes and hold more.
	if runtime.GOOS == "linux" {
		if _, err := readFile("/proc/self/status", nil, 100); !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), "while being read") {
			t.Fatalf("a file growing past the limit: %v", err)
		}
	}
}

func TestLoadFolderSkipsSpecialFiles(t *testing.T) {
	root := t.TempDir()
	class := filepath.Join(root, "cat")
	os.MkdirAll(class, 0o755)
	writeFile(t, class, "ok.png", encode(t, pattern(32, 32, 1), "png"))
	bad := badFiles(t, class)
	within(t, 10*time.Second, func() {
		_, err := LoadFolder(context.Background(), root, Options{})
		if err == nil {
			t.Error("bad files loaded without --skip-bad")
		}
		ds, err := LoadFolder(context.Background(), root, Options{SkipBad: true})
		if err != nil || ds.Len() != 1 {
			t.Errorf("SkipBad: %v, %v images (want 1 of %d files)", err, ds, 1+len(bad))
		}
	})
}
