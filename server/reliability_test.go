//go:build unix

package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// TestResultsCarryRelativePaths builds the index as "lookalike index" does
// (collection.Update) and, for an older index, with absolute paths, and
// checks that no answer shows the server's absolute paths.
func TestResultsCarryRelativePaths(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			d := newDirs(t, 0)
			for i := range 6 {
				p := filepath.Join(d.images, testLabels[i%3], fmt.Sprintf("%d.png", i))
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, testPNG(t, i%3, i, 32, 32), 0o644)
			}
			m, info, err := nn.Load(d.model)
			if err != nil {
				t.Fatal(err)
			}
			ix, err := index.Open(d.index, index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}})
			if err != nil {
				t.Fatal(err)
			}
			if legacy {
				files, _ := data.ListImages(d.images)
				for _, f := range files {
					px, _ := data.DecodeFile(f, 32, data.Limits{})
					ix.Add(index.Entry{Path: f, Label: filepath.Base(filepath.Dir(f)), Vector: m.Embed(px, 1, 1)})
				}
			} else if _, err := collection.Update(context.Background(), m, ix, d.images, collection.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			ix.Close()
			cfg := d.config(t)
			cfg.Token = testToken
			ts := start(t, cfg)
			res := ts.searchResults(testPNG(t, 0, 0, 32, 32), 6)
			if len(res.Results) != 6 {
				t.Fatalf("%d results", len(res.Results))
			}
			for _, r := range res.Results {
				if filepath.IsAbs(r.Path) || strings.Contains(r.Path, d.images) || !strings.HasSuffix(r.Path, ".png") || !strings.Contains(r.Path, "/") {
					t.Fatalf("result path %q: want one relative to the collection", r.Path)
				}
			}
			by := do(t, "POST", fmt.Sprintf("%s/api/search/by-id/%d", ts.url, res.Results[0].ID), nil, nil)
			if by.status != http.StatusOK || bytes.Contains(by.body, []byte(d.images)) {
				t.Fatalf("by-id: %d %s", by.status, by.body)
			}
		})
	}
}

func TestEmptyBearerToken(t *testing.T) {
	d := newDirs(t, 1)
	cfg := d.config(t)
	cfg.Token = testToken
	ts := start(t, cfg)
	for _, auth := range []string{"Bearer ", "Bearer", "bearer    "} {
		r := do(t, "DELETE", ts.url+"/api/images/1", nil, map[string]string{"Authorization": auth})
		wantError(t, r, http.StatusUnauthorized, "empty token")
	}
	r := do(t, "DELETE", ts.url+"/api/images/1", nil, map[string]string{"Authorization": "Basic abc"})
	wantError(t, r, http.StatusUnauthorized, "unsupported Authorization scheme")
}

