package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	pngenc "image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// pixelBomb returns a PNG signature and IHDR chunk, with a valid CRC,
// declaring a w x h RGBA image, and a few bytes of a data chunk.
func pixelBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.Write([]byte{0, 0, 0, 4, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0, 0})
	return b.Bytes()
}

// plainPNG returns a w x h PNG of one colour: small even when large.
func plainPNG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	if err := pngenc.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBadUploads(t *testing.T) {
	d := newDirs(t, 3)
	cfg := d.config(t)
	cfg.MaxUpload = 20_000
	cfg.MaxPixels = 1 << 20
	cfg.Token = testToken
	ts := start(t, cfg)

	good := testPNG(t, 0, 1, 32, 32)
	huge := testPNG(t, 0, 1, 120, 120) // ~45 KB of noise
	if len(huge) <= 20_000 {
		t.Fatalf("test image of %d bytes is not over the limit", len(huge))
	}
	bomb := pixelBomb(100000, 100000)
	bmpHeader := append([]byte("BM"), make([]byte, 60)...)
	gifTrunc := []byte("GIF89a\x10\x00\x10\x00\x80\x00\x00")
	png := "image/png"
	cases := []struct {
		name   string
		ctype  string
		body   []byte
		status int
		want   string
	}{
		{"oversized raw", png, huge, http.StatusRequestEntityTooLarge, "upload too large"},
		{"pixel bomb", png, bomb, http.StatusRequestEntityTooLarge, "100000x100000 pixels"},
		{"over max pixels", png, plainPNG(t, 1100, 1000), http.StatusRequestEntityTooLarge, "1100x1000 pixels, the limit is 1048576"},
		{"truncated png", png, good[:len(good)/2], http.StatusBadRequest, "truncated or corrupt"},
		{"header only png", png, good[:33], http.StatusBadRequest, "truncated or corrupt"},
		{"truncated gif", "image/gif", gifTrunc, http.StatusBadRequest, "truncated or corrupt"},
		{"bad bmp", "image/bmp", bmpHeader, http.StatusBadRequest, "truncated or corrupt"},
		{"text", png, []byte("hello, this is not an image at all"), http.StatusBadRequest, "not an image (the content looks like text/plain)"},
		{"html", png, []byte("<html><body>hi</body></html>"), http.StatusBadRequest, "not an image"},
		{"icon", "image/x-icon", []byte("\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00"), http.StatusUnsupportedMediaType, "unsupported image type image/x-icon"},
		{"json content type", "application/json", good, http.StatusUnsupportedMediaType, "unsupported Content-Type"},
		{"no content type", "", good, http.StatusUnsupportedMediaType, "unsupported Content-Type"},
		{"empty", png, nil, http.StatusBadRequest, "empty image"},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/search", "/api/images"} {
			h := map[string]string{"Authorization": "Bearer " + testToken}
			if c.ctype != "" {
				h["Content-Type"] = c.ctype
			}
			r := do(t, "POST", ts.url+path, bytes.NewReader(c.body), h)
			if r.status != c.status {
				t.Errorf("%s to %s: status %d, want %d; body %s", c.name, path, r.status, c.status, r.body)
				continue
			}
			if msg := r.errorMsg(t); !strings.Contains(msg, c.want) {
				t.Errorf("%s to %s: error %q does not mention %q", c.name, path, msg, c.want)
			}
		}
	}

	// The same through multipart forms.
	multi := []struct {
		name   string
		img    []byte
		fields map[string]string
		status int
		want   string
	}{
		{"oversized", huge, nil, http.StatusRequestEntityTooLarge, "upload too large"},
		{"pixel bomb", bomb, nil, http.StatusRequestEntityTooLarge, "too large"},
		{"truncated", good[:100], nil, http.StatusBadRequest, "truncated or corrupt"},
		{"not an image", []byte("GIF? no, plain text"), nil, http.StatusBadRequest, "not an image"},
		{"no image field", nil, map[string]string{"k": "3"}, http.StatusBadRequest, `no "image" field`},
		{"bad k", good, map[string]string{"k": "1000"}, http.StatusBadRequest, "k must be a whole number from 1 to 100"},
		{"bad k text", good, map[string]string{"k": "ten"}, http.StatusBadRequest, "k must be"},
	}
	for _, c := range multi {
		r := ts.searchMultipart(c.img, c.fields, nil)
		if r.status != c.status {
			t.Errorf("multipart %s: status %d, want %d; body %s", c.name, r.status, c.status, r.body)
			continue
		}
		if msg := r.errorMsg(t); !strings.Contains(msg, c.want) {
			t.Errorf("multipart %s: error %q does not mention %q", c.name, msg, c.want)
		}
	}
	// A body of unknown length (chunked) is cut off at the limit too.
	chunked := struct{ io.Reader }{bytes.NewReader(huge)}
	wantError(t, do(t, "POST", ts.url+"/api/search", chunked, map[string]string{"Content-Type": png}),
		http.StatusRequestEntityTooLarge, "upload too large: the limit is 20 kB")
	wantError(t, do(t, "POST", ts.url+"/api/search?k=-1", bytes.NewReader(good), map[string]string{"Content-Type": png}), http.StatusBadRequest, "k must be")
	wantError(t, do(t, "POST", ts.url+"/api/search", strings.NewReader("--x\r\n"), map[string]string{"Content-Type": "multipart/form-data"}),
		http.StatusBadRequest, "multipart")

	// Labels.
	for _, label := range []string{strings.Repeat("x", 201), "bad\x07bell", "\xff\xfe"} {
		body, ct := multipartBody(t, good, map[string]string{"label": label})
		r := do(t, "POST", ts.url+"/api/images", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + testToken})
		wantError(t, r, http.StatusBadRequest, "label")
	}

	// Nothing was added, and the server still works.
	var st Stats
	do(t, "GET", ts.url+"/api/stats", nil, nil).json(t, &st)
	if st.Images != 3 {
		t.Errorf("%d images after refused uploads, want 3", st.Images)
	}
	entries, _ := os.ReadDir(filepath.Join(d.images, UploadsDir))
	if len(entries) != 0 {
		t.Errorf("refused uploads left files: %v", entries)
	}
	ts.searchResults(good, 3)
}

