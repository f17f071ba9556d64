package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookalike/lookalike/server"
)

// weaviateBase returns the cluster of $LOOKALIKE_WEAVIATE, or skips the
// test (fails it in CI, whose .ci/run starts one).
func weaviateBase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("LOOKALIKE_WEAVIATE")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LOOKALIKE_WEAVIATE is not set: .ci/run starts a cluster for this test")
		}
		t.Skip("no Weaviate cluster: set LOOKALIKE_WEAVIATE=weaviate://127.0.0.1:8081")
	}
	return base
}

// TestWeaviateCommands indexes a folder into a Weaviate class with
// --store, re-indexes (nothing added), searches, and evaluates through
// it, against the cluster of $LOOKALIKE_WEAVIATE (skipped without one,
// except in CI).
func TestWeaviateCommands(t *testing.T) {
	base := weaviateBase(t)
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

// TestServeOnWeaviate serves a collection indexed into a Weaviate class:
// the same API answers searches, adds and deletes.
func TestServeOnWeaviate(t *testing.T) {
	base := weaviateBase(t)
	store := fmt.Sprintf("%s/Srv%d", base, time.Now().UnixNano())
	root, model := trainedModel(t)
	test := filepath.Join(root, "test")
	if _, err := run(t, "index", "--model", model, "--images", test, "--store", store); err != nil {
		t.Fatal(err)
	}
	s, err := server.Open(server.Config{Store: store, ModelDir: model, ImagesDir: test, Token: "secret", Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	png, _ := os.ReadFile(filepath.Join(test, "green", "2.png"))
	post := func(url string, body []byte, ctype string, auth bool) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+url, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Host = "localhost"
		if auth {
			req.Header.Set("Authorization", "Bearer secret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %s %v", url, resp.Status, out)
		}
		return out
	}
	res := post("/api/search?k=3", png, "image/png", false)["results"].([]any)
	if len(res) != 3 || res[0].(map[string]any)["path"] != "green/2.png" {
		t.Fatalf("search: %v", res)
	}
	added := post("/api/images", png, "image/png", true)
	id := added["id"].(float64)
	if got := s.Index().Len(); got != 13 {
		t.Fatalf("after adding: %d entries, want 13", got)
	}
	by := post(fmt.Sprintf("/api/search/by-id/%d?k=2", int(id)), nil, "application/x-www-form-urlencoded", false)["results"].([]any)
	if len(by) != 2 || by[0].(map[string]any)["path"] != "green/2.png" {
		t.Fatalf("search by id: %v", by)
	}
	req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/api/images/%d", ts.URL, int(id)), nil)
	req.Host = "localhost"
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	if got := s.Index().Len(); got != 12 {
		t.Fatalf("after deleting: %d entries, want 12", got)
	}
}
