package server

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

func TestSearchUpload(t *testing.T) {
	d := newDirs(t, 24)
	ts := start(t, d.config(t))
	query, err := os.ReadFile(filepath.Join(d.images, "green", "004.png"))
	if err != nil {
		t.Fatal(err)
	}

	check := func(name string, r response, k int) {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d, body %s", name, r.status, r.body)
		}
		var sr SearchResponse
		r.json(t, &sr)
		if len(sr.Results) != k {
			t.Fatalf("%s: %d results, want %d", name, len(sr.Results), k)
		}
		top := sr.Results[0]
		if top.Path != filepath.Join("green", "004.png") || top.Label != "green" || top.Score < 0.999 {
			t.Errorf("%s: top result %+v, want green/004.png with score 1", name, top)
		}
		if top.ImageURL != fmt.Sprintf("/api/images/%d", top.ID) || top.ThumbURL != top.ImageURL+"/thumb" {
			t.Errorf("%s: urls %q %q", name, top.ImageURL, top.ThumbURL)
		}
		for i := 1; i < len(sr.Results); i++ {
			if sr.Results[i].Score > sr.Results[i-1].Score {
				t.Errorf("%s: results not sorted by score: %v", name, sr.Results)
			}
		}
		if sr.TookMS <= 0 || sr.Query != nil {
			t.Errorf("%s: took_ms %v, query %v", name, sr.TookMS, sr.Query)
		}
	}
	check("multipart, default k", ts.searchMultipart(query, nil, nil), DefaultK)
	check("multipart, k field", ts.searchMultipart(query, map[string]string{"k": "3"}, nil), 3)
	check("raw body, k query", do(t, "POST", ts.url+"/api/search?k=5", bytes.NewReader(query), map[string]string{"Content-Type": "image/png"}), 5)
	check("k above the collection", do(t, "POST", ts.url+"/api/search?k=100", bytes.NewReader(query), map[string]string{"Content-Type": "image/png"}), 24)

	// Any size and format is scaled to the model's input.
	big := testPNG(t, 1, 4, 200, 90)
	if r := do(t, "POST", ts.url+"/api/search", bytes.NewReader(big), map[string]string{"Content-Type": "image/png"}); r.status != http.StatusOK {
		t.Fatalf("200x90 image: status %d, body %s", r.status, r.body)
	}
	// A TIFF of the query finds it too (http.DetectContentType does not
	// know TIFF: the server sniffs it itself).
	img, err := png.Decode(bytes.NewReader(query))
	if err != nil {
		t.Fatal(err)
	}
	var tb bytes.Buffer
	if err := tiff.Encode(&tb, img, nil); err != nil {
		t.Fatal(err)
	}
	check("TIFF", do(t, "POST", ts.url+"/api/search?k=3", bytes.NewReader(tb.Bytes()), map[string]string{"Content-Type": "image/tiff"}), 3)
}

