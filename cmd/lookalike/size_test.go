package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainSize trains the fast recipe at 40 pixels on 32-pixel images
// (upscaled as they are read, through a pixel cache), checks that
// model.json records the size and that eval and index embed at it, and
// that keras-small refuses any size but its own with a clear error.
func TestTrainSize(t *testing.T) {
	root := imageFolder(t, 6)
	model := filepath.Join(t.TempDir(), "m40")
	cache := filepath.Join(t.TempDir(), "pixels")
	if _, err := run(t, "train", "--data", root, "--recipe", "fast", "--size", "40", "--epochs", "1",
		"--batch", "9", "--pixel-cache", cache, "--out", model); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cache); err != nil || fi.Size() < 18*40*40*3 {
		t.Fatalf("pixel cache: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(model, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Size int `json:"input_size"`
	}
	if err := json.Unmarshal(b, &info); err != nil || info.Size != 40 {
		t.Fatalf("model.json input_size %d, %v", info.Size, err)
	}
	if out, err := run(t, "eval", "--model", model, "--data", root, "--out", filepath.Join(t.TempDir(), "r")); err != nil || !strings.Contains(out, "precision@1") {
		t.Fatalf("eval at 40 pixels: %v\n%s", err, out)
	}
	if out, err := run(t, "index", "--model", model, "--images", filepath.Join(root, "test"), "--out", filepath.Join(t.TempDir(), "idx")); err != nil || !strings.Contains(out, "18 added") {
		t.Fatalf("index at 40 pixels: %v\n%s", err, out)
	}
	_, err = run(t, "train", "--data", root, "--size", "64", "--epochs", "1", "--steps", "1", "--out", filepath.Join(t.TempDir(), "k"))
	if err == nil || !strings.Contains(err.Error(), "32x32") {
		t.Fatalf("keras-small at 64 pixels: err = %v", err)
	}
}
