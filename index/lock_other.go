//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package index

import "os"

// lockDir does nothing on this platform: callers must not open one
// directory from two processes at once.
func lockDir(dir string, shared bool) (*os.File, error) { return nil, nil }
