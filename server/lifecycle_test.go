package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary run a server instead of the tests; see
// runChild.
const childEnv = "LOOKALIKE_SERVER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild serves the directories named by the environment on a free
// loopback port, printing "LISTENING addr" once ready, until SIGTERM or
// SIGINT (graceful) or SIGKILL.
func runChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s, err := Open(Config{
		ModelDir:  os.Getenv("LOOKALIKE_TEST_MODEL"),
		IndexDir:  os.Getenv("LOOKALIKE_TEST_INDEX"),
		ImagesDir: os.Getenv("LOOKALIKE_TEST_IMAGES"),
		Token:     testToken,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	err = s.Serve(ctx, ln)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// child is a server running in a subprocess.
type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startChild re-executes the test binary as a server on d.
func startChild(t *testing.T, d dirs) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"LOOKALIKE_TEST_MODEL="+d.model, "LOOKALIKE_TEST_INDEX="+d.index, "LOOKALIKE_TEST_IMAGES="+d.images)
	c := &child{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
		if !ok {
			t.Fatalf("child server: %q; log:\n%s", line, c.stderr)
		}
		c.url = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatalf("child server did not start; log:\n%s", c.stderr)
	}
	return c
}

func TestSurvivesSIGKILL(t *testing.T) {
	d := newDirs(t, 4)
	c := startChild(t, d)
	ts := &testServer{t: t, url: c.url}
	var added []Image
	for i := range 3 {
		added = append(added, ts.add(testPNG(t, i, 100+i, 32, 32), fmt.Sprintf("added-%d", i)))
	}
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	for _, path := range []string{imageURL(2), added[1].ImageURL} {
		if r := do(t, "DELETE", c.url+path, nil, auth); r.status != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", path, r.status, r.body)
		}
	}
	// Killed without any chance to flush or close anything.
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()

	c = startChild(t, d)
	ts.url = c.url
	var st Stats
	do(t, "GET", c.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 4+3-2 {
		t.Errorf("%d images after the restart, want 5; log:\n%s", st.Images, c.stderr)
	}
	for i, im := range added {
		r := do(t, "GET", c.url+im.ImageURL, nil, nil)
		want := http.StatusOK
		if i == 1 {
			want = http.StatusNotFound
		}
		if r.status != want {
			t.Errorf("image %d after the restart: status %d, want %d", im.ID, r.status, want)
		}
		if i != 1 && !bytes.Equal(r.body, testPNG(t, i, 100+i, 32, 32)) {
			t.Errorf("image %d after the restart: content differs", im.ID)
		}
	}
	if r := do(t, "GET", c.url+imageURL(2), nil, nil); r.status != http.StatusNotFound {
		t.Errorf("deleted image 2 after the restart: %d", r.status)
	}
	sr := ts.searchResults(testPNG(t, 2, 102, 32, 32), 1)
	if sr.Results[0].ID != added[2].ID || sr.Results[0].Label != "added-2" {
		t.Errorf("search after the restart: %+v", sr.Results)
	}
	// New ids continue after every id given out, deleted ones included.
	if im := ts.add(testPNG(t, 0, 200, 32, 32), "after"); im.ID != added[2].ID+1 {
		t.Errorf("id after the restart %d, want %d", im.ID, added[2].ID+1)
	}

	// SIGTERM: a graceful stop, exit status 0, index closed.
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("child after SIGTERM: %v; log:\n%s", err, c.stderr)
	}
	if !strings.Contains(c.stderr.String(), "index closed") {
		t.Errorf("no \"index closed\" in the log:\n%s", c.stderr)
	}
}

func TestRestartKeepsChanges(t *testing.T) {
	d := newDirs(t, 4)
	cfg := d.config(t)
	cfg.Token = testToken
	cfg.HNSW = true
	ts := start(t, cfg)
	one := ts.add(testPNG(t, 0, 50, 32, 32), "one")
	two := ts.add(testPNG(t, 1, 51, 32, 32), "two")
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	for _, id := range []uint64{2, two.ID} {
		if r := do(t, "DELETE", ts.url+imageURL(id), nil, auth); r.status != http.StatusNoContent {
			t.Fatalf("delete %d: %d %s", id, r.status, r.body)
		}
	}
	ts.stop()

	ts = start(t, cfg)
	var st Stats
	do(t, "GET", ts.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 4 {
		t.Errorf("%d images after the restart, want 4", st.Images)
	}
	if r := do(t, "GET", ts.url+one.ImageURL, nil, nil); r.status != http.StatusOK {
		t.Errorf("added image after the restart: %d", r.status)
	}
	for _, id := range []uint64{2, two.ID} {
		if r := do(t, "GET", ts.url+imageURL(id), nil, nil); r.status != http.StatusNotFound {
			t.Errorf("deleted image %d after the restart: %d", id, r.status)
		}
	}
	if sr := ts.searchResults(testPNG(t, 0, 50, 32, 32), 1); sr.Results[0].ID != one.ID {
		t.Errorf("search after the restart: %+v", sr.Results)
	}
	if three := ts.add(testPNG(t, 2, 52, 32, 32), "three"); three.ID != two.ID+1 {
		t.Errorf("id %d after the restart, want %d (ids of deleted images are not reused)", three.ID, two.ID+1)
	}
	if _, err := os.Stat(filepath.Join(d.images, two.Path)); !os.IsNotExist(err) {
		t.Errorf("file of the deleted upload: %v", err)
	}
}

func TestOverload(t *testing.T) {
	cfg := newDirs(t, 3).config(t)
	cfg.MaxConcurrent = 1
	cfg.QueueWait = 20 * time.Millisecond
	ts := start(t, cfg)
	img := testPNG(t, 0, 1, 32, 32)

	m, err := ts.s.slots.acquire(context.Background(), 0) // the only slot
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []response{
		do(t, "POST", ts.url+"/api/search", bytes.NewReader(img), map[string]string{"Content-Type": "image/png"}),
		do(t, "POST", ts.url+"/api/search/by-id/1", nil, nil),
		do(t, "GET", ts.url+"/api/images/1/thumb", nil, nil),
	} {
		wantError(t, r, http.StatusTooManyRequests, "server busy")
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("429 with Retry-After %q, want 1", r.header.Get("Retry-After"))
		}
	}
	// Requests that need no slot still work.
	if r := do(t, "GET", ts.url+"/api/images/1", nil, nil); r.status != http.StatusOK {
		t.Errorf("image while busy: %d", r.status)
	}
	ts.s.slots.release(m)
	ts.searchResults(img, 2)
	if r := do(t, "GET", ts.url+"/metrics", nil, nil); !bytes.Contains(r.body, []byte(`lookalike_rejected_requests_total{reason="busy"} 3`)) {
		t.Errorf("metrics do not count the 3 rejections:\n%s", r.body)
	}
}

