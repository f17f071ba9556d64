package server

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
)

// web holds the page: plain HTML, JavaScript and CSS, no build step and
// nothing fetched from elsewhere.
//
//go:embed web/index.html web/app.js web/style.css web/openapi.yaml
var web embed.FS

// webCSP is the Content-Security-Policy of the page: everything from this
// server; images may also be blob: URLs (thumbnails fetched with a token)
// and data: URLs (the query image preview and the favicon).
const webCSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// webRoutes adds the page's routes to mux.
func (s *Server) webRoutes(mux *http.ServeMux) {
	for _, f := range []struct{ pattern, file, ctype string }{
		{"GET /{$}", "web/index.html", "text/html; charset=utf-8"},
		{"GET /app.js", "web/app.js", "text/javascript; charset=utf-8"},
		{"GET /style.css", "web/style.css", "text/css; charset=utf-8"},
		{"GET /api/openapi.yaml", "web/openapi.yaml", "application/yaml; charset=utf-8"},
	} {
		b, err := web.ReadFile(f.file)
		if err != nil {
			panic(fmt.Sprintf("server: embedded %s missing: %v", f.file, err)) // a build error
		}
		sum := sha256.Sum256(b)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		mux.HandleFunc(f.pattern, func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", f.ctype)
			h.Set("Cache-Control", "no-cache")
			h.Set("ETag", etag)
			h.Set("Content-Security-Policy", webCSP)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			h.Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write(b)
			}
		})
	}
}
