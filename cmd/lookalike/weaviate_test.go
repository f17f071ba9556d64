package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWeaviateCommands indexes a folder into a Weaviate class with
// --store, re-indexes (nothing added), searches, and evaluates through
// it, against the cluster of $LOOKALIKE_WEAVIATE (skipped without one,
// except in CI).
func TestWeaviateCommands(t *testing.T) {
	base := os.Getenv("LOOKALIKE_WEAVIATE")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LOOKALIKE_WEAVIATE is not set: .ci/run starts a cluster for this test")
		}
		t.Skip("no Weaviate cluster: set LOOKALIKE_WEAVIATE=weaviate://127.0.0.1:8081")
	}
	store := fmt.Sprintf("%s/Cli%d", base, time.Now().UnixNano())
	root, model := trainedModel(t)
	test := filepath.Join(root, "test")
	out, err := run(t, "index", "--model", model, "--images", test, "--store", store, "--replicas", "3")
	if err != nil || !strings.Contains(out, "12 images found, 12 added") {
		t.Fatalf("index --store: %v\n%s", err, out)
	}
	if out, err = run(t, "index", "--model", model, "--images", test, "--store", store); err != nil || !strings.Contains(out, "0 added, 12 unchanged") {
		t.Fatalf("second index --store: %v\n%s", err, out)
	}
	out, err = run(t, "search", "--store", store, "--model", model, "--image", filepath.Join(test, "green", "2.png"), "-k", "3")
	if err != nil || !strings.Contains(out, "green/2.png") {
		t.Fatalf("search --store: %v\n%s", err, out)
	}
	out, err = run(t, "eval", "--model", model, "--data", root, "--store", store, "--out", t.TempDir())
	if err != nil || !strings.Contains(out, "precision@1") {
		t.Fatalf("eval --store: %v\n%s", err, out)
	}
	// Two shards fill another class at once: each its share, disjoint IDs,
	// together the folder.
	sharded := store + "s"
	for i := range 2 {
		out, err := run(t, "index", "--model", model, "--images", test, "--store", sharded, "--shard", fmt.Sprintf("%d/2", i))
		if err != nil || strings.Contains(out, " 0 added") {
			t.Fatalf("index --shard %d/2: %v\n%s", i, err, out)
		}
	}
	if out, err = run(t, "index", "--model", model, "--images", test, "--store", sharded); err != nil || !strings.Contains(out, "12 images found, 0 added, 12 unchanged") {
		t.Fatalf("index of both shards' class: %v\n%s", err, out)
	}
	if _, err := run(t, "index", "--model", model, "--images", test, "--store", sharded, "--shard", "2/2"); err == nil {
		t.Fatal("--shard 2/2 accepted")
	}
	if _, err := run(t, "index", "--images", test, "--store", store); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Fatalf("index --store without --model: %v", err)
	}
	if _, err := run(t, "search", "--image", filepath.Join(test, "green", "2.png")); err == nil || !strings.Contains(err.Error(), "--store") {
		t.Fatalf("search without a store: %v", err)
	}
}
