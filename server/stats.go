package server

import (
	"math"
	"net/http"
	"time"

	"github.com/lookalike/lookalike/index"
)

// Stats is the body of GET /api/stats.
type Stats struct {
	// Images is the number of indexed images.
	Images int `json:"images"`
	// Model describes the embedding model.
	Model ModelStats `json:"model"`
	// Index describes the vector index.
	Index IndexStats `json:"index"`
	// StartedAt is when the server started, and UptimeS the seconds since.
	StartedAt time.Time `json:"started_at"`
	UptimeS   float64   `json:"uptime_s"`
	// Mutations reports whether adding and deleting are enabled (a token
	// is configured); SearchNeedsToken whether reads need it too.
	Mutations        bool `json:"mutations"`
	SearchNeedsToken bool `json:"search_needs_token"`
	// MaxK is the largest k a search accepts; MaxUploadBytes the largest
	// upload.
	MaxK           int   `json:"max_k"`
	MaxUploadBytes int64 `json:"max_upload_bytes"`
}

// ModelStats describes the model in Stats.
type ModelStats struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Dim         int    `json:"dim"`
	InputSize   int    `json:"input_size"`
}

// IndexStats describes the index in Stats.
type IndexStats struct {
	Kind     string `json:"kind"`
	Metric   string `json:"metric"`
	Deleted  int    `json:"deleted"`
	LogBytes int64  `json:"log_bytes"`
}

// stats handles GET /api/stats.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	st := index.Stats{Entries: s.ix.Len()}
	if e, ok := s.ix.(embedded); ok {
		st = e.Stats()
	}
	writeJSON(w, http.StatusOK, Stats{
		Images: st.Entries,
		Model: ModelStats{
			Name: s.info.Name, Fingerprint: s.info.Fingerprint, Dim: s.info.Dim, InputSize: s.info.Size,
		},
		Index: IndexStats{
			Kind: storeKind(s.ix), Metric: s.ix.Meta().Metric.String(), Deleted: st.Deleted, LogBytes: st.LogBytes,
		},
		StartedAt:        s.started.UTC().Truncate(time.Second),
		UptimeS:          math.Round(time.Since(s.started).Seconds()*1000) / 1000,
		Mutations:        s.cfg.Token != "",
		SearchNeedsToken: s.cfg.TokenForSearch,
		MaxK:             MaxK,
		MaxUploadBytes:   s.cfg.MaxUpload,
	})
	return nil
}

// healthz handles GET /healthz: 200 {"status":"ok"} while serving, 503
// {"status":"shutting down"} once a shutdown has begun.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "images": s.ix.Len()})
	return nil
}
