//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an advisory lock on dir/LOCK, shared for readers and
// exclusive for writers. The lock is released when the returned file is
// closed or the process dies.
func lockDir(dir string, shared bool) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	flag, how := os.O_RDWR|os.O_CREATE, syscall.LOCK_EX
	if shared {
		flag, how = os.O_RDONLY, syscall.LOCK_SH
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// A read-only open of a directory never opened for writing.
			return nil, nil
		}
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
