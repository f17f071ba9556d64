package viz

import (
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// cifarClasses are the CIFAR-10 class names in label order.
func cifarClasses() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer",
		"dog", "frog", "horse", "ship", "truck"}
}

// sampleTiles returns per images of each CIFAR-10 class from the shared
// copy of the data set when it is there, and synthetic 32x32 tiles
// otherwise.
func sampleTiles(t *testing.T, per int) [][]image.Image {
	out := make([][]image.Image, len(cifarClasses()))
	for c, name := range cifarClasses() {
		dir := filepath.Join("..", "..", "shared", "datasets", "cifar10", "test", name)
		files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for i := 0; i < per; i++ {
			if i < len(files) {
				if img, err := decodePNGFile(files[i]); err == nil {
					out[c] = append(out[c], img)
					continue
				}
			}
			out[c] = append(out[c], syntheticTile(c, i))
		}
	}
	return out
}

func decodePNGFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// TestRenderSamples writes one of each picture into $VIZ_RENDER_DIR so a
// person can look at them; it is skipped when the variable is unset.
func TestRenderSamples(t *testing.T) {
	dir := os.Getenv("VIZ_RENDER_DIR")
	if dir == "" {
		t.Skip("set VIZ_RENDER_DIR to render sample pictures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tiles := sampleTiles(t, 11)
	classes := cifarClasses()

	var grid []image.Image
	for i := 0; i < 25; i++ {
		grid = append(grid, tiles[i%10][i/10])
	}
	mustWrite(t, filepath.Join(dir, "collage.png"), Collage(grid, 5, 5, 2, 2, image.White))

	rng := rand.New(rand.NewPCG(1, 2))
	var rows [][]image.Image
	var labels [][]string
	var correct [][]bool
	for q := 0; q < 5; q++ {
		c := q * 2
		row := []image.Image{tiles[c][0]}
		lab := []string{classes[c]}
		ok := []bool{true}
		for j := 1; j <= 10; j++ {
			nc := c
			if rng.IntN(3) == 0 {
				nc = rng.IntN(10)
			}
			row = append(row, tiles[nc][j])
			lab = append(lab, classes[nc])
			ok = append(ok, nc == c)
		}
		rows, labels, correct = append(rows, row), append(labels, lab), append(correct, ok)
	}
	mustWrite(t, filepath.Join(dir, "neighbours.png"), NeighbourCollage(rows, 2, labels, correct))
	mustWrite(t, filepath.Join(dir, "neighbours_plain.png"), NeighbourCollage(rows, 2, nil, nil))

	mustWrite(t, filepath.Join(dir, "confusion.png"),
		ConfusionMatrixPNG(sampleConfusion(rng, 10), classes, "Neighbour confusion matrix (10 queries x 10 neighbours per class)"))
	long := []string{"airplane (fixed wing)", "automobile", "bird", "cat", "deer",
		"dog", "frog", "horse", "container ship", "pickup truck", "a", "b"}
	mustWrite(t, filepath.Join(dir, "confusion12.png"), ConfusionMatrixPNG(sampleConfusion(rng, 12), long, ""))

	steps, loss := sampleLoss(rng, 3000)
	if err := LossCurve(filepath.Join(dir, "loss.png"), steps, loss, "Training loss",
		LossCurveOptions{EpochEnds: []int{1000, 2000, 3000}}); err != nil {
		t.Fatal(err)
	}
	curve := []XY{{0, 0.12}, {5.3, 0.37}, {10.6, 0.43}, {15.9, 0.44}, {21.2, 0.47}}
	if err := MetricCurve(filepath.Join(dir, "validation.png"), curve, "Validation precision@1 against training time",
		"training time (minutes)", "precision@1"); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

// sampleConfusion returns a plausible n x n neighbour confusion matrix with
// rows summing to 100.
func sampleConfusion(rng *rand.Rand, n int) [][]int {
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
		left := 100
		m[i][i] = 30 + rng.IntN(60)
		left -= m[i][i]
		for left > 0 {
			j := rng.IntN(n)
			d := min(left, 1+rng.IntN(5))
			m[i][j] += d
			left -= d
		}
	}
	return m
}

// sampleLoss returns a noisy decaying loss curve.
func sampleLoss(rng *rand.Rand, n int) ([]int, []float64) {
	steps := make([]int, n)
	loss := make([]float64, n)
	for i := range steps {
		steps[i] = i + 1
		loss[i] = 0.4 + 2*math.Exp(-float64(i)/500) + 0.15*rng.NormFloat64()
	}
	return steps, loss
}
