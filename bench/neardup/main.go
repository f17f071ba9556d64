// Command neardup measures how well lookalike finds near-duplicates, side
// by side with perceptual hashing (pHash and dHash of
// github.com/corona10/goimagehash), for bench/neardup/run.sh.
//
// Usage:
//
//	neardup -data DIR -model MODEL_DIR [-originals 500] [-distractors 4500]
//	    [-size 128] [-seed 1] [-threshold 0] [-md FILE]
//
// From the labelled folder DIR it takes -originals images and -distractors
// others (spread over the classes), scales them to -size pixels, and makes
// one copy of each original per edit of package data/neardup (JPEG quality
// 30-90, 50% size, 5-15% crops, 3-10 degree rotations, brightness and
// contrast, a mirror image, a caption over it). Every image is then a
// query among all the others:
//
//   - lookalike: the model's embeddings in an exact index; a pair is
//     scored by cosine distance, for each image's 10 nearest neighbours
//     (what lookalike dupes examines), and dupes itself
//     (collection.Duplicates) runs at -threshold (0: the threshold this
//     benchmark finds for precision 0.99);
//   - pHash and dHash: 64-bit hashes, every pair scored by Hamming
//     distance.
//
// A pair is a true duplicate when both images come from the same original.
// For each method it reports the threshold where the precision over all
// pairs reaches 0.99 and, at it, each edit's recall (the share of
// original-copy pairs found) and precision (of the found pairs with a copy
// of that edit). Results print as Markdown.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // sources may be JPEGs
	_ "image/png"
	"log"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/data/neardup"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// item is one image of the benchmark set.
type item = neardup.Item

