//go:build !unix

package nonblock

import "os"

// ReadFlags are the flags of a read-only open (no FIFOs that block on open
// here).
const ReadFlags = os.O_RDONLY
