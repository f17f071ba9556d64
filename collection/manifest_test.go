package collection

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/nn"
)

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	if m, err := ReadManifest(dir); m != nil || err != nil {
		t.Fatalf("no manifest: %v %v", m, err)
	}
	if r, err := Root(dir, "", false); r != "" || err != nil {
		t.Fatalf("root without a manifest: %q %v", r, err)
	}
	images, model := t.TempDir(), t.TempDir()
	if err := WriteManifest(dir, images, model, "abc"); err != nil {
		t.Fatal(err)
	}
	if r, err := Root(dir, "", false); r != images || err != nil {
		t.Fatalf("recorded root: %q %v", r, err)
	}
	if r, err := Root(dir, images+"/.", false); r != images || err != nil {
		t.Fatalf("the same root: %q %v", r, err)
	}
	other := t.TempDir()
	if _, err := Root(dir, other, false); !errors.Is(err, ErrRootMismatch) || !strings.Contains(err.Error(), images) {
		t.Fatalf("another root: %v", err)
	}
	if r, err := Root(dir, other, true); r != other || err != nil {
		t.Fatalf("relocated: %q %v", r, err)
	}
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{}"), 0o644)
	if _, err := ReadManifest(dir); err == nil {
		t.Fatal("a foreign manifest: want error")
	}
}

func TestLoadModel(t *testing.T) {
	m, info, _, _ := setup(t)
	mdir := filepath.Join(t.TempDir(), "model")
	if err := nn.Save(mdir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var nf *ModelNotFoundError
	if _, _, _, err := LoadModel(dir, ""); !errors.As(err, &nf) {
		t.Fatalf("no manifest: %v", err)
	}
	WriteManifest(dir, t.TempDir(), mdir, info.Fingerprint)
	_, got, where, err := LoadModel(dir, "")
	if err != nil || got.Fingerprint != info.Fingerprint || where != mdir {
		t.Fatalf("recorded model: %v %v %q", err, got, where)
	}
	// Moved away: the error names the fingerprint and the last place.
	moved := mdir + "-moved"
	os.Rename(mdir, moved)
	_, _, _, err = LoadModel(dir, "")
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), mdir) || !strings.Contains(err.Error(), info.Fingerprint[:12]) {
		t.Fatalf("moved model: %v", err)
	}
	if _, _, where, err := LoadModel(dir, moved); err != nil || where != moved {
		t.Fatalf("model given: %v", err)
	}
	// Replaced by another model at the same place.
	other, _ := nn.KerasSmall(8)
	nn.Save(mdir, other, nil, nil)
	if _, _, _, err = LoadModel(dir, ""); !errors.As(err, &nf) || !strings.Contains(err.Error(), "another model") {
		t.Fatalf("replaced model: %v", err)
	}
}