// TestHeaderLimitIsJSON sends an oversized query string and an oversized
// header to a server as Serve configures it: the answer is a JSON 431.
func TestHeaderLimitIsJSON(t *testing.T) {
	d := newDirs(t, 1)
	s, err := Open(d.config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()
	url := "http://" + ln.Addr().String()
	long := strings.Repeat("a", 100<<10)
	r := do(t, "GET", url+"/api/stats?q="+long, nil, nil)
	wantError(t, r, http.StatusRequestHeaderFieldsTooLarge, "too large")
	r = do(t, "GET", url+"/api/stats", nil, map[string]string{"X-Big": long})
	wantError(t, r, http.StatusRequestHeaderFieldsTooLarge, "too large")
	if r := do(t, "GET", url+"/api/stats", nil, map[string]string{"X-Small": long[:1000]}); r.status != http.StatusOK {
		t.Fatalf("a normal request: %d %s", r.status, r.body)
	}
}

// TestPendingUploadRemovedOnStart leaves an upload as a crash between
// saving the file and logging its entry does, and checks that the next
// start removes it (and says so) while keeping acknowledged images.
func TestPendingUploadRemovedOnStart(t *testing.T) {
	d := newDirs(t, 2)
	cfg := d.config(t)
	cfg.Token = testToken
	var logs bytes.Buffer
	ts := start(t, cfg)
	kept := ts.add(testPNG(t, 1, 40, 32, 32), "kept")
	ts.stop()
	orphan := filepath.Join(d.images, UploadsDir, ".99.png.pending")
	if err := os.WriteFile(orphan, testPNG(t, 2, 41, 32, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ts = start(t, cfg)
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("the crash's leftover is still there: %v", err)
	}
	if !strings.Contains(logs.String(), ".99.png.pending") {
		t.Fatalf("the removal was not logged: %s", logs.String())
	}
	if r := do(t, "GET", fmt.Sprintf("%s/api/images/%d", ts.url, kept.ID), nil, nil); r.status != http.StatusOK {
		t.Fatalf("the acknowledged upload: %d", r.status)
	}
}

// TestModelFromIndex starts a server with the index alone, after a first
// start recorded where the model and images are.
func TestModelFromIndex(t *testing.T) {
	d := newDirs(t, 3)
	ts := start(t, d.config(t))
	ts.stop()
	cfg := d.config(t)
	cfg.ModelDir, cfg.ImagesDir = "", ""
	ts = start(t, cfg)
	if ts.s.ImagesDir() != d.images {
		t.Fatalf("images %s, want the recorded %s", ts.s.ImagesDir(), d.images)
	}
	ts.stop()
	os.Rename(d.model, d.model+"-moved")
	_, err := Open(cfg)
	if err == nil || !strings.Contains(err.Error(), d.model) || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("moved model: %v", err)
	}
	cfg.ImagesDir = t.TempDir()
	cfg.ModelDir = d.model + "-moved"
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "another image folder") {
		t.Fatalf("another collection root: %v", err)
	}
}

// TestFIFOEntryDoesNotHang replaces an indexed image with a FIFO: reading
// it must fail at once, not block the request forever.
func TestFIFOEntryDoesNotHang(t *testing.T) {
	d := newDirs(t, 2)
	ts := start(t, d.config(t))
	e, _ := ts.s.ix.Get(1)
	p := filepath.Join(d.images, filepath.FromSlash(e.Path))
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan response, 2)
	go func() {
		done <- do(t, "GET", ts.url+"/api/images/1", nil, nil)
		done <- do(t, "GET", ts.url+"/api/images/1/thumb", nil, nil)
	}()
	for range 2 {
		select {
		case r := <-done:
			wantError(t, r, http.StatusNotFound, "missing")
		case <-time.After(10 * time.Second):
			t.Fatal("reading a FIFO entry blocked")
		}
	}
}

// TestUploadSkipsTakenNames puts a file where the next upload would go:
// the upload takes the next free id instead of failing, and ids the index
// gave out before (deleted ones too) are not given out again.
func TestUploadSkipsTakenNames(t *testing.T) {
	d := newDirs(t, 2)
	cfg := d.config(t)
	cfg.Token = testToken
	ts := start(t, cfg)
	first := ts.add(testPNG(t, 1, 50, 32, 32), "a")
	stray := filepath.Join(d.images, UploadsDir, fmt.Sprintf("%d.png", first.ID+1))
	if err := os.WriteFile(stray, testPNG(t, 2, 51, 32, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	second := ts.add(testPNG(t, 1, 52, 32, 32), "b")
	if second.ID != first.ID+2 {
		t.Fatalf("second upload got id %d, want %d (the next free)", second.ID, first.ID+2)
	}
	ts.stop()
	// The index retires the top id; the restarted server must not reuse it.
	ix, err := index.Open(d.index, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Delete(second.ID)
	ix.Close()
	os.Remove(filepath.Join(d.images, filepath.FromSlash(second.Path)))
	os.Remove(stray)
	ts = start(t, cfg)
	if third := ts.add(testPNG(t, 0, 53, 32, 32), "c"); third.ID <= second.ID {
		t.Fatalf("third upload got id %d, reusing a retired one (<= %d)", third.ID, second.ID)
	}
}
