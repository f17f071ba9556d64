package collection

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// ErrNotFound is returned for an entry ID that is not in the index.
var ErrNotFound = errors.New("no such entry")

// Hit is one search result: the entry (without its vector) and its score.
type Hit struct {
	ID    uint64  `json:"id"`
	Path  string  `json:"path"`
	Label string  `json:"label,omitempty"`
	Score float32 `json:"score"`
}

// CheckModel reports whether ix holds embeddings of the model described by
// info, so that their vectors can be compared.
func CheckModel(ix Store, info *nn.Info) error {
	meta := ix.Meta()
	if meta.Model != info.Fingerprint {
		return fmt.Errorf("the index %s was built with model %.12s, not with this one (%.12s): re-index with this model or pass the other", ix.Location(), meta.Model, info.Fingerprint)
	}
	if meta.Dim != info.Dim {
		return fmt.Errorf("the index %s holds %d-dimensional vectors, the model makes %d", ix.Location(), meta.Dim, info.Dim)
	}
	return nil
}

// Search embeds the decoded query image (pixels at the model's size) and
// returns its k best matches in ix. ef > 0 sets an HNSW index's search
// breadth for this query.
func Search(m *nn.Model, ix Store, pixels []uint8, k, ef int) ([]Hit, error) {
	q, err := EmbedImage(m, pixels)
	if err != nil {
		return nil, err
	}
	res, err := ix.SearchEf(q, k, ef)
	if err != nil {
		return nil, err
	}
	return hits(ix, res, 0), nil
}

// hits resolves results to entries, leaving out the entry skip (nonzero)
// and any that was deleted meanwhile.
func hits(ix Store, res []index.Result, skip uint64) []Hit {
	out := make([]Hit, 0, len(res))
	for _, r := range res {
		if r.ID == skip && skip != 0 {
			continue
		}
		e, ok := ix.Get(r.ID)
		if !ok {
			continue
		}
		out = append(out, Hit{ID: e.ID, Path: e.Path, Label: e.Label, Score: r.Score})
	}
	return out
}

// Similar returns the k entries most similar to entry id ("more like
// this"), without the entry itself.
func Similar(ix Store, id uint64, k, ef int) ([]Hit, error) {
	e, ok := ix.Get(id)
	if !ok {
		return nil, fmt.Errorf("entry %d: %w", id, ErrNotFound)
	}
	res, err := ix.SearchEf(e.Vector, k+1, ef)
	if err != nil {
		return nil, err
	}
	h := hits(ix, res, id)
	return h[:min(k, len(h))], nil
}

// AtLeast returns the hits scoring at least threshold: the matches, when
// it is a calibrated match threshold. hits must be best first.
func AtLeast(hits []Hit, threshold float64) []Hit {
	for i, h := range hits {
		if float64(h.Score) < threshold {
			return hits[:i]
		}
	}
	return hits
}

// sortGroups orders duplicate groups largest first, then by first ID.
func sortGroups(groups [][]Hit) {
	slices.SortFunc(groups, func(a, b []Hit) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return cmpID(a[0].ID, b[0].ID)
	})
}
