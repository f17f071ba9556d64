package collection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// StoreConfig says which store OpenStore opens: the embedded index in Dir,
// or the Weaviate class at URL (weaviate://HOST:PORT/CLASS).
type StoreConfig struct {
	Dir string
	URL string
	// HNSW and HNSWConfig choose the embedded index's search (exact
	// otherwise); ReadOnly opens it without writing.
	HNSW       bool
	HNSWConfig index.HNSWConfig
	// Int8 searches the exact index through int8 codes (index.Options.Int8).
	Int8     bool
	ReadOnly bool
	// Weaviate configures a Weaviate class.
	Weaviate WeaviateOptions
	Logger   *slog.Logger
}

// OpenStore opens (creating it when missing) the store for the embeddings
// of the model described by info, cosine metric, and checks that it holds
// that model's: an index or a class of another model is refused with an
// error saying so. An info without a fingerprint opens an existing index
// whatever its model (a Weaviate class needs the model).
func OpenStore(ctx context.Context, c StoreConfig, info *nn.Info) (Store, error) {
	meta := index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}
	switch {
	case c.Dir != "" && c.URL != "":
		return nil, errors.New("open store: an index directory and a Weaviate class: choose one")
	case c.URL != "":
		if info.Fingerprint == "" {
			return nil, errors.New("open store: a Weaviate class needs the model (it records no model directory)")
		}
		return OpenWeaviate(ctx, c.URL, meta, c.Weaviate)
	case c.Dir == "":
		return nil, errors.New("open store: no index directory or Weaviate class given")
	}
	kind := index.KindExact
	if c.HNSW {
		kind = index.KindHNSW
	}
	ix, err := index.Open(c.Dir, index.Options{Meta: meta, Kind: kind, HNSW: c.HNSWConfig, Int8: c.Int8, ReadOnly: c.ReadOnly, Logger: c.Logger})
	switch {
	case errors.Is(err, index.ErrModelMismatch), errors.Is(err, index.ErrDimMismatch):
		return nil, fmt.Errorf("the index in %s was built with another model than this one (fingerprint %.12s, %d dimensions): "+
			"use the model it was built with, or another index: %w", c.Dir, info.Fingerprint, info.Dim, err)
	case errors.Is(err, index.ErrLocked):
		return nil, fmt.Errorf("the index in %s is in use by another process: %w", c.Dir, err)
	case err != nil:
		return nil, err
	}
	if info.Fingerprint == "" {
		return ix, nil
	}
	if err := CheckModel(ix, info); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}