func TestAuth(t *testing.T) {
	img := testPNG(t, 1, 1, 32, 32)
	add := func(ts *testServer, auth string) response {
		h := map[string]string{"Content-Type": "image/png"}
		if auth != "" {
			h["Authorization"] = auth
		}
		return do(t, "POST", ts.url+"/api/images", bytes.NewReader(img), h)
	}
	del := func(ts *testServer, auth string) response {
		return do(t, "DELETE", ts.url+"/api/images/1", nil, map[string]string{"Authorization": auth})
	}

	t.Run("no token configured", func(t *testing.T) {
		ts := start(t, newDirs(t, 2).config(t))
		wantError(t, add(ts, ""), http.StatusForbidden, "start the server with --token")
		wantError(t, add(ts, "Bearer anything"), http.StatusForbidden, "LOOKALIKE_TOKEN")
		wantError(t, del(ts, "Bearer anything"), http.StatusForbidden, "disabled")
		ts.searchResults(img, 1) // search stays open
	})

	t.Run("token", func(t *testing.T) {
		cfg := newDirs(t, 2).config(t)
		cfg.Token = testToken
		ts := start(t, cfg)
		r := add(ts, "")
		wantError(t, r, http.StatusUnauthorized, "missing token")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		wantError(t, add(ts, "Bearer wrong-token"), http.StatusUnauthorized, "wrong token")
		wantError(t, add(ts, "Bearer "+testToken+"x"), http.StatusUnauthorized, "wrong token")
		wantError(t, add(ts, "Basic "+testToken), http.StatusUnauthorized, "Bearer")
		wantError(t, add(ts, testToken), http.StatusUnauthorized, "Bearer")
		wantError(t, del(ts, "Bearer nope"), http.StatusUnauthorized, "wrong token")
		if r := add(ts, "Bearer "+testToken); r.status != http.StatusCreated {
			t.Fatalf("add with the token: %d %s", r.status, r.body)
		}
		if r := del(ts, "bearer "+testToken); r.status != http.StatusNoContent {
			t.Fatalf("delete with the token: %d %s", r.status, r.body)
		}
		ts.searchResults(img, 1) // no token needed to search
		if r := do(t, "GET", ts.url+"/api/images/2", nil, nil); r.status != http.StatusOK {
			t.Errorf("get image without token: %d", r.status)
		}
	})

	t.Run("token for search", func(t *testing.T) {
		cfg := newDirs(t, 2).config(t)
		cfg.Token, cfg.TokenForSearch = testToken, true
		ts := start(t, cfg)
		auth := map[string]string{"Authorization": "Bearer " + testToken}
		for _, req := range []struct{ method, path string }{
			{"POST", "/api/search"}, {"POST", "/api/search/by-id/1"}, {"GET", "/api/images/1"},
			{"GET", "/api/images/1/thumb"}, {"GET", "/api/stats"},
		} {
			body := func() io.Reader { return bytes.NewReader(img) }
			h := map[string]string{"Content-Type": "image/png"}
			wantError(t, do(t, req.method, ts.url+req.path, body(), h), http.StatusUnauthorized, "token")
			h["Authorization"] = auth["Authorization"]
			if r := do(t, req.method, ts.url+req.path, body(), h); r.status != http.StatusOK {
				t.Errorf("%s %s with the token: %d %s", req.method, req.path, r.status, r.body)
			}
		}
		for _, open := range []string{"/healthz", "/metrics", "/", "/app.js"} {
			if r := do(t, "GET", ts.url+open, nil, nil); r.status != http.StatusOK {
				t.Errorf("GET %s without token: %d", open, r.status)
			}
		}
	})
}

