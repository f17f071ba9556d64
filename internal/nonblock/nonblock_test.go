//go:build unix

package nonblock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestOpenFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for name, open := range map[string]func() (*os.File, error){
		"Open":   func() (*os.File, error) { return Open(fifo) },
		"OpenIn": func() (*os.File, error) { return OpenIn(root, "fifo.png") },
	} {
		done := make(chan error, 1)
		go func() {
			f, err := open()
			if err == nil {
				var fi os.FileInfo
				if fi, err = f.Stat(); err == nil && fi.Mode().Type()&os.ModeNamedPipe == 0 {
					t.Errorf("%s: mode %v, want a FIFO", name, fi.Mode())
				}
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s blocked on a FIFO without a writer", name)
		}
	}
}
