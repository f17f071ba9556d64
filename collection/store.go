package collection

import (
	"iter"

	"github.com/lookalike/lookalike/index"
)

// Store keeps a collection's entries with their embeddings and finds their
// nearest neighbours. The embedded index (*index.Index: one machine, the
// default) is one; a Weaviate class (a cluster) is another. The functions
// of this package, and through them the commands and the server, work on
// any Store.
//
// Entries are keyed by their path (relative to the collection's root): a
// path is in a store at most once. IDs are the store's; Add assigns the
// next free one to an entry whose ID is zero.
type Store interface {
	// Meta says which model's embeddings the store holds, their
	// dimension and metric.
	Meta() index.Meta
	// Location names the store in messages: a directory or a URL.
	Location() string
	// Len returns the number of entries.
	Len() int
	// Get returns the entry id, with its vector.
	Get(id uint64) (index.Entry, bool)
	// LookupPath returns the entry of a path.
	LookupPath(path string) (index.Entry, bool)
	// Has reports whether a path has an entry.
	Has(path string) bool
	// NeedsUpdate reports whether a path is missing or was indexed with
	// another fingerprint.
	NeedsUpdate(path, fingerprint string) bool
	// NextID returns the ID the next added entry without one gets.
	NextID() uint64
	// IDs returns every entry's ID, ascending.
	IDs() []uint64
	// All iterates over the entries, with their vectors.
	All() iter.Seq[index.Entry]
	// Add stores entries (an existing path is replaced) and returns their
	// IDs; AddBatch is the same for a slice, durably before it returns.
	Add(entries ...index.Entry) ([]uint64, error)
	AddBatch(entries []index.Entry) ([]uint64, error)
	// Delete removes an entry, reporting whether it was there;
	// DeleteBatch removes several and returns how many were there.
	Delete(id uint64) (bool, error)
	DeleteBatch(ids []uint64) (int, error)
	// SearchEf returns the k entries nearest to q (ef > 0 sets an
	// approximate search's breadth); SearchBatchEf does so for nq
	// queries back to back.
	SearchEf(q []float32, k, ef int) ([]index.Result, error)
	SearchBatchEf(qs []float32, nq, k, ef int) ([][]index.Result, error)
	// Close releases the store.
	Close() error
}

// The embedded index is a Store.
var _ Store = (*index.Index)(nil)