func TestTokenEqual(t *testing.T) {
	for _, c := range []struct {
		got, want string
		eq        bool
	}{{"abc", "abc", true}, {"abc", "abd", false}, {"ab", "abc", false}, {"", "", false}, {"x", "", false}} {
		if tokenEqual(c.got, c.want) != c.eq {
			t.Errorf("tokenEqual(%q, %q) = %v", c.got, c.want, !c.eq)
		}
	}
}

// rawGet sends "GET target" exactly as given, with no client-side cleaning
// or escaping of the path, and returns the response.
func rawGet(t *testing.T, addr, target string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: lookalike\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func TestPathTraversal(t *testing.T) {
	d := newDirs(t, 2)
	root := filepath.Dir(d.images)
	secret := []byte("root:x:0:0:SECRET outside the collection")
	// A PNG outside the collection (a real image, so only the path check
	// can stop it) and a text file.
	outsidePNG := filepath.Join(root, "outside.png")
	os.WriteFile(outsidePNG, append(testPNG(t, 0, 77, 32, 32), secret...), 0o644)
	os.WriteFile(filepath.Join(root, "secret.txt"), secret, 0o644)
	os.Symlink(outsidePNG, filepath.Join(d.images, "link-out.png"))
	os.Symlink("../outside.png", filepath.Join(d.images, "rel-link-out.png"))
	os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755)
	os.WriteFile(filepath.Join(root, "elsewhere", "x.png"), testPNG(t, 0, 78, 32, 32), 0o644)
	os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(d.images, "dir-link"))
	inside := filepath.Join(d.images, "red", "000.png")
	os.Symlink(inside, filepath.Join(d.images, "abs-link-in.png"))
	os.Symlink("red/000.png", filepath.Join(d.images, "rel-link-in.png"))

	// Stored entries whose paths lead outside, and some that stay inside.
	_, info, err := nn.Load(d.model)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(d.index, index.Options{Meta: index.Meta{Model: info.Fingerprint}})
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, info.Dim)
	vec[0] = 1
	paths := map[uint64]string{
		10: "../outside.png",
		11: outsidePNG,
		12: "red/../../outside.png",
		13: "link-out.png",
		14: "rel-link-out.png",
		15: "dir-link/x.png",
		16: "/etc/passwd",
		17: "../secret.txt",
		20: filepath.Join(d.images, "green", "001.png"), // absolute inside
		21: "abs-link-in.png",
		22: "rel-link-in.png",
		23: "./red/../red/000.png",
	}
	for id, p := range paths {
		if _, err := ix.Add(index.Entry{ID: id, Path: p, Vector: vec}); err != nil {
			t.Fatal(err)
		}
	}
	ix.Close()
	ts := start(t, d.config(t))
	addr := strings.TrimPrefix(ts.url, "http://")

	for id := uint64(10); id <= 17; id++ {
		for _, suffix := range []string{"", "/thumb"} {
			r := do(t, "GET", ts.url+imageURL(id)+suffix, nil, nil)
			t.Logf("entry %d (%q)%s: %d %s", id, paths[id], suffix, r.status, bytes.TrimSpace(r.body))
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("entry %d (%q)%s: status %d, want 403 or 404", id, paths[id], suffix, r.status)
			}
			if bytes.Contains(r.body, []byte("SECRET")) || bytes.Contains(r.body, []byte("root:")) || bytes.Contains(r.body, []byte("\x89PNG")) {
				t.Errorf("entry %d (%q)%s leaked the file: %.100q", id, paths[id], suffix, r.body)
			}
			r.errorMsg(t)
		}
	}
	for id := uint64(20); id <= 23; id++ {
		if r := do(t, "GET", ts.url+imageURL(id), nil, nil); r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
			t.Errorf("entry %d (%q) inside the collection: status %d, body %.100s", id, paths[id], r.status, r.body)
		}
	}
	// The by-id search results show stored paths but never serve them.
	if r := do(t, "POST", ts.url+"/api/search/by-id/10", nil, nil); r.status != http.StatusOK {
		t.Errorf("by-id of an entry with an outside path: %d", r.status)
	}

	// Ids that try to be paths, sent verbatim.
	for _, target := range []string{
		"/api/images/../../etc/passwd",
		"/api/images/..%2f..%2fetc%2fpasswd",
		"/api/images/..%2F..%2Fetc%2Fpasswd/thumb",
		"/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/api/images/%2e%2e/%2e%2e/etc/passwd",
		"/api/images/..%5c..%5cetc%5cpasswd",
		"/api/images/%252e%252e%252fetc%252fpasswd",
		"/api/images/1%00.png",
		"/api/images/1.png",
		"/api/images/-1",
		"/api/images/+1",
		"/api/images/0",
		"/api/images/01",
		"/api/images/18446744073709551616",
		"/api/images/%20" + "1",
		"/api/images//etc/passwd",
		"/api/images/1/../../../../etc/passwd",
	} {
		r := rawGet(t, addr, target)
		t.Logf("GET %s: %d %s", target, r.status, bytes.TrimSpace(r.body))
		if r.status == http.StatusOK || bytes.Contains(r.body, []byte("root:")) {
			t.Errorf("GET %s: status %d, body %.100q", target, r.status, r.body)
		}
		if r.status >= 400 {
			r.errorMsg(t)
		}
	}
	// Well-formed ids through url.PathEscape work.
	if r := do(t, "GET", ts.url+"/api/images/"+url.PathEscape("1"), nil, nil); r.status != http.StatusOK {
		t.Errorf("GET /api/images/1: %d", r.status)
	}
}

