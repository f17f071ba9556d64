//go:build !linux

package index

// adviseHugePages does nothing on this platform; see the Linux version.
func adviseHugePages(s []float32) bool { return false }
