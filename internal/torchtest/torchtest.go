// Package torchtest gives tests what PyTorch computes: torchvision networks
// with seeded random weights saved as state dicts, and their outputs, made
// by reference.py with a Python that has torchvision (Debian's
// python3-torchvision). Without one a test is skipped, except in CI (the
// CI environment variable set), whose .ci/run installs it.
package torchtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Python returns a Python interpreter with torchvision: $LOOKALIKE_PYTHON,
// python3 or /usr/bin/python3, the first that imports it.
func Python(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("LOOKALIKE_PYTHON"), "python3", "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import torchvision").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no python3 with torchvision (Debian python3-torchvision), which CI installs")
	}
	t.Skip("no python3 with torchvision (Debian python3-torchvision)")
	return ""
}

// Reference runs reference.py for the torchvision architecture arch with
// the given seed in a new temporary folder and returns the folder, which
// holds ARCH.pth (the state dict), images.u8 (16 images of 224x224 RGB,
// NHWC bytes) and features.f32 (the pooled features of the images,
// float32 little endian).
func Reference(t testing.TB, arch string, seed int) string {
	t.Helper()
	py := Python(t)
	_, self, _, _ := runtime.Caller(0)
	dir := t.TempDir()
	cmd := exec.Command(py, filepath.Join(filepath.Dir(self), "reference.py"), arch, dir, strconv.Itoa(seed))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reference.py %s: %v\n%s", arch, err, out)
	}
	return dir
}
