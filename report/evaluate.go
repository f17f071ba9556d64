package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/viz"
)

// Files written by Evaluate.
const (
	MetricsFile    = "metrics.json"
	NeighboursFile = "neighbours.png"
	ConfusionFile  = "confusion.png"
	ReportFile     = "report.md"
)

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Queries   int    // rows of the neighbour collage (5 in the example)
	Neighbors int    // neighbours per row (10)
	Seed      uint64 // picks the collage's queries
	Batch     int    // images embedded at once
	Logger    *slog.Logger
	// Index, when set, must hold the same images: the metrics are then also
	// computed from its search results, exact or approximate, so that what
	// an approximate index loses is visible.
	Index collection.Store
	// IndexRoot is the root of the index's collection, that its entry
	// keys are relative to.
	IndexRoot string
	// IndexEf is an HNSW index's search breadth (raised to the ranking
	// length).
	IndexEf int
}

// IndexEvaluation is the part of metrics.json measured through an index.
type IndexEvaluation struct {
	Kind    string       `json:"kind"`
	Ef      int          `json:"ef,omitempty"`
	Metrics eval.Metrics `json:"metrics"`
	// NeighbourRecall10 is the fraction of each image's 10 exact nearest
	// neighbours that the index returns when asked for 10 (at its default
	// search breadth EfSearch for HNSW), averaged.
	NeighbourRecall10 float64 `json:"neighbour_recall_at_10"`
	EfSearch          int     `json:"ef_search,omitempty"`
	Seconds           float64 `json:"search_seconds"`
}

// Evaluation is the content of metrics.json.
type Evaluation struct {
	Model       string       `json:"model"`
	Fingerprint string       `json:"model_fingerprint"`
	Data        string       `json:"data"`
	Metrics     eval.Metrics `json:"metrics"`
	Confusion   [][]int      `json:"confusion_matrix"`
	Classes     []string     `json:"classes"`
	// UnseenClasses are the classes of the data the model was not trained
	// on (all of them in the disjoint-class protocol of metric learning:
	// labels only score the neighbours).
	UnseenClasses []string         `json:"unseen_classes,omitempty"`
	EmbedSecs     float64          `json:"embed_seconds"`
	Index         *IndexEvaluation `json:"index,omitempty"`
}