// pair is a scored pair of items; lower distance is more alike.
type pair struct {
	a, b int
	dist float64
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("neardup: ")
	var (
		dataDir     = flag.String("data", "", "labelled image folder to draw from (required)")
		modelDir    = flag.String("model", "", "lookalike model directory (required)")
		originals   = flag.Int("originals", 500, "images that get edited copies")
		distractors = flag.Int("distractors", 4500, "other images")
		size        = flag.Int("size", 128, "side the images are scaled to before editing")
		seed        = flag.Uint64("seed", 1, "random seed of the choice of images and of the edits")
		threshold   = flag.Float64("threshold", 0, "dupes threshold (cosine distance); 0: the one found for precision 0.99")
		md          = flag.String("md", "", "also write the tables to this Markdown file")
	)
	flag.Parse()
	if *dataDir == "" || *modelDir == "" {
		log.Fatal("need -data and -model")
	}
	start := time.Now()
	items := buildSet(*dataDir, *originals, *distractors, *size, *seed)
	logf("%d images: %d originals, %d copies, %d distractors", len(items), *originals, *originals*len(neardup.Transforms()), *distractors)

	m, info, err := nn.Load(*modelDir)
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Now()
	look, ix := lookalikePairs(m, info, items)
	defer ix.Close()
	logf("lookalike: embedded and searched in %.1f s", time.Since(t0).Seconds())
	t0 = time.Now()
	ph, dh := hashPairs(items)
	logf("hashes: computed and compared in %.1f s", time.Since(t0).Seconds())

	var out strings.Builder
	fmt.Fprintf(&out, "Near-duplicates: %d originals from %s at %d px, one copy per edit, among %d distractors; model %s (%.12s).\n\n",
		*originals, *dataDir, *size, *distractors, info.Name, info.Fingerprint)
	methods := []struct {
		name  string
		pairs []pair
		unit  string
	}{{"lookalike", look, "cosine distance"}, {"pHash", ph, "Hamming distance"}, {"dHash", dh, "Hamming distance"}}
	type summary struct {
		th  float64
		res map[string]editRates
	}
	sums := map[string]summary{}
	for _, me := range methods {
		th := thresholdFor(me.pairs, items, 0.99)
		sums[me.name] = summary{th, ratesAt(me.pairs, items, th)}
	}
	fmt.Fprintf(&out, "Recall and precision per edit at each method's threshold for precision 0.99 over all pairs (lookalike %.4f cosine distance, pHash %.0f bits, dHash %.0f bits of 64):\n\n",
		sums["lookalike"].th, sums["pHash"].th, sums["dHash"].th)
	fmt.Fprintf(&out, "| edit | hashes known to miss it | lookalike recall | pHash recall | dHash recall | lookalike precision | pHash precision | dHash precision |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, tr := range append(neardup.Transforms(), neardup.Transform{Name: "all"}) {
		l, p, d := sums["lookalike"].res[tr.Name], sums["pHash"].res[tr.Name], sums["dHash"].res[tr.Name]
		miss := ""
		if tr.HashMisses {
			miss = "yes"
		}
		fmt.Fprintf(&out, "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", tr.Name, miss, l.recall, p.recall, d.recall, l.precision, p.precision, d.precision)
	}

	// lookalike dupes itself, at the given or the found threshold.
	dth := *threshold
	if dth == 0 {
		dth = sums["lookalike"].th
	}
	groups, err := collection.Duplicates(ix, dth, collection.DupesOptions{})
	if err != nil {
		log.Fatal(err)
	}
	var found []pair
	for _, g := range groups {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				found = append(found, pair{a: int(g[i].ID - 1), b: int(g[j].ID - 1)})
			}
		}
	}
	dr := ratesAt(found, items, 0)
	fmt.Fprintf(&out, "\n`lookalike dupes --threshold %.4f` (collection.Duplicates: %d groups, every pair within a group counted):\n\n", dth, len(groups))
	fmt.Fprintf(&out, "| edit | recall | precision |\n|---|---:|---:|\n")
	for _, tr := range append(neardup.Transforms(), neardup.Transform{Name: "all"}) {
		fmt.Fprintf(&out, "| %s | %.3f | %.3f |\n", tr.Name, dr[tr.Name].recall, dr[tr.Name].precision)
	}
	fmt.Fprintf(&out, "\n(%.0f s in all)\n", time.Since(start).Seconds())
	fmt.Print(out.String())
	if *md != "" {
		if err := os.WriteFile(*md, []byte(out.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// buildSet draws the originals and distractors evenly from the classes of
// dir and makes the copies.
func buildSet(dir string, nOrig, nDist, size int, seed uint64) []item {
	classes, err := os.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	var perClass [][]string
	for _, c := range classes {
		if !c.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, c.Name(), "*"))
		if err != nil {
			log.Fatal(err)
		}
		sort.Strings(files)
		perClass = append(perClass, files)
	}
	if len(perClass) == 0 {
		log.Fatalf("%s has no class folders", dir)
	}
	rng := rand.New(rand.NewPCG(seed, 0xc1a5))
	for _, f := range perClass {
		rng.Shuffle(len(f), func(i, j int) { f[i], f[j] = f[j], f[i] })
	}
	var picks []string
	for i := 0; len(picks) < nOrig+nDist; i++ {
		c := perClass[i%len(perClass)]
		if i/len(perClass) >= len(c) {
			log.Fatalf("%s has too few images for %d", dir, nOrig+nDist)
		}
		picks = append(picks, c[i/len(perClass)])
	}
	items, err := neardup.Set(picks[:nOrig], picks[nOrig:], size, seed, func(path string) (image.Image, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return img, nil
	})
	if err != nil {
		log.Fatal(err)
	}
	return items
}

// lookalikePairs embeds the items with the model into an exact index (IDs
// from 1 in item order) and returns each item's 10 nearest neighbours as
// pairs scored by cosine distance, and the index.
func lookalikePairs(m *nn.Model, info *nn.Info, items []item) ([]pair, *index.Index) {
	px := make([]uint8, 0, len(items)*m.Size*m.Size*3)
	for _, it := range items {
		// Through a PNG file's bytes, as a user's images go.
		b, err := it.PNG()
		if err != nil {
			log.Fatal(err)
		}
		p, err := data.DecodeImage(bytes.NewReader(b), m.Size, 0)
		if err != nil {
			log.Fatal(err)
		}
		px = append(px, p...)
	}
	emb := m.Embed(px, len(items), 256)
	dir, err := os.MkdirTemp("", "neardup-index")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ix, err := index.Open(dir, index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: m.Dim(), Metric: index.Cosine}})
	if err != nil {
		log.Fatal(err)
	}
	es := make([]index.Entry, len(items))
	for i := range items {
		es[i] = index.Entry{ID: uint64(i + 1), Path: fmt.Sprintf("%d.png", i), Vector: emb[i*m.Dim() : (i+1)*m.Dim()]}
	}
	if _, err := ix.AddBatch(es); err != nil {
		log.Fatal(err)
	}
	res, err := ix.SearchBatch(emb, len(items), 11)
	if err != nil {
		log.Fatal(err)
	}
	seen := map[[2]int]bool{}
	var out []pair
	for i, rs := range res {
		for _, r := range rs {
			j := int(r.ID - 1)
			if j == i {
				continue
			}
			key := [2]int{min(i, j), max(i, j)}
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, pair{a: key[0], b: key[1], dist: 1 - float64(r.Score)})
		}
	}
	return out, ix
}

