package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/report"
)

// run executes the CLI in-process with args and returns its standard
// output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--log-level", "warn"))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// pixel returns a class-dependent colour with per-image variation.
func pixel(class, i, x, y int) color.RGBA {
	v := uint8(30 * i)
	switch class % 3 {
	case 0:
		return color.RGBA{200, v, uint8(x * 8), 255}
	case 1:
		return color.RGBA{v, 200, uint8(y * 8), 255}
	}
	return color.RGBA{uint8((x + y) * 4), v, 200, 255}
}

// imageFolder writes root/{train,test}/<class>/<n>.png for three classes.
func imageFolder(t *testing.T, perClass int) string {
	t.Helper()
	root := t.TempDir()
	for _, split := range []string{"train", "test"} {
		for c, name := range []string{"red", "green", "blue"} {
			dir := filepath.Join(root, split, name)
			os.MkdirAll(dir, 0o755)
			for i := range perClass {
				img := image.NewRGBA(image.Rect(0, 0, 32, 32))
				for y := range 32 {
					for x := range 32 {
						img.Set(x, y, pixel(c, i, x, y))
					}
				}
				var buf bytes.Buffer
				png.Encode(&buf, img)
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.png", i)), buf.Bytes(), 0o644)
			}
		}
	}
	return root
}

