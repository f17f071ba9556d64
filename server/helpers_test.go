package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// testLabels are the classes of the generated collection.
var testLabels = []string{"red", "green", "blue"}

// testToken is the token of fixtures that enable mutations.
const testToken = "test-token-0123456789abcdef"

// makeModel saves a small random keras-small model (8 dimensions) in dir.
func makeModel(t testing.TB, dir string, seed uint64) {
	t.Helper()
	m, err := nn.KerasSmall(8)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 7)))
	if err := nn.Save(dir, m, testLabels, nil); err != nil {
		t.Fatal(err)
	}
}

// testPNG returns a w x h PNG: a noisy picture dominated by the colour of
// class, different for every seed.
func testPNG(t testing.TB, class, seed, w, h int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(class), uint64(seed)))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [3]uint8{uint8(rng.IntN(90)), uint8(rng.IntN(90)), uint8(rng.IntN(90))}
			c[class%3] = uint8(150 + rng.IntN(100))
			if (x/4+y/4+seed)%3 == 0 {
				c[(class+1)%3] += 60
			}
			img.SetNRGBA(x, y, color.NRGBA{c[0], c[1], c[2], 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// dirs are the directories of a test server.
type dirs struct {
	model, index, images string
}

// newDirs makes a model and, when n > 0, a collection of n generated
// 32x32 images (images/<label>/<i>.png) indexed with their relative paths.
func newDirs(t testing.TB, n int) dirs {
	t.Helper()
	return newDirsWith(t, n, func(i int) (string, []byte) {
		class := i % len(testLabels)
		return testLabels[class], testPNG(t, class, i, 32, 32)
	})
}

// newDirsWith is newDirs with the labels and PNGs of the collection
// made by gen.
func newDirsWith(t testing.TB, n int, gen func(i int) (label string, png []byte)) dirs {
	t.Helper()
	root := t.TempDir()
	d := dirs{model: filepath.Join(root, "model"), index: filepath.Join(root, "index"), images: filepath.Join(root, "images")}
	makeModel(t, d.model, 1)
	if n == 0 {
		return d
	}
	m, info, err := nn.Load(d.model)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(d.index, index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var entries []index.Entry
	for i := range n {
		label, img := gen(i)
		rel := filepath.Join(label, fmt.Sprintf("%03d.png", i))
		full := filepath.Join(d.images, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, img, 0o644); err != nil {
			t.Fatal(err)
		}
		px, err := data.DecodeFile(full, 32, data.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, index.Entry{Path: rel, Label: label, Vector: m.Embed(px, 1, 1)})
	}
	if _, err := ix.AddBatch(entries); err != nil {
		t.Fatal(err)
	}
	return d
}

// config returns a server configuration for d that logs to the test.
func (d dirs) config(t testing.TB) Config {
	return Config{
		ModelDir: d.model, IndexDir: d.index, ImagesDir: d.images,
		MaxConcurrent: 2,
		Logger:        slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// weaviateConfig copies the index's entries into a new class of the
// cluster $LOOKALIKE_WEAVIATE and returns a configuration serving it.
func (d dirs) weaviateConfig(t testing.TB) Config {
	t.Helper()
	_, info, err := nn.Load(d.model)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/Web%d", os.Getenv("LOOKALIKE_WEAVIATE"), time.Now().UnixNano())
	ctx := context.Background()
	st, err := collection.OpenStore(ctx, collection.StoreConfig{URL: url}, info)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix, err := collection.OpenStore(ctx, collection.StoreConfig{Dir: d.index, ReadOnly: true}, info)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var entries []index.Entry
	for e := range ix.All() {
		entries = append(entries, e)
	}
	if _, err := st.AddBatch(entries); err != nil {
		t.Fatal(err)
	}
	cfg := d.config(t)
	cfg.IndexDir, cfg.Store = "", url
	return cfg
}

// testServer is a Server behind an httptest.Server.
type testServer struct {
	t   testing.TB
	s   *Server
	ts  *httptest.Server
	url string
}

// start opens a Server on cfg and serves it; both close with the test.
func start(t testing.TB, cfg Config) *testServer {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testServer{t: t, s: s, ts: ts, url: ts.URL}
}

// stop closes the server before the test ends (for restarts).
func (ts *testServer) stop() {
	ts.t.Helper()
	ts.ts.Close()
	if err := ts.s.Close(); err != nil {
		ts.t.Fatal(err)
	}
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test if it is not JSON.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %q", ct, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// errorMsg returns the message of a JSON error response.
func (r response) errorMsg(t testing.TB) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.json(t, &e)
	if e.Error == "" {
		t.Fatalf("error response without a message: %q", r.body)
	}
	return e.Error
}

// do sends a request and reads the whole response.
func do(t testing.TB, method, url string, body io.Reader, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// multipartBody returns a multipart/form-data body with the image as the
// field "image" and the given text fields, and its Content-Type.
func multipartBody(t testing.TB, img []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if img != nil {
		fw, err := mw.CreateFormFile("image", "query.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(img)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// searchMultipart posts img to /api/search as a multipart form.
func (ts *testServer) searchMultipart(img []byte, fields map[string]string, header map[string]string) response {
	ts.t.Helper()
	body, ct := multipartBody(ts.t, img, fields)
	h := map[string]string{"Content-Type": ct}
	for k, v := range header {
		h[k] = v
	}
	return do(ts.t, "POST", ts.url+"/api/search", body, h)
}

// add posts img to /api/images with the token and a label, and returns
// the new image.
func (ts *testServer) add(img []byte, label string) Image {
	ts.t.Helper()
	body, ct := multipartBody(ts.t, img, map[string]string{"label": label})
	r := do(ts.t, "POST", ts.url+"/api/images", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + testToken})
	if r.status != http.StatusCreated {
		ts.t.Fatalf("add: status %d, body %s", r.status, r.body)
	}
	var im Image
	r.json(ts.t, &im)
	return im
}

// searchResults posts img and returns the decoded results, failing on any
// status but 200.
func (ts *testServer) searchResults(img []byte, k int) SearchResponse {
	ts.t.Helper()
	r := do(ts.t, "POST", fmt.Sprintf("%s/api/search?k=%d", ts.url, k), bytes.NewReader(img), map[string]string{"Content-Type": "image/png"})
	if r.status != http.StatusOK {
		ts.t.Fatalf("search: status %d, body %s", r.status, r.body)
	}
	var sr SearchResponse
	r.json(ts.t, &sr)
	return sr
}

// wantError checks a response's status and that it is a JSON error whose
// message contains want.
func wantError(t testing.TB, r response, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if msg := r.errorMsg(t); !strings.Contains(msg, want) {
		t.Fatalf("error %q does not mention %q", msg, want)
	}
}
