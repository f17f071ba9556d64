package collection

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/nn"
)

// ManifestFile is the file, in an index directory, that records where the
// collection's images and model are, so that commands need only the index.
const ManifestFile = "collection.json"

// manifestFormat identifies manifest files.
const manifestFormat = "lookalike-collection"

// Manifest records where a collection's parts are: the root of its images
// and the model its index was built with.
type Manifest struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Images is the absolute path of the collection root; entry keys are
	// relative to it.
	Images string `json:"images"`
	// Model is the absolute path of the model directory last used with
	// the index, and ModelFingerprint that model's fingerprint (the
	// index's own record of it is authoritative).
	Model            string `json:"model"`
	ModelFingerprint string `json:"model_fingerprint"`
}

// ReadManifest reads the manifest of the index directory dir. It returns
// nil and no error when there is none (an index made before manifests, or
// by the index package alone).
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read collection manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != manifestFormat {
		return nil, fmt.Errorf("read collection manifest %s: not a %s file", filepath.Join(dir, ManifestFile), manifestFormat)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("read collection manifest %s: unsupported version %d", filepath.Join(dir, ManifestFile), m.Version)
	}
	return &m, nil
}

// WriteManifest records, atomically, in the index directory dir that the
// collection's images are at images and its model at model, with the
// given fingerprint. It writes nothing when the manifest already says so.
func WriteManifest(dir, images, model, fingerprint string) error {
	var err error
	if images, err = filepath.Abs(images); err != nil {
		return fmt.Errorf("write collection manifest: %w", err)
	}
	if model, err = filepath.Abs(model); err != nil {
		return fmt.Errorf("write collection manifest: %w", err)
	}
	m := Manifest{Format: manifestFormat, Version: 1, Images: images, Model: model, ModelFingerprint: fingerprint}
	if old, err := ReadManifest(dir); err == nil && old != nil && *old == m {
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write collection manifest: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// ErrRootMismatch reports a collection root other than the one an index
// was built for.
var ErrRootMismatch = errors.New("the index holds another image folder")

// Root returns the collection root to use with the index directory dir:
// given, when not empty, else the root its manifest records; "" when
// neither says. A given root other than the recorded one is refused with
// ErrRootMismatch (entry keys would point at other files) unless relocate
// is set: the collection moved there.
func Root(dir, given string, relocate bool) (string, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return "", err
	}
	if given == "" {
		if m == nil {
			return "", nil
		}
		return m.Images, nil
	}
	abs, err := filepath.Abs(given)
	if err != nil {
		return "", fmt.Errorf("image folder %s: %w", given, err)
	}
	if m != nil && m.Images != abs && !relocate && !sameDir(m.Images, abs) {
		return "", fmt.Errorf("%w: %s holds the images of %s, not of %s", ErrRootMismatch, dir, m.Images, abs)
	}
	return abs, nil
}

// sameDir reports whether a and b name the same existing directory.
func sameDir(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// ModelNotFoundError reports that the model an index was built with
// cannot be found where the index's manifest last saw it.
type ModelNotFoundError struct {
	Index       string // the index directory
	Fingerprint string // the fingerprint the index records
	LastPath    string // where the manifest last saw the model; "" if it has none
	Err         error  // why it could not be used
}

func (e *ModelNotFoundError) Error() string {
	if e.LastPath == "" {
		return fmt.Sprintf("the index %s does not record where its model is: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("the model of the index %s (fingerprint %.12s), last seen at %s, cannot be used: %v", e.Index, e.Fingerprint, e.LastPath, e.Err)
}

func (e *ModelNotFoundError) Unwrap() error { return e.Err }

// LoadModel loads the model to use with the index directory dir: the one
// in the model directory given, when not empty, else the one the index's
// manifest records, which must still be the model the index was built
// with. It returns the model, its information and the directory it was
// loaded from, and fails with a *ModelNotFoundError when the manifest names
// no model, or its model is gone or was replaced.
func LoadModel(dir, given string) (*nn.Model, *nn.Info, string, error) {
	if given != "" {
		m, info, err := nn.Load(given)
		return m, info, given, err
	}
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, nil, "", err
	}
	if man == nil || man.Model == "" {
		return nil, nil, "", &ModelNotFoundError{Index: dir, Err: errors.New("it has no manifest naming its model")}
	}
	m, info, err := nn.Load(man.Model)
	if err != nil {
		return nil, nil, "", &ModelNotFoundError{Index: dir, Fingerprint: man.ModelFingerprint, LastPath: man.Model, Err: err}
	}
	if info.Fingerprint != man.ModelFingerprint {
		return nil, nil, "", &ModelNotFoundError{Index: dir, Fingerprint: man.ModelFingerprint, LastPath: man.Model,
			Err: fmt.Errorf("that directory now holds another model (fingerprint %.12s): it was retrained or replaced", info.Fingerprint)}
	}
	return m, info, man.Model, nil
}