// cifarArchive returns a small archive in the CIFAR-10 binary format.
func cifarArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/" + name, Mode: 0o644, Size: int64(len(b))})
		tw.Write(b)
	}
	add("batches.meta.txt", []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"))
	for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		var b []byte
		for i := range 3 {
			for c := range 10 {
				rec := make([]byte, 3073)
				rec[0] = byte(c)
				for p := range 1024 {
					col := pixel(c, i, p%32, p/32)
					rec[1+p], rec[1+1024+p], rec[1+2048+p] = col.R, col.G, col.B
				}
				b = append(b, rec...)
			}
		}
		add(name, b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestShowPairsTrainEvalEmbed(t *testing.T) {
	root := imageFolder(t, 4)
	out := t.TempDir()
	if _, err := run(t, "show", "--data", root, "--out", filepath.Join(out, "grid.png"), "--rows", "2", "--cols", "3"); err != nil {
		t.Fatal(err)
	}
	// 3 columns of 64-pixel tiles with 1-pixel borders around and between.
	checkPNG(t, filepath.Join(out, "grid.png"), 3*64+4, 2*64+3)
	if _, err := run(t, "pairs", "--data", root, "--out", filepath.Join(out, "pairs.png")); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(out, "pairs.png"), 3*64+4, 2*64+3)

	model := filepath.Join(out, "model")
	if _, err := run(t, "train", "--data", filepath.Join(root, "train"), "--epochs", "2", "--steps", "10", "--out", model, "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.json", "model.safetensors", "loss.csv", "loss.png"} {
		if _, err := os.Stat(filepath.Join(model, f)); err != nil {
			t.Fatal(err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(model, "loss.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 21 {
		t.Fatalf("loss.csv has %d lines, want header + 20", lines)
	}
	_, info, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Classes, ",") != "blue,green,red" {
		t.Fatalf("classes %v", info.Classes)
	}

	stdout, err := run(t, "eval", "--model", model, "--data", root, "--out", filepath.Join(out, "report"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "MAP@R") {
		t.Fatalf("eval printed %q", stdout)
	}
	var ev report.Evaluation
	b, err := os.ReadFile(filepath.Join(out, "report", report.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Metrics.Queries != 12 || ev.Metrics.PrecisionAt1 < 0 || ev.Metrics.PrecisionAt1 > 1 {
		t.Fatalf("metrics %+v", ev.Metrics)
	}
	for _, f := range []string{report.NeighboursFile, report.ConfusionFile, report.ReportFile} {
		if _, err := os.Stat(filepath.Join(out, "report", f)); err != nil {
			t.Fatal(err)
		}
	}

	npy := filepath.Join(out, "emb.npy")
	if _, err := run(t, "embed", "--model", model, "--data", filepath.Join(root, "test"), "--out", npy); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(npy); err != nil || fi.Size() != 128+12*8*4 {
		t.Fatalf("npy: %v, size %v", err, fi)
	}
	rows, _ := os.ReadFile(filepath.Join(out, "emb.csv"))
	if !strings.Contains(string(rows), "blue") || strings.Count(string(rows), "\n") != 13 {
		t.Fatalf("emb.csv = %q", rows)
	}
}

func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != w || cfg.Height != h {
		t.Fatalf("%s is %dx%d, want %dx%d", path, cfg.Width, cfg.Height, w, h)
	}
}

// TestDemoDownloadsCIFAR runs the demo without --data against a local
// server that serves a small archive in the CIFAR-10 binary format.
func TestDemoDownloadsCIFAR(t *testing.T) {
	archive := cifarArchive(t)
	sum := md5.Sum(archive)
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Write(archive)
	}))
	defer srv.Close()
	cache, out := t.TempDir(), t.TempDir()
	args := []string{"demo", "--out", out, "--cache", cache, "--cifar-url", srv.URL + "/cifar-10-binary.tar.gz",
		"--cifar-checksum", hex.EncodeToString(sum[:]), "--epochs", "1", "--steps", "5"}
	stdout, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "demo finished") {
		t.Fatalf("stdout %q", stdout)
	}
	for _, f := range []string{"grid.png", "pairs.png", "model/model.json", "report/report.md", "report/metrics.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	// A second run uses the cached archive.
	if _, err := run(t, args...); err != nil {
		t.Fatal(err)
	}
	if requests != 1 {
		t.Fatalf("%d downloads, want 1", requests)
	}
	// A wrong checksum is refused.
	bad := append([]string(nil), args...)
	bad[len(bad)-5] = strings.Repeat("0", 32)
	if _, err := run(t, append(bad, "--cache", t.TempDir())...); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("wrong checksum: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	root := imageFolder(t, 3)
	os.WriteFile(filepath.Join(root, "train", "red", "broken.png"), []byte("not a png"), 0o644)
	model := filepath.Join(t.TempDir(), "m")
	_, err := run(t, "train", "--data", root, "--epochs", "1", "--steps", "2", "--out", model)
	if err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Fatalf("corrupt image: %v", err)
	}
	if _, err := run(t, "train", "--data", root, "--epochs", "1", "--steps", "2", "--out", model, "--skip-bad"); err != nil {
		t.Fatalf("--skip-bad: %v", err)
	}
	if _, err := run(t, "train", "--data", filepath.Join(root, "nope"), "--out", model); err == nil {
		t.Fatal("missing data: want error")
	}
	if _, err := run(t, "train", "--data", root, "--model", "resnet-9000", "--out", model); err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Fatalf("unknown model: %v", err)
	}
	if _, err := run(t, "eval", "--model", t.TempDir(), "--data", root); err == nil || !strings.Contains(err.Error(), "not a model directory") {
		t.Fatalf("missing model: %v", err)
	}
	if _, err := run(t, "train", "extra-arg"); err == nil {
		t.Fatal("stray argument: want error")
	}
}

// TestInterruptAndResume starts a real training process, sends it SIGINT,
// and checks that it saved a checkpoint that --resume continues from.
func TestInterruptAndResume(t *testing.T) {
	if os.Getenv("LOOKALIKE_TEST_MAIN") == "1" {
		os.Args = append([]string{"lookalike"}, strings.Fields(os.Getenv("LOOKALIKE_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	root := imageFolder(t, 3)
	model := filepath.Join(t.TempDir(), "m")
	args := fmt.Sprintf("train --data %s --epochs 2 --steps 300 --checkpoint-every 20 --out %s", root, model)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptAndResume$")
	cmd.Env = append(os.Environ(), "LOOKALIKE_TEST_MAIN=1", "LOOKALIKE_TEST_ARGS="+args)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for training to be under way (its first checkpoint), then interrupt.
	deadline := time.Now().Add(60 * time.Second)
	for !fileExists(filepath.Join(model, "checkpoint", "checkpoint.json")) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 60 s: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want status %d; stderr: %s", err, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--resume") {
		t.Fatalf("stderr does not say how to resume: %s", stderr.String())
	}
	// Resume: it continues from the saved step to the end of the run.
	if _, err := run(t, "train", "--data", root, "--resume", "--out", model); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(model, "loss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csv), "\n"); lines != 601 {
		t.Fatalf("loss.csv has %d lines after resume, want header + 600", lines)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestDisjointClasses trains on two classes and evaluates on the third,
// which the model never saw, as metric-learning benchmarks do.
func TestDisjointClasses(t *testing.T) {
	root := imageFolder(t, 4)
	model := filepath.Join(t.TempDir(), "m")
	if _, err := run(t, "train", "--data", filepath.Join(root, "train"), "--classes", "red,green", "--epochs", "1", "--steps", "5", "--out", model); err != nil {
		t.Fatal(err)
	}
	_, info, err := nn.Load(model)
	if err != nil || strings.Join(info.Classes, ",") != "green,red" {
		t.Fatalf("trained on %v, %v", info, err)
	}
	out, err := run(t, "eval", "--model", model, "--data", filepath.Join(root, "test"), "--classes", "blue,green", "--out", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "not trained on: blue") || !strings.Contains(out, "(8 queries)") {
		t.Fatalf("eval on unseen classes printed %q", out)
	}
	if _, err := run(t, "eval", "--model", model, "--data", filepath.Join(root, "test"), "--classes", "purple"); err == nil || !strings.Contains(err.Error(), "purple") {
		t.Fatalf("unknown class: %v", err)
	}
}
