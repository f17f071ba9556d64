//go:build unix

package nonblock

import (
	"os"
	"syscall"
)

// ReadFlags are the flags of a read-only, non-blocking open.
const ReadFlags = os.O_RDONLY | syscall.O_NONBLOCK
