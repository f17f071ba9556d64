//go:build amd64 && !purego

package kernels

import (
	"syscall"

	"golang.org/x/sys/cpu"
)

// Linux's arch_prctl codes for dynamically enabled XSAVE features.
const (
	archReqXcompPerm  = 0x1023
	xfeatureXtileData = 18
)

// hasAMX reports whether this CPU has AMX tiles with bfloat16 and int8
// products and this process may use them. Linux leaves the tile data out
// of a process's saved state until the process asks for it; the first
// tile instruction before that is a fatal signal. The permission covers
// every thread of the process, present and future.
func hasAMX() bool {
	if !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16 || !cpu.X86.HasAMXInt8 || !cpu.X86.HasAVX512BF16 {
		return false
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtileData, 0)
	return errno == 0
}
