package collection

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// UpdateOptions configures Update.
type UpdateOptions struct {
	EmbedOptions
	// Progress, when set, is called after each batch with the number of
	// files embedded so far and the number to embed.
	Progress func(done, total int)
}

// Summary tells what Update did.
type Summary struct {
	Found     int `json:"found"`     // image files in the folder
	Added     int `json:"added"`     // new or changed files embedded and added
	Unchanged int `json:"unchanged"` // files already indexed as they are
	Skipped   int `json:"skipped"`   // unreadable files left out (SkipBad)
	Removed   int `json:"removed"`   // entries whose file is gone
}

// Update brings ix in step with the image files under root, recursively:
// files not yet indexed, or changed since (by size and modification time),
// are embedded with m and added; entries under root whose file is gone are
// deleted. An image in a sub-folder of root is labelled with the
// sub-folder's name (the image-folder layout), one directly in root has no
// label. Paths are stored absolute. Each batch is in the index's log, and
// so survives a crash, before the next one is embedded; running Update
// again after an interruption embeds only what is missing.
func Update(ctx context.Context, m *nn.Model, ix *index.Index, root string, opt UpdateOptions) (Summary, error) {
	var s Summary
	abs, err := filepath.Abs(root)
	if err != nil {
		return s, fmt.Errorf("index %s: %w", root, err)
	}
	files, err := data.ListImages(abs)
	if err != nil {
		return s, err
	}
	s.Found = len(files)
	present := make(map[string]bool, len(files))
	var todo, prints []string
	for _, f := range files {
		present[f] = true
		fi, err := os.Stat(f)
		if err != nil {
			return s, fmt.Errorf("index %s: %w", f, err)
		}
		fp := fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
		if !ix.NeedsUpdate(f, fp) {
			s.Unchanged++
			continue
		}
		todo = append(todo, f)
		prints = append(prints, fp)
	}

	var gone []uint64
	prefix := abs + string(filepath.Separator)
	for e := range ix.All() {
		if strings.HasPrefix(e.Path, prefix) && !present[e.Path] {
			gone = append(gone, e.ID)
		}
	}
	if len(gone) > 0 {
		n, err := ix.DeleteBatch(gone)
		if err != nil {
			return s, fmt.Errorf("index %s: %w", root, err)
		}
		s.Removed = n
	}

	entries := make([]index.Entry, 0, opt.Batch)
	err = EmbedFiles(ctx, m, todo, opt.EmbedOptions, func(b Batch) error {
		dim := m.Dim()
		entries = entries[:0]
		for j, i := range b.Index {
			entries = append(entries, index.Entry{
				Path: todo[i], Label: labelOf(abs, todo[i]), Fingerprint: prints[i],
				Vector: b.Vectors[j*dim : (j+1)*dim],
			})
		}
		if len(entries) > 0 {
			if _, err := ix.AddBatch(entries); err != nil {
				return err
			}
		}
		s.Added += len(entries)
		if opt.Progress != nil {
			opt.Progress(b.End, len(todo))
		}
		return nil
	})
	s.Skipped = len(todo) - s.Added
	if err != nil {
		s.Skipped = 0
		return s, err
	}
	return s, nil
}

// labelOf returns the first folder of path below root, or "" for a file
// directly in root.
func labelOf(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return ""
	}
	if dir, _, ok := strings.Cut(rel, string(filepath.Separator)); ok {
		return dir
	}
	return ""
}