// Evaluate embeds every image of ds with m, computes the leave-one-out
// retrieval metrics over the whole set and writes metrics.json, the
// near-neighbour collage, the confusion matrix of neighbour classes and a
// report.md that shows them, all into dir.
func Evaluate(m *nn.Model, info *nn.Info, ds *data.Dataset, dataName, dir string, opt EvalOptions) (*Evaluation, error) {
	if opt.Queries <= 0 {
		opt.Queries = 5
	}
	if opt.Neighbors <= 0 {
		opt.Neighbors = 10
	}
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if ds.Len() < 2 {
		return nil, fmt.Errorf("evaluate: %d images; need at least 2", ds.Len())
	}
	if ds.Size != m.Size {
		return nil, fmt.Errorf("evaluate: images are %dx%d, model takes %dx%d", ds.Size, ds.Size, m.Size, m.Size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	start := time.Now()
	emb := ds.Map(func(px []uint8, n int) []float32 { return m.Embed(px, n, opt.Batch) })
	dim := m.Dim()
	ev := &Evaluation{Model: info.Name, Fingerprint: info.Fingerprint, Data: dataName, Classes: ds.Classes, EmbedSecs: time.Since(start).Seconds()}
	for _, c := range ds.Classes {
		if len(info.Classes) > 0 && !slices.Contains(info.Classes, c) {
			ev.UnseenClasses = append(ev.UnseenClasses, c)
		}
	}
	opt.Logger.Info("embedded", "images", ds.Len(), "took", time.Since(start).Round(time.Millisecond))

	var err error
	if ev.Metrics, err = eval.Retrieval(emb, dim, ds.Labels, eval.Options{}); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	ev.Confusion = eval.ConfusionMatrix(emb, dim, ds.Labels, len(ds.Classes), 10, 10)
	if opt.Index != nil {
		if ev.Index, err = evaluateIndex(opt.Index, opt.IndexRoot, opt.IndexEf, emb, dim, ds); err != nil {
			return nil, fmt.Errorf("evaluate through the index: %w", err)
		}
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, MetricsFile), append(b, '\n')); err != nil {
		return nil, err
	}

	// The example's collage: random queries, each followed by its nearest
	// neighbours, framed green when of the query's class.
	rng := rand.New(rand.NewPCG(opt.Seed, 0xc011))
	queries := make([]int, opt.Queries)
	for i := range queries {
		queries[i] = rng.IntN(ds.Len())
	}
	nbrs := eval.Neighbours(emb, dim, queries, opt.Neighbors)
	rows := make([][]image.Image, len(queries))
	labels := make([][]string, len(queries))
	correct := make([][]bool, len(queries))
	for i, q := range queries {
		rows[i] = append(rows[i], ds.RGBA(q))
		labels[i] = append(labels[i], className(ds, q))
		correct[i] = append(correct[i], true)
		for _, j := range nbrs[i] {
			rows[i] = append(rows[i], ds.RGBA(j))
			labels[i] = append(labels[i], className(ds, j))
			correct[i] = append(correct[i], ds.Labels[j] == ds.Labels[q])
		}
	}
	if err := viz.WritePNG(filepath.Join(dir, NeighboursFile), viz.NeighbourCollage(rows, 2, labels, correct)); err != nil {
		return nil, err
	}
	cm := viz.ConfusionMatrixPNG(ev.Confusion, ds.Classes, "Classes of the 10 nearest neighbours of 10 queries per class")
	if err := viz.WritePNG(filepath.Join(dir, ConfusionFile), cm); err != nil {
		return nil, err
	}
	if err := writeMarkdown(filepath.Join(dir, ReportFile), ev, ds.Len()); err != nil {
		return nil, err
	}
	return ev, nil
}

// evaluateIndex scores the rankings that ix returns for every image of ds.
func evaluateIndex(ix collection.Store, root string, ef int, emb []float32, dim int, ds *data.Dataset) (*IndexEvaluation, error) {
	// The longest ranking MAP@R needs: the largest class, less the query.
	longest := 10
	for _, idx := range ds.ClassIndices() {
		longest = max(longest, len(idx)-1)
	}
	start := time.Now()
	ranked, err := collection.Rankings(ix, root, emb, ds.Paths, min(longest, ds.Len()-1), ef)
	if err != nil {
		return nil, err
	}
	ie := &IndexEvaluation{Kind: "weaviate", Seconds: time.Since(start).Seconds()}
	if k, ok := ix.(interface{ Kind() index.Kind }); ok {
		ie.Kind = k.Kind().String()
		if k.Kind() == index.KindHNSW {
			ie.Ef, ie.EfSearch = max(ef, longest+1), ef
		}
	}
	if ie.Metrics, err = eval.FromRankings(ds.Labels, ranked, eval.Options{}); err != nil {
		return nil, err
	}
	// Neighbour recall at the index's own search breadth, as a search for
	// 10 results would use it.
	top10, err := collection.Rankings(ix, root, emb, ds.Paths, min(10, ds.Len()-1), ef)
	if err != nil {
		return nil, err
	}
	all := make([]int, ds.Len())
	for i := range all {
		all[i] = i
	}
	exact := eval.Neighbours(emb, dim, all, min(10, ds.Len()-1))
	var found, total int
	for q, want := range exact {
		got := map[int]bool{}
		for _, j := range top10[q] {
			got[j] = true
		}
		for _, j := range want {
			if got[j] {
				found++
			}
		}
		total += len(want)
	}
	ie.NeighbourRecall10 = float64(found) / float64(max(total, 1))
	return ie, nil
}

func className(ds *data.Dataset, i int) string {
	if l := ds.Labels[i]; l >= 0 && l < len(ds.Classes) {
		return ds.Classes[l]
	}
	return "?"
}

func writeMarkdown(path string, ev *Evaluation, n int) error {
	mt := ev.Metrics
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		fmt.Fprintf(w, "# Evaluation of %s\n\n", ev.Model)
		fmt.Fprintf(w, "Model fingerprint `%s`, data `%s`: %d images in %d classes, every image a query against all the others (leave-one-out).\n\n",
			short(ev.Fingerprint), ev.Data, n, len(ev.Classes))
		if u := ev.UnseenClasses; len(u) > 0 {
			fmt.Fprintf(w, "The model was not trained on %d of these classes (%s): their labels only score the neighbours.\n\n", len(u), strings.Join(u, ", "))
		}
		fmt.Fprintf(w, "| metric | value |\n|---|---|\n")
		fmt.Fprintf(w, "| precision@1 | %.4f |\n| precision@10 | %.4f |\n| R-precision | %.4f |\n| MAP@R | %.4f |\n",
			mt.PrecisionAt1, mt.PrecisionAt10, mt.RPrecision, mt.MAPAtR)
		for _, k := range slices.Sorted(maps.Keys(mt.RecallAtK)) {
			fmt.Fprintf(w, "| recall@%d | %.4f |\n", k, mt.RecallAtK[k])
		}
		if ie := ev.Index; ie != nil {
			im := ie.Metrics
			fmt.Fprintf(w, "\nThrough the %s index", ie.Kind)
			if ie.Ef > 0 {
				fmt.Fprintf(w, " (ef %d)", ie.Ef)
			}
			fmt.Fprintf(w, ", searched in %.1f s: precision@1 %.4f, precision@10 %.4f, R-precision %.4f, MAP@R %.4f; asked for 10 results (ef %d) it returns %.2f%% of the exact 10 nearest neighbours.\n",
				ie.Seconds, im.PrecisionAt1, im.PrecisionAt10, im.RPrecision, im.MAPAtR, ie.EfSearch, 100*ie.NeighbourRecall10)
		}
		fmt.Fprintf(w, "\nR-precision and MAP@R follow Musgrave et al. 2020, \"A Metric Learning Reality Check\"; R is the number of other images of the query's class.\n\n")
		fmt.Fprintf(w, "## Nearest neighbours\n\nEach row: a random query, then its 10 nearest neighbours (green frame: same class, red: another class).\n\n![neighbours](%s)\n\n", NeighboursFile)
		fmt.Fprintf(w, "## Confusion matrix\n\nFor the first 10 images of each class, the classes of their 10 nearest neighbours.\n\n![confusion matrix](%s)\n", ConfusionFile)
		return nil
	})
}

func short(s string) string { return s[:min(12, len(s))] }