func TestSearchByID(t *testing.T) {
	ts := start(t, newDirs(t, 12).config(t))
	r := do(t, "POST", ts.url+"/api/search/by-id/5?k=4", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var sr SearchResponse
	r.json(t, &sr)
	if len(sr.Results) != 4 {
		t.Fatalf("%d results, want 4", len(sr.Results))
	}
	for _, res := range sr.Results {
		if res.ID == 5 {
			t.Errorf("the query image is among its own results: %+v", sr.Results)
		}
	}
	if sr.Query == nil || sr.Query.ID != 5 || sr.Query.Label == "" {
		t.Errorf("query %+v, want image 5", sr.Query)
	}
	// k as a url-encoded form field; all the others when k is large.
	r = do(t, "POST", ts.url+"/api/search/by-id/5", strings.NewReader("k=100"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	r.json(t, &sr)
	if len(sr.Results) != 11 {
		t.Errorf("k=100 form field: %d results, want the 11 others", len(sr.Results))
	}

	wantError(t, do(t, "POST", ts.url+"/api/search/by-id/999", nil, nil), http.StatusNotFound, "no image with id 999")
	wantError(t, do(t, "POST", ts.url+"/api/search/by-id/abc", nil, nil), http.StatusBadRequest, "invalid image id")
	wantError(t, do(t, "POST", ts.url+"/api/search/by-id/5?k=0", nil, nil), http.StatusBadRequest, "k must be")
}

func TestAddGetDelete(t *testing.T) {
	d := newDirs(t, 6)
	cfg := d.config(t)
	cfg.Token = testToken
	ts := start(t, cfg)

	img := testPNG(t, 2, 99, 300, 200)
	added := ts.add(img, "  blue sky ")
	if added.ID != 7 || added.Label != "blue sky" || added.Path != filepath.Join(UploadsDir, "7.png") {
		t.Errorf("added %+v, want id 7, label \"blue sky\", path uploads/7.png", added)
	}
	saved, err := os.ReadFile(filepath.Join(d.images, added.Path))
	if err != nil || !bytes.Equal(saved, img) {
		t.Fatalf("saved file: %v (equal %v)", err, bytes.Equal(saved, img))
	}

	// The original, byte for byte, with its type.
	r := do(t, "GET", ts.url+added.ImageURL, nil, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" || !bytes.Equal(r.body, img) {
		t.Fatalf("get image: status %d, type %q, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	// A thumbnail at most 128 pixels wide, same aspect; then from the cache.
	for range 2 {
		r = do(t, "GET", ts.url+added.ThumbURL, nil, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("thumb: status %d, type %q, body %.200s", r.status, r.header.Get("Content-Type"), r.body)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(r.body))
		if err != nil || cfg.Width != 128 || cfg.Height != 85 {
			t.Fatalf("thumb: %v, %dx%d, want 128x85", err, cfg.Width, cfg.Height)
		}
	}
	etag := r.header.Get("ETag")
	if r := do(t, "GET", ts.url+added.ThumbURL, nil, map[string]string{"If-None-Match": etag}); r.status != http.StatusNotModified {
		t.Errorf("thumb with If-None-Match: status %d, want 304", r.status)
	}
	// A small image keeps its size.
	r = do(t, "GET", ts.url+"/api/images/1/thumb", nil, nil)
	if cfg, err := png.DecodeConfig(bytes.NewReader(r.body)); err != nil || cfg.Width != 32 {
		t.Errorf("32x32 thumb: %v %+v", err, cfg)
	}

	// The added image is found.
	sr := ts.searchResults(img, 1)
	if sr.Results[0].ID != added.ID || sr.Results[0].Label != "blue sky" {
		t.Errorf("search for the added image: %+v", sr.Results)
	}

	// Raw body with ?label=; JPEG-like formats keep their extension.
	r = do(t, "POST", ts.url+"/api/images?label=raw", bytes.NewReader(testPNG(t, 0, 5, 32, 32)),
		map[string]string{"Content-Type": "image/png", "Authorization": "Bearer " + testToken})
	var raw Image
	r.json(t, &raw)
	if r.status != http.StatusCreated || raw.ID != 8 || raw.Label != "raw" || r.header.Get("Location") != "/api/images/8" {
		t.Errorf("raw add: status %d, %+v, Location %q", r.status, raw, r.header.Get("Location"))
	}

	// Delete: 204, then gone everywhere; the uploaded file is removed.
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	if r := do(t, "DELETE", ts.url+added.ImageURL, nil, auth); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: status %d, body %s", r.status, r.body)
	}
	wantError(t, do(t, "GET", ts.url+added.ImageURL, nil, nil), http.StatusNotFound, "no image with id 7")
	wantError(t, do(t, "GET", ts.url+added.ThumbURL, nil, nil), http.StatusNotFound, "no image with id 7")
	wantError(t, do(t, "DELETE", ts.url+added.ImageURL, nil, auth), http.StatusNotFound, "no image with id 7")
	if _, err := os.Stat(filepath.Join(d.images, added.Path)); !os.IsNotExist(err) {
		t.Errorf("uploaded file still there after delete: %v", err)
	}
	if sr := ts.searchResults(img, 10); sr.Results[0].ID == added.ID {
		t.Errorf("deleted image still found")
	}
	// Deleting an original image keeps its file.
	if r := do(t, "DELETE", ts.url+"/api/images/1", nil, auth); r.status != http.StatusNoContent {
		t.Fatalf("delete 1: status %d", r.status)
	}
	if _, err := os.Stat(filepath.Join(d.images, "red", "000.png")); err != nil {
		t.Errorf("original file removed by delete: %v", err)
	}
}

func TestStatsHealthMetrics(t *testing.T) {
	d := newDirs(t, 5)
	ts := start(t, d.config(t))
	var st Stats
	do(t, "GET", ts.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 5 || st.Model.Name != "keras-small" || st.Model.Dim != 8 || len(st.Model.Fingerprint) != 64 ||
		st.Index.Kind != "exact" || st.Index.Metric != "cosine" || st.Mutations || st.UptimeS < 0 || st.MaxK != MaxK {
		t.Errorf("stats %+v", st)
	}
	var h map[string]any
	r := do(t, "GET", ts.url+"/healthz", nil, nil)
	r.json(t, &h)
	if r.status != http.StatusOK || h["status"] != "ok" {
		t.Errorf("healthz: %d %v", r.status, h)
	}

	ts.searchResults(testPNG(t, 0, 1, 32, 32), 3)
	do(t, "GET", ts.url+"/api/images/999", nil, nil)
	r = do(t, "GET", ts.url+"/metrics", nil, nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`lookalike_http_requests_total{code="200",route="POST /api/search"} 1`,
		`lookalike_http_requests_total{code="404",route="GET /api/images/{id}"} 1`,
		`lookalike_http_request_duration_seconds_bucket{route="POST /api/search",le="+Inf"} 1`,
		"lookalike_index_entries 5",
		"lookalike_embeddings_in_flight 0",
		"lookalike_embedding_slots 2",
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNewIndexIsCreated(t *testing.T) {
	d := newDirs(t, 0)
	cfg := d.config(t)
	cfg.ImagesDir = "" // default: INDEX/images
	cfg.HNSW = true    // either kind starts empty
	cfg.Token = testToken
	ts := start(t, cfg)
	if _, err := os.Stat(filepath.Join(d.index, "images")); err != nil {
		t.Fatalf("default collection not created: %v", err)
	}
	if sr := ts.searchResults(testPNG(t, 0, 1, 32, 32), 5); len(sr.Results) != 0 {
		t.Fatalf("empty index: %d results", len(sr.Results))
	}
	im := ts.add(testPNG(t, 0, 1, 32, 32), "first")
	if im.ID != 1 {
		t.Errorf("first image id %d, want 1", im.ID)
	}
	var st Stats
	do(t, "GET", ts.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 1 || st.Index.Kind != "hnsw" || !st.Mutations {
		t.Errorf("stats %+v", st)
	}
}

func TestModelMismatch(t *testing.T) {
	d := newDirs(t, 3)
	other := filepath.Join(t.TempDir(), "other")
	makeModel(t, other, 2)
	cfg := d.config(t)
	cfg.ModelDir = other
	_, err := Open(cfg)
	if err == nil || !strings.Contains(err.Error(), "built with another model") {
		t.Fatalf("open with another model: %v", err)
	}
	// The index is left intact and the right model still opens it.
	start(t, d.config(t))
}

func TestWebPage(t *testing.T) {
	ts := start(t, newDirs(t, 0).config(t))
	for path, ctype := range map[string]string{"/": "text/html", "/app.js": "text/javascript", "/style.css": "text/css", "/api/openapi.yaml": "application/yaml"} {
		r := do(t, "GET", ts.url+path, nil, nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) || len(r.body) < 500 {
			t.Errorf("%s: status %d, type %q, %d bytes", path, r.status, r.header.Get("Content-Type"), len(r.body))
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r := do(t, "GET", ts.url+path, nil, map[string]string{"If-None-Match": r.header.Get("ETag")}); r.status != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", path, r.status)
		}
	}
	page := do(t, "GET", ts.url+"/", nil, nil).body
	for _, external := range []string{"http://", "https://", "//cdn"} {
		if bytes.Contains(page, []byte(external)) && !bytes.Contains(page, []byte("http://www.w3.org/2000/svg")) {
			t.Errorf("page references %q", external)
		}
	}
}

func TestThumbCache(t *testing.T) {
	c := newThumbCache(800)
	for id := uint64(1); id <= 9; id++ {
		c.put(thumbKey{id: id}, make([]byte, 100))
	}
	if c.size() != 800 {
		t.Errorf("size %d, want 800", c.size())
	}
	if _, ok := c.get(thumbKey{id: 1}); ok {
		t.Error("least recently used thumbnail not evicted")
	}
	c.get(thumbKey{id: 2})
	c.put(thumbKey{id: 10}, make([]byte, 100))
	if _, ok := c.get(thumbKey{id: 2}); !ok {
		t.Error("recently used thumbnail evicted")
	}
	if _, ok := c.get(thumbKey{id: 3}); ok {
		t.Error("thumbnail 3 should be the one evicted")
	}
	if _, ok := c.get(thumbKey{id: 2, mod: 1}); ok {
		t.Error("thumbnail of a changed file returned")
	}
	c.put(thumbKey{id: 11}, make([]byte, 101)) // over an eighth: not cached
	if _, ok := c.get(thumbKey{id: 11}); ok {
		t.Error("oversized thumbnail cached")
	}
	c.remove(2)
	if _, ok := c.get(thumbKey{id: 2}); ok || c.size() != 700 {
		t.Errorf("remove: size %d", c.size())
	}
}

// TestOpenAPICoversRoutes checks that the OpenAPI file documents every
// route the server registers, with its method.
func TestOpenAPICoversRoutes(t *testing.T) {
	spec, err := web.ReadFile("web/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`route\("(GET|POST|DELETE) (/[^"]*)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 8 {
		t.Fatalf("found only %d routes in server.go", len(routes))
	}
	for _, r := range routes {
		method, path := strings.ToLower(r[1]), r[2]
		i := bytes.Index(spec, []byte("\n  "+path+":\n"))
		if i < 0 {
			t.Errorf("openapi.yaml lacks path %s", path)
			continue
		}
		rest := spec[i+1:]
		if j := bytes.Index(rest[1:], []byte("\n  /")); j >= 0 {
			rest = rest[:j+1]
		}
		if !bytes.Contains(rest, []byte("\n    "+method+":")) {
			t.Errorf("openapi.yaml lacks %s %s", r[1], path)
		}
	}
}
