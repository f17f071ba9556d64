package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// trainedModel trains a tiny model on a generated folder and returns the
// folder and the model directory.
func trainedModel(t *testing.T) (root, model string) {
	t.Helper()
	root = imageFolder(t, 4)
	model = filepath.Join(t.TempDir(), "model")
	if _, err := run(t, "train", "--data", root, "--epochs", "1", "--steps", "5", "--out", model); err != nil {
		t.Fatal(err)
	}
	return root, model
}

func TestIndexSearchDupesEval(t *testing.T) {
	root, model := trainedModel(t)
	test := filepath.Join(root, "test")
	// A duplicate: a copy of one test image in another folder.
	b, _ := os.ReadFile(filepath.Join(test, "red", "0.png"))
	os.WriteFile(filepath.Join(test, "blue", "copy.png"), b, 0o644)
	idx := filepath.Join(t.TempDir(), "idx")
	out, err := run(t, "index", "--model", model, "--images", test, "--out", idx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "13 images found, 13 added") {
		t.Fatalf("index printed %q", out)
	}
	if out, _ = run(t, "index", "--model", model, "--images", test, "--out", idx); !strings.Contains(out, "0 added, 13 unchanged") {
		t.Fatalf("second index printed %q", out)
	}

	collage := filepath.Join(t.TempDir(), "s.png")
	out, err = run(t, "search", "--index", idx, "--model", model, "--image", filepath.Join(test, "green", "2.png"), "-k", "3", "--json", "--collage", collage)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Path  string
			Label string
			Score float64
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.Results) != 3 || !strings.HasSuffix(res.Results[0].Path, filepath.Join("green", "2.png")) || res.Results[0].Label != "green" || res.Results[0].Score < 0.999 {
		t.Fatalf("search results %+v", res.Results)
	}
	if _, err := os.Stat(collage); err != nil {
		t.Fatal(err)
	}
	if out, err = run(t, "search", "--index", idx, "--model", model, "--image", filepath.Join(test, "green", "2.png"), "--hnsw", "--collage", ""); err != nil || !strings.Contains(out, "2.png") {
		t.Fatalf("hnsw search: %v %s", err, out)
	}
	// Through int8 codes: the same best result, with its float score.
	if out, err = run(t, "search", "--index", idx, "--model", model, "--image", filepath.Join(test, "green", "2.png"), "--quantize", "int8", "-k", "3"); err != nil ||
		!strings.Contains(strings.SplitN(out, "\n", 2)[0], "2.png") || !strings.Contains(out, "1.0000") {
		t.Fatalf("int8 search: %v %s", err, out)
	}
	if out, err = run(t, "search", "--index", idx, "--model", model, "--image", filepath.Join(test, "green", "2.png"), "--quantize", "int8", "--hnsw", "-k", "3"); err != nil ||
		!strings.Contains(strings.SplitN(out, "\n", 2)[0], "2.png") {
		t.Fatalf("int8 hnsw search: %v %s", err, out)
	}

	out, err = run(t, "dupes", "--index", idx, "--model", model, "--threshold", "0.0001")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1 groups, 2 images of 13") || !strings.Contains(out, "copy.png") {
		t.Fatalf("dupes printed %q", out)
	}

	// Evaluate the test folder (copy.png included) through its index.
	rep := t.TempDir()
	out, err = run(t, "eval", "--model", model, "--data", root, "--index", idx, "--out", rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "through the exact index") {
		t.Fatalf("eval printed %q", out)
	}
	// The exact index gives exactly the brute-force metrics.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	p1 := regexp.MustCompile(`precision@1 ([0-9.]+)`)
	if a, b := p1.FindStringSubmatch(lines[0]), p1.FindStringSubmatch(lines[2]); a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("eval through the exact index differs: %q", out)
	}
	if _, err := run(t, "eval", "--model", model, "--data", filepath.Join(root, "train"), "--index", idx, "--out", rep); err == nil || !strings.Contains(err.Error(), "not in the evaluated data") {
		t.Fatalf("eval with another folder's index: %v", err)
	}

	// Another model is refused.
	other := filepath.Join(t.TempDir(), "other")
	if _, err := run(t, "train", "--data", root, "--epochs", "1", "--steps", "3", "--seed", "9", "--out", other); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "search", "--index", idx, "--model", other, "--image", filepath.Join(test, "green", "2.png")); err == nil || !strings.Contains(err.Error(), "model") {
		t.Fatalf("search with another model: %v", err)
	}
}

// noiseFolder writes n different 32x32 noise PNGs, 0000.png and up, into a
// new folder and returns it.
func noiseFolder(t *testing.T, n int) string {
	t.Helper()
	images := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 32, 32))
		for p := 0; p < 32*32; p++ {
			img.Set(p%32, p/32, color.RGBA{uint8(rng.IntN(256)), uint8(i), uint8(i >> 8), 255})
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		os.WriteFile(filepath.Join(images, fmt.Sprintf("%04d.png", i)), buf.Bytes(), 0o644)
	}
	return images
}

// TestIndexSurvivesSIGKILL kills "lookalike index" mid-way and checks that
// every batch it reported as committed is in the index, intact, and that a
// rerun finishes the job.
func TestIndexSurvivesSIGKILL(t *testing.T) {
	if os.Getenv("LOOKALIKE_TEST_MAIN") == "1" {
		return // the child side runs in TestInterruptAndResume's hook
	}
	_, model := trainedModel(t)
	const n = 3000
	images := noiseFolder(t, n)
	idx := filepath.Join(t.TempDir(), "idx")
	args := fmt.Sprintf("index --model %s --images %s --out %s --batch 20 --workers 1 --log-level debug", model, images, idx)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptAndResume$")
	cmd.Env = append(os.Environ(), "LOOKALIKE_TEST_MAIN=1", "LOOKALIKE_TEST_ARGS="+args)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := regexp.MustCompile(`batch committed"? done=(\d+)`)
	acked := 0
	sc := bufio.NewScanner(stderr)
	var seen []string
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if m := committed.FindStringSubmatch(sc.Text()); m != nil {
			acked, _ = strconv.Atoi(m[1])
		}
		if acked >= 400 || time.Now().After(deadline) {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if acked == 0 || acked >= n {
		t.Fatalf("killed after %d acknowledged images; the test needs a kill mid-way; stderr:\n%s", acked, strings.Join(seen[:min(len(seen), 20)], "\n"))
	}

	_, info, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(idx, index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	if ix.Len() < acked {
		t.Fatalf("%d entries after the kill, but %d were acknowledged", ix.Len(), acked)
	}
	for i := range acked {
		path := fmt.Sprintf("%04d.png", i)
		e, ok := ix.LookupPath(path)
		if !ok || len(e.Vector) != info.Dim {
			t.Fatalf("acknowledged %s missing or damaged: %+v", path, e)
		}
	}
	ix.Close()
	out, err := run(t, "index", "--model", model, "--images", images, "--out", idx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, fmt.Sprintf("%d in the index", n)) {
		t.Fatalf("rerun printed %q", out)
	}
}