func TestMethodsAndUnknownRoutes(t *testing.T) {
	cfg := newDirs(t, 2).config(t)
	cfg.Token = testToken
	ts := start(t, cfg)
	for _, c := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/api/search", http.StatusMethodNotAllowed, "method GET not allowed on /api/search (allowed: POST)"},
		{"PUT", "/api/images/1", http.StatusMethodNotAllowed, "allowed: DELETE, GET, HEAD"},
		{"PATCH", "/api/images", http.StatusMethodNotAllowed, "not allowed"},
		{"POST", "/api/stats", http.StatusMethodNotAllowed, "not allowed"},
		{"DELETE", "/healthz", http.StatusMethodNotAllowed, "not allowed"},
		{"GET", "/api/nothing", http.StatusNotFound, "not found: GET /api/nothing"},
		{"GET", "/api/images/1/thumb/x", http.StatusNotFound, "not found"},
		{"GET", "/nothing.html", http.StatusNotFound, "not found"},
	} {
		r := do(t, c.method, ts.url+c.path, nil, map[string]string{"Authorization": "Bearer " + testToken})
		wantError(t, r, c.status, c.want)
		if c.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
	if r := do(t, "HEAD", ts.url+"/api/images/1", nil, nil); r.status != http.StatusOK || len(r.body) != 0 {
		t.Errorf("HEAD image: %d, %d bytes", r.status, len(r.body))
	}
}

func TestAllowedHosts(t *testing.T) {
	cfg := newDirs(t, 2).config(t)
	cfg.AllowedHosts = []string{"localhost", "photos.lan"}
	ts := start(t, cfg)
	for host, want := range map[string]int{
		"":                  http.StatusOK, // the client sends 127.0.0.1:port
		"localhost:8080":    http.StatusOK,
		"LOCALHOST.":        http.StatusOK,
		"photos.lan":        http.StatusOK,
		"[::1]:8080":        http.StatusOK,
		"10.1.2.3":          http.StatusOK,
		"evil.example:8080": http.StatusForbidden,
		"localhost.evil":    http.StatusForbidden,
	} {
		req, err := http.NewRequest("GET", ts.url+"/api/stats", nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %q: status %d, want %d; %s", host, res.StatusCode, want, b)
		}
		if want == http.StatusForbidden && !bytes.Contains(b, []byte("not allowed")) {
			t.Errorf("Host %q: body %s", host, b)
		}
	}
}