func TestTooManyPending(t *testing.T) {
	cfg := newDirs(t, 3).config(t)
	cfg.MaxPending = 1
	ts := start(t, cfg)
	img := testPNG(t, 0, 1, 32, 32)

	// One upload stuck mid-body holds the only pending place.
	pr, pw := io.Pipe()
	first := make(chan response, 1)
	go func() {
		first <- do(t, "POST", ts.url+"/api/search", pr, map[string]string{"Content-Type": "image/png"})
	}()
	pw.Write(img[:10])
	waitFor(t, func() bool { return ts.s.pending.Load() == 1 })
	r := do(t, "POST", ts.url+"/api/search", bytes.NewReader(img), map[string]string{"Content-Type": "image/png"})
	wantError(t, r, http.StatusTooManyRequests, "requests already in progress")
	pw.Write(img[10:])
	pw.Close()
	if r := <-first; r.status != http.StatusOK {
		t.Errorf("stuck upload: %d %s", r.status, r.body)
	}
	ts.searchResults(img, 1)
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	d := newDirs(t, 3)
	cfg := d.config(t)
	cfg.Token = testToken
	cfg.MaxConcurrent = 1
	cfg.QueueWait = time.Minute
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	img := testPNG(t, 1, 9, 32, 32)

	m, err := s.slots.acquire(context.Background(), 0) // the only slot
	if err != nil {
		t.Fatal(err)
	}
	// An add still sending its body when the shutdown starts...
	pr, pw := io.Pipe()
	added := make(chan response, 1)
	go func() {
		added <- do(t, "POST", url+"/api/images?label=late", pr,
			map[string]string{"Content-Type": "image/png", "Authorization": "Bearer " + testToken})
	}()
	pw.Write(img[:20])
	// ...and a search waiting for the busy slot.
	waiting := make(chan response, 1)
	go func() {
		waiting <- do(t, "POST", url+"/api/search", bytes.NewReader(img), map[string]string{"Content-Type": "image/png"})
	}()
	waitFor(t, func() bool { return s.pending.Load() == 2 })
	time.Sleep(20 * time.Millisecond) // the search is now in acquire

	cancel()
	r := <-waiting
	wantError(t, r, http.StatusServiceUnavailable, "shutting down")
	waitFor(t, func() bool { return s.draining.Load() })
	// The in-flight add finishes once its body is complete.
	s.slots.release(m)
	pw.Write(img[20:])
	pw.Close()
	if r := <-added; r.status != http.StatusCreated {
		t.Fatalf("in-flight add during shutdown: %d %s", r.status, r.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The add is durable.
	ts := start(t, cfg)
	var st Stats
	do(t, "GET", ts.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 4 {
		t.Errorf("%d images after the shutdown, want 4", st.Images)
	}
}

func TestRequestTimeout(t *testing.T) {
	cfg := newDirs(t, 2).config(t)
	cfg.MaxConcurrent = 1
	cfg.QueueWait = time.Minute
	cfg.Timeout = 100 * time.Millisecond
	ts := start(t, cfg)
	m, _ := ts.s.slots.acquire(context.Background(), 0)
	defer ts.s.slots.release(m)
	r := do(t, "POST", ts.url+"/api/search/by-id/1", nil, nil)
	wantError(t, r, http.StatusServiceUnavailable, "timed out")
}

// TestReadOnlyCollectionUntouched checks that serving and searching an
// existing collection writes nothing into it: the uploads folder appears
// with the first upload only.
func TestReadOnlyCollectionUntouched(t *testing.T) {
	d := newDirs(t, 4)
	cfg := d.config(t)
	cfg.Token = testToken
	ts := start(t, cfg)
	uploads := filepath.Join(d.images, UploadsDir)
	if res := ts.searchResults(testPNG(t, 1, 5, 32, 32), 3); len(res.Results) != 3 {
		t.Fatalf("search: %+v", res)
	}
	if _, err := os.Stat(uploads); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("uploads folder made without an upload: %v", err)
	}
	ts.add(testPNG(t, 2, 6, 32, 32), "x")
	if _, err := os.Stat(uploads); err != nil {
		t.Fatalf("uploads folder after an upload: %v", err)
	}
}
