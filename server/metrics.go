package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // route, code
	latency   *prometheus.HistogramVec // route
	inFlight  prometheus.Gauge         // embeddings running
	rejected  *prometheus.CounterVec   // reason: busy, pending, shutdown
	thumbHits *prometheus.CounterVec   // result: hit, miss
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookalike_http_requests_total",
			Help: "HTTP requests by route (method and pattern; \"unmatched\" for none) and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lookalike_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lookalike_embeddings_in_flight",
			Help: "Images being decoded and embedded now.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookalike_rejected_requests_total",
			Help: "Requests refused for overload (busy: no embedding slot in time, pending: too many uploads in progress) or shutdown.",
		}, []string{"reason"}),
		thumbHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookalike_thumbnail_cache_requests_total",
			Help: "Thumbnail requests by cache result (hit or miss).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(
		m.requests, m.latency, m.inFlight, m.rejected, m.thumbHits,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lookalike_index_entries",
			Help: "Images in the index.",
		}, func() float64 { return float64(s.ix.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lookalike_embedding_slots_in_use",
			Help: "Embedding slots taken (decoding, embedding or searching).",
		}, func() float64 { return float64(s.slots.inUse()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lookalike_embedding_slots",
			Help: "Embedding slots (--max-concurrent).",
		}, func() float64 { return float64(s.cfg.MaxConcurrent) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lookalike_thumbnail_cache_bytes",
			Help: "Memory held by cached thumbnails.",
		}, func() float64 { return float64(s.thumbs.size()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// recorder records the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware wraps the mux: it bounds the request's time, sets security
// headers, turns plain-text errors into JSON, and records a log line and
// metrics per request.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
		defer cancel()
		ctx = context.WithValue(ctx, rawWriterKey, w)
		r = r.WithContext(ctx)

		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		rec := &recorder{ResponseWriter: w}
		switch {
		case headerBytes(r) > maxHeaderBytes:
			h.Set("Connection", "close")
			writeError(rec, errorf(http.StatusRequestHeaderFieldsTooLarge, "request line and headers too large: about %s, the limit is %s",
				formatBytes(int64(headerBytes(r))), formatBytes(maxHeaderBytes)))
		case s.hostAllowed(r):
			mux.ServeHTTP(&jsonErrors{ResponseWriter: rec, r: r}, r)
		default:
			writeError(rec, errorf(http.StatusForbidden, "host %q not allowed: use the server's address, or start it with --allow-host", truncate(r.Host, 100)))
		}

		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		s.metrics.latency.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(ctx, level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", d),
			slog.Int64("bytes", rec.bytes),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// handle adapts a handler that returns an error: the error becomes a JSON
// error response, and is logged when it is the server's fault.
func (s *Server) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		he := toHTTPError(err)
		if he.status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", he.status, "err", err)
		} else {
			s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", he.status, "err", err)
		}
		if he.status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
		writeError(w, he)
	}
}
