package index

import (
	"errors"
	"fmt"
	"strings"
)

// Metric is the similarity measure an index ranks vectors by.
type Metric uint8

// The supported metrics. The zero Metric is invalid.
const (
	// Cosine ranks by cosine similarity. Vectors and queries are scaled to
	// unit length on the way in, so stored vectors are unit vectors and the
	// score is their dot product with the (unit) query; higher is better.
	Cosine Metric = iota + 1
	// Dot ranks by the raw inner product; higher is better.
	Dot
	// L2 ranks by Euclidean distance; the score is the distance and lower
	// is better.
	L2
)

// String returns the metric's name as accepted by [ParseMetric].
func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// ParseMetric returns the metric called name ("cosine", "dot" or "l2", in
// any case).
func ParseMetric(name string) (Metric, error) {
	switch strings.ToLower(name) {
	case "cosine":
		return Cosine, nil
	case "dot":
		return Dot, nil
	case "l2":
		return L2, nil
	}
	return 0, fmt.Errorf("parse metric %q: want cosine, dot or l2", name)
}

func (m Metric) valid() bool { return m >= Cosine && m <= L2 }

// Meta identifies what the vectors of an index are: which model produced
// them, their dimension and how they are compared. An index refuses vectors
// and opens that do not match it.
type Meta struct {
	// Model is a fingerprint of the embedding model, for example the
	// hex SHA-256 of its weights file.
	Model string
	// Dim is the length of every vector.
	Dim int
	// Metric is how vectors are compared.
	Metric Metric
}

// String formats the metadata for messages.
func (m Meta) String() string {
	return fmt.Sprintf("model %q, dim %d, metric %v", m.Model, m.Dim, m.Metric)
}

// Entry is one indexed image.
type Entry struct {
	// ID identifies the entry. Zero in a call to Add asks the index to
	// assign the next free ID.
	ID uint64
	// Path is where the image was read from. Paths are unique within an
	// index: adding an entry whose path is already indexed under another ID
	// replaces that entry. Empty paths are not tracked.
	Path string
	// Label is the image's class, empty for unlabeled images.
	Label string
	// Fingerprint identifies the file's content as it was indexed (for
	// example its size and modification time, or a hash), so that a
	// re-index can skip unchanged files; see [Index.NeedsUpdate].
	Fingerprint string
	// Vector is the image's embedding, Meta.Dim values. For the Cosine
	// metric the index stores (and Get returns) it scaled to unit length.
	Vector []float32
}

// Result is one search hit.
type Result struct {
	// ID is the matching entry's ID.
	ID uint64
	// Score is the similarity (Cosine, Dot: higher is better) or the
	// Euclidean distance (L2: lower is better) of the entry to the query.
	Score float32
}

// Errors reported by the package; test for them with [errors.Is].
var (
	// ErrDimMismatch reports a vector or index of the wrong dimension.
	ErrDimMismatch = errors.New("vector dimension mismatch")
	// ErrModelMismatch reports an index built with another model.
	ErrModelMismatch = errors.New("index built with another model")
	// ErrMetricMismatch reports an index that uses another metric.
	ErrMetricMismatch = errors.New("index uses another metric")
	// ErrInvalidVector reports a vector holding NaN or an infinity.
	ErrInvalidVector = errors.New("vector holds NaN or Inf")
	// ErrCorrupt reports a damaged index file.
	ErrCorrupt = errors.New("index file corrupt")
	// ErrNotIndex reports a file that is not an index file of this package.
	ErrNotIndex = errors.New("not a lookalike index file")
	// ErrVersion reports an index file of an unsupported format version.
	ErrVersion = errors.New("unsupported index format version")
	// ErrLocked reports an index directory already opened by someone else.
	ErrLocked = errors.New("index directory locked by another user")
	// ErrReadOnly reports a write to an index opened read-only.
	ErrReadOnly = errors.New("index opened read-only")
	// ErrClosed reports use of a closed index.
	ErrClosed = errors.New("index closed")
)
