// Package nonblock opens files for reading without blocking on FIFOs: on
// Unix, opening a FIFO that has no writer blocks until one comes, which
// would hang a command (and its signal handling) on a FIFO named like an
// image. Opened with O_NONBLOCK, it returns at once, and the caller can
// see from Stat that it is not a regular file. Reads of regular files are
// unaffected by the flag.
package nonblock

import "os"

// Open opens path for reading without blocking.
func Open(path string) (*os.File, error) { return os.OpenFile(path, ReadFlags, 0) }

// OpenIn opens name inside root for reading without blocking.
func OpenIn(root *os.Root, name string) (*os.File, error) { return root.OpenFile(name, ReadFlags, 0) }
