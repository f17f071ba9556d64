//go:build amd64 && !purego && !linux

package kernels

// hasAMX reports false: only Linux is asked for the tile state here.
func hasAMX() bool { return false }