// hashPairs hashes every item with pHash and dHash and scores every pair
// by Hamming distance.
func hashPairs(items []item) (ph, dh []pair) {
	p := make([]uint64, len(items))
	d := make([]uint64, len(items))
	for i, it := range items {
		h, err := goimagehash.PerceptionHash(it.Image)
		if err != nil {
			log.Fatal(err)
		}
		p[i] = h.GetHash()
		if h, err = goimagehash.DifferenceHash(it.Image); err != nil {
			log.Fatal(err)
		}
		d[i] = h.GetHash()
	}
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			// Pairs further than half the bits apart can never be counted
			// as duplicates at a useful threshold; leave them out.
			if x := bits.OnesCount64(p[i] ^ p[j]); x <= 32 {
				ph = append(ph, pair{a: i, b: j, dist: float64(x)})
			}
			if x := bits.OnesCount64(d[i] ^ d[j]); x <= 32 {
				dh = append(dh, pair{a: i, b: j, dist: float64(x)})
			}
		}
	}
	return ph, dh
}

func same(items []item, a, b int) bool {
	return items[a].Group >= 0 && items[a].Group == items[b].Group
}

// thresholdFor returns the largest distance threshold at which the pairs
// within it are at least target precise (true duplicates), found by
// sorting: the threshold with the most pairs accepted.
func thresholdFor(pairs []pair, items []item, target float64) float64 {
	ps := slices.Clone(pairs)
	slices.SortFunc(ps, func(x, y pair) int {
		switch {
		case x.dist < y.dist:
			return -1
		case x.dist > y.dist:
			return 1
		}
		return 0
	})
	best := -1.0
	tp := 0
	for i := 0; i < len(ps); {
		d := ps[i].dist
		for ; i < len(ps) && ps[i].dist == d; i++ {
			if same(items, ps[i].a, ps[i].b) {
				tp++
			}
		}
		if float64(tp)/float64(i) >= target {
			best = d
		}
	}
	return best
}

// editRates is the recall (original-copy pairs found) and precision (found
// pairs with a copy of the edit that are true) of one edit.
type editRates struct{ recall, precision float64 }

// ratesAt returns each edit's rates, and "all", for the pairs within th.
func ratesAt(pairs []pair, items []item, th float64) map[string]editRates {
	type count struct{ found, truePairs, tp, fp int }
	c := map[string]*count{"all": {}}
	for _, tr := range neardup.Transforms() {
		c[tr.Name] = &count{}
	}
	for _, it := range items {
		if it.Edit != "" {
			c[it.Edit].truePairs++
			c["all"].truePairs++
		}
	}
	for _, p := range pairs {
		if p.dist > th {
			continue
		}
		ok := same(items, p.a, p.b)
		edits := map[string]bool{"all": true}
		for _, e := range []string{items[p.a].Edit, items[p.b].Edit} {
			if e != "" {
				edits[e] = true
			}
		}
		for e := range edits {
			if ok {
				c[e].tp++
			} else {
				c[e].fp++
			}
		}
		// Recall counts original-copy pairs.
		if ok && (items[p.a].Edit == "") != (items[p.b].Edit == "") {
			e := items[p.a].Edit + items[p.b].Edit
			c[e].found++
			c["all"].found++
		}
	}
	out := map[string]editRates{}
	for e, x := range c {
		r := editRates{precision: 1}
		if x.truePairs > 0 {
			r.recall = float64(x.found) / float64(x.truePairs)
		}
		if x.tp+x.fp > 0 {
			r.precision = float64(x.tp) / float64(x.tp+x.fp)
		}
		out[e] = r
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
