package collection

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"

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
	// Shard and Shards, when Shards > 1, make Update look after only the
	// keys of shard Shard of Shards (see InShard): its files are embedded
	// and its entries removed when their file is gone; the others' are
	// left alone, so that Shards processes can fill one store at once.
	Shard, Shards int
}

// InShard reports whether key belongs to shard i of n: a stable split by
// the key's FNV-1a hash, the same on every machine.
func InShard(key string, i, n int) bool {
	if n <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()%uint64(n) == uint64(i)
}

// Summary tells what Update did.
type Summary struct {
	Found     int `json:"found"`     // image files in the folder (of the shard)
	Added     int `json:"added"`     // new or changed files embedded and added
	Unchanged int `json:"unchanged"` // files already indexed as they are
	Skipped   int `json:"skipped"`   // unreadable files left out (SkipBad)
	Removed   int `json:"removed"`   // entries whose file is gone
	Converted int `json:"converted"` // entries of an older index re-keyed relative to the root
}

// Update brings ix in step with the image files under root, recursively:
// files not yet indexed, or changed since (by Fingerprint), are embedded
// with m and added (a changed file keeps its entry's ID and label);
// entries whose file is gone are deleted. Entries are
// keyed by their path relative to root (see Key), so a file added by the
// server (uploads/<id>.<ext>) is recognised as indexed. An image in a
// sub-folder of root is labelled with the sub-folder's name, one directly
// in root has no label.
//
// Only regular files are read (symbolic links are followed): a dangling
// link, a link loop, a FIFO or a device named like an image is an error
// naming it, or, with SkipBad, a warning, and is skipped (an entry it had
// is kept). Each batch is in the index's log, and so survives a crash,
// before the next one is embedded; running Update again after an
// interruption embeds only what is missing. Uploads left pending by a crash
// are settled first (see Recover), and absolute entry paths of older
// indexes that lie inside root are converted to keys, duplicates dropped.
func Update(ctx context.Context, m *nn.Model, ix Store, root string, opt UpdateOptions) (Summary, error) {
	var s Summary
	abs, err := filepath.Abs(root)
	if err != nil {
		return s, fmt.Errorf("index %s: %w", root, err)
	}
	if err := Recover(ix, abs, opt.Logger); err != nil {
		return s, err
	}
	if s.Converted, err = convertAbsolute(ix, abs); err != nil {
		return s, fmt.Errorf("index %s: %w", root, err)
	}
	files, err := data.ListImages(abs)
	if err != nil {
		return s, err
	}
	if opt.Shards > 1 && (opt.Shard < 0 || opt.Shard >= opt.Shards) {
		return s, fmt.Errorf("index %s: shard %d of %d", root, opt.Shard, opt.Shards)
	}
	present := make(map[string]bool, len(files))
	var todo, keys, prints, labels []string
	var ids []uint64
	for _, f := range files {
		key, ok := Key(abs, f)
		if !ok {
			return s, fmt.Errorf("index %s: %s lies outside the folder", root, f)
		}
		if !InShard(key, opt.Shard, opt.Shards) {
			continue
		}
		s.Found++
		present[key] = true
		fi, err := data.StatFile(f)
		if err != nil {
			err = fmt.Errorf("index %s: %w", f, err)
			if !opt.SkipBad {
				return s, err
			}
			if opt.Logger != nil {
				opt.Logger.Warn("skipping unreadable image", "path", f, "err", err)
			}
			s.Skipped++
			continue
		}
		fp := Fingerprint(fi)
		if !ix.NeedsUpdate(key, fp) {
			s.Unchanged++
			continue
		}
		// A changed file keeps its entry's ID and label: clients hold the
		// ID, an upload's file name is its ID, and its label was given.
		label, id := labelOf(key), uint64(0)
		if e, ok := ix.LookupPath(key); ok {
			label, id = e.Label, e.ID
		}
		todo = append(todo, f)
		keys = append(keys, key)
		prints = append(prints, fp)
		labels = append(labels, label)
		ids = append(ids, id)
	}

	var gone []uint64
	for e := range ix.All() {
		if IsKey(e.Path) && !present[e.Path] && InShard(e.Path, opt.Shard, opt.Shards) {
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
	skipped := s.Skipped
	err = EmbedFiles(ctx, m, todo, opt.EmbedOptions, func(b Batch) error {
		dim := m.Dim()
		entries = entries[:0]
		for j, i := range b.Index {
			entries = append(entries, index.Entry{
				ID: ids[i], Path: keys[i], Label: labels[i], Fingerprint: prints[i],
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
	s.Skipped = skipped + len(todo) - s.Added
	if err != nil {
		s.Skipped = skipped
		return s, err
	}
	return s, nil
}

// convertAbsolute re-keys the entries of ix whose path is absolute and
// inside root (indexes written before keys were relative) to their key,
// keeping their ID, vector, label and fingerprint; an entry whose key is
// already indexed (the same file added again under its key) is deleted.
// It returns how many entries it changed.
func convertAbsolute(ix Store, root string) (int, error) {
	var moved []index.Entry
	var dupes []uint64
	for e := range ix.All() {
		if !filepath.IsAbs(e.Path) {
			continue
		}
		key, ok := Key(root, e.Path)
		if !ok {
			continue
		}
		if ix.Has(key) {
			dupes = append(dupes, e.ID)
			continue
		}
		e.Path = key
		moved = append(moved, e)
	}
	if len(moved) > 0 {
		if _, err := ix.AddBatch(moved); err != nil {
			return 0, err
		}
	}
	if len(dupes) > 0 {
		if _, err := ix.DeleteBatch(dupes); err != nil {
			return len(moved), err
		}
	}
	return len(moved) + len(dupes), nil
}
