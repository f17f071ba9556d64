//go:build !linux

package index

// adviseHugePages does nothing on this platform; see the Linux version.
func adviseHugePages[T any](s []T) bool { return false }
