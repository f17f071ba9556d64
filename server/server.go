// Package server serves image similarity search over HTTP: a JSON API to
// search a collection by example image, add and delete images, fetch images
// and thumbnails, statistics, health and Prometheus metrics, and a web page
// that uses the API.
//
// A [Server] owns an embedding model (one clone per concurrent embedding),
// a persistent [index.Index] and an image collection directory. Open it
// with [Open], serve it with [Server.Serve] or [Server.ListenAndServe] (or
// mount [Server.Handler] yourself), and [Server.Close] it.
//
// # Routes
//
//	POST   /api/search              search by an uploaded image
//	POST   /api/search/by-id/{id}   search by an indexed image ("more like this")
//	POST   /api/images              add an image (token)
//	GET    /api/images/{id}         the original image
//	GET    /api/images/{id}/thumb   a PNG thumbnail
//	DELETE /api/images/{id}         delete an image (token)
//	GET    /api/stats               collection size, model, index, uptime
//	GET    /healthz                 liveness
//	GET    /metrics                 Prometheus metrics
//	GET    /                        the web page
//
// Every error the handler answers is a JSON object {"error": "message"}
// with a fitting status. Go's HTTP layer answers a few malformed requests
// itself, in plain text, before any handler runs (a request line that is
// not HTTP, a missing or malformed Host header, unsupported
// Transfer-Encoding, headers past the hard limit of 1 MiB).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// Defaults of the Config fields left zero.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultMaxUpload         = 10_000_000 // bytes (10 MB)
	DefaultMaxPixels         = 16_000_000
	DefaultTimeout           = 30 * time.Second
	DefaultQueueWait         = time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownTimeout   = 15 * time.Second
	DefaultThumbSize         = 128
	DefaultThumbCacheBytes   = 16 << 20
)

const (
	// UploadsDir is the folder of the image collection that receives added
	// images, as UploadsDir/<id>.<ext>.
	UploadsDir = collection.UploadsDir
	// MaxK is the largest number of results one search returns.
	MaxK = 100
	// DefaultK is the number of results of a search that names none.
	DefaultK = 10
)

// Config configures a Server. Only ModelDir and IndexDir are required;
// zero fields take the defaults above.
type Config struct {
	// ModelDir is the model directory written by "lookalike train".
	// Empty means the model the index's manifest records (see
	// collection.LoadModel); a new index needs one.
	ModelDir string
	// IndexDir is the index directory. When it holds no index, an empty one
	// is created for the model (its fingerprint and dimension, cosine
	// metric). An existing index must have been built with the same model.
	IndexDir string
	// ImagesDir is the root of the image collection: relative entry paths
	// are resolved against it, absolute ones must lie inside it, and added
	// images are saved to ImagesDir/uploads. Images outside it are never
	// served. Default: the root the index's manifest records, else
	// IndexDir/images. Another root than the recorded one is refused
	// unless Relocate.
	ImagesDir string
	// Relocate accepts an ImagesDir other than the one the index records:
	// the collection moved there.
	Relocate bool
	// HNSW selects the approximate graph index instead of the exact one.
	HNSW bool
	// Store, when set, is a Weaviate class (weaviate://HOST:PORT/CLASS,
	// see collection.OpenWeaviate, configured by Weaviate) that holds the
	// collection instead of an index in IndexDir; ModelDir and ImagesDir
	// are then required (a class records neither).
	Store    string
	Weaviate collection.WeaviateOptions

	// Match names the operating point of the model's calibration (see
	// lookalike calibrate) whose threshold marks each result a match or
	// not, such as "precision=0.99". Empty: "precision=0.99" when the
	// calibration has it, else its best F1, and no marks without a
	// calibration; "none": no marks.
	Match string

	// Token, when set, is the bearer token that adding and deleting
	// images need (Authorization: Bearer <token>). Without a token, adding
	// and deleting are refused with 403.
	Token string
	// TokenForSearch requires the token for every read of the collection
	// too: searches, images, thumbnails and stats.
	TokenForSearch bool

	// MaxUpload is the largest accepted image upload, in bytes.
	MaxUpload int64
	// MaxPixels is the largest accepted image, in pixels (width times
	// height), checked from the image header before decoding.
	MaxPixels int
	// MaxConcurrent bounds the embeddings (and other image decoding and
	// searching work) running at once. Default runtime.NumCPU().
	MaxConcurrent int
	// QueueWait is how long a request waits for a free embedding slot
	// before it is refused with 429 Too Many Requests.
	QueueWait time.Duration
	// MaxPending bounds the requests reading an upload or waiting for a
	// slot; more are refused at once with 429. Default 64 or
	// 8*MaxConcurrent, whichever is larger.
	MaxPending int

	// Timeout bounds the handling of one request (waiting for a slot
	// included); past it the request fails with 503.
	Timeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// those of http.Server. WriteTimeout defaults to Timeout plus 10 s.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout is how long Serve lets in-flight requests finish
	// after its context is cancelled.
	ShutdownTimeout time.Duration

	// ThumbSize is the longest side of a thumbnail, in pixels.
	ThumbSize int
	// ThumbCacheBytes bounds the memory of the thumbnail cache.
	ThumbCacheBytes int

	// AllowedHosts, when not empty, lists the host names (without port)
	// that requests may name in their Host header; other names get 403.
	// IP addresses are always accepted. It protects a server on loopback
	// from DNS rebinding: a web page whose own domain resolves to 127.0.0.1
	// cannot reach it. Empty accepts every host.
	AllowedHosts []string

	// Logger receives request logs and events; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = runtime.NumCPU()
	}
	if c.QueueWait <= 0 {
		c.QueueWait = DefaultQueueWait
	}
	if c.MaxPending <= 0 {
		c.MaxPending = max(64, 8*c.MaxConcurrent)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = c.Timeout + 10*time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.ThumbSize <= 0 {
		c.ThumbSize = DefaultThumbSize
	}
	if c.ThumbCacheBytes <= 0 {
		c.ThumbCacheBytes = DefaultThumbCacheBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server serves similarity search over one model, index and image
// collection. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	info    *nn.Info
	ix      collection.Store
	images  *folder
	slots   *slots
	metrics *metrics
	thumbs  *thumbCache
	handler http.Handler
	started time.Time
	match   *Match // the threshold results are marked with, or nil

	addMu  sync.Mutex // serialises adds: id choice, file and index entry
	nextID uint64     // the id of the next added image; guarded by addMu

	pending   atomic.Int64 // requests reading an upload or waiting for a slot
	draining  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Open loads the model, opens (or creates) the index and prepares the
// image collection. Close the server when done.
func Open(cfg Config) (*Server, error) {
	switch {
	case cfg.Store != "":
		return openOnStore(cfg)
	case cfg.IndexDir == "":
		return nil, errors.New("open server: no index directory given")
	}
	cfg.setDefaults()
	m, info, modelDir, err := collection.LoadModel(cfg.IndexDir, cfg.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	cfg.ModelDir = modelDir
	if cfg.ImagesDir, err = collection.Root(cfg.IndexDir, cfg.ImagesDir, cfg.Relocate); err != nil {
		if errors.Is(err, collection.ErrRootMismatch) {
			return nil, fmt.Errorf("open server: %w: serve that folder, or pass --relocate if the collection moved", err)
		}
		return nil, fmt.Errorf("open server: %w", err)
	}
	if cfg.ImagesDir == "" {
		cfg.ImagesDir = filepath.Join(cfg.IndexDir, "images")
	}
	p, err := prepare(cfg, m, info)
	if err != nil {
		return nil, err
	}
	images := p.images
	ix, err := collection.OpenStore(context.Background(), collection.StoreConfig{Dir: cfg.IndexDir, HNSW: cfg.HNSW, Logger: cfg.Logger}, info)
	if err != nil {
		images.close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	// Settle uploads a crash left half-done, and record where the model
	// and images are, so that the index alone names its collection.
	err = collection.Recover(ix, images.real, cfg.Logger)
	if err == nil {
		err = collection.WriteManifest(cfg.IndexDir, images.dir, cfg.ModelDir, info.Fingerprint)
	}
	if err != nil {
		ix.Close()
		images.close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	return newServer(cfg, info, ix, p), nil
}

// openOnStore opens a server whose collection is in the Weaviate class
// cfg.Store.
func openOnStore(cfg Config) (*Server, error) {
	if cfg.ModelDir == "" || cfg.ImagesDir == "" {
		return nil, errors.New("open server: a Weaviate store needs the model and images directories")
	}
	cfg.setDefaults()
	m, info, err := nn.Load(cfg.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	p, err := prepare(cfg, m, info)
	if err != nil {
		return nil, err
	}
	images := p.images
	st, err := collection.OpenStore(context.Background(), collection.StoreConfig{URL: cfg.Store, Weaviate: cfg.Weaviate, Logger: cfg.Logger}, info)
	if err == nil {
		err = collection.Recover(st, images.real, cfg.Logger)
	}
	if err != nil {
		images.close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	return newServer(cfg, info, st, p), nil
}

// prepare checks that the model takes RGB images and makes the embedding
// slots and the image folder, for either kind of store.
func prepare(cfg Config, m *nn.Model, info *nn.Info) (*prepared, error) {
	if info.Channels != 3 {
		return nil, fmt.Errorf("open server: model %s takes %d channels; the server feeds RGB images (3)", cfg.ModelDir, info.Channels)
	}
	match, err := matchPoint(cfg.ModelDir, info.Fingerprint, cfg.Match)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	slots, err := newSlots(m, cfg.MaxConcurrent)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	images, err := openFolder(cfg.ImagesDir)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	return &prepared{slots: slots, images: images, match: match}, nil
}

// prepared is what prepare readies for a server besides its store.
type prepared struct {
	slots  *slots
	images *folder
	match  *Match // nil: results are not marked
}

// newServer assembles a server over an opened store.
func newServer(cfg Config, info *nn.Info, ix collection.Store, p *prepared) *Server {
	images := p.images
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		info:    info,
		ix:      ix,
		images:  images,
		slots:   p.slots,
		match:   p.match,
		thumbs:  newThumbCache(cfg.ThumbCacheBytes),
		started: time.Now(),
	}
	s.nextID = s.firstFreeID()
	s.metrics = newMetrics(s)
	s.handler = s.routes()
	s.log.Info("server ready", "model", info.Name, "fingerprint", short(info.Fingerprint), "dim", info.Dim,
		"store", ix.Location(), "kind", storeKind(ix), "images", ix.Len(), "collection", images.dir,
		"mutations", cfg.Token != "", "max_concurrent", cfg.MaxConcurrent)
	return s
}

// embedded is what the embedded index offers beyond collection.Store:
// its kind, statistics and compaction.
type embedded interface {
	Kind() index.Kind
	Stats() index.Stats
	Compact() error
}

// storeKind names the store's search: exact, hnsw or weaviate.
func storeKind(ix collection.Store) string {
	if e, ok := ix.(embedded); ok {
		return e.Kind().String()
	}
	return "weaviate"
}

// firstFreeID returns an id above every indexed entry, every file in the
// uploads folder (an added image never takes the name of a file left by a
// crash between saving a file and indexing it) and every deleted image
// (recorded in nextIDFile).
func (s *Server) firstFreeID() uint64 {
	top := s.ix.NextID() - 1 // ids the index gave out, deleted ones too
	if b, err := os.ReadFile(filepath.Join(s.images.real, UploadsDir, nextIDFile)); err == nil {
		if next, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && next > 0 {
			top = max(top, next-1)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.images.real, UploadsDir))
	for _, e := range entries {
		stem, _, _ := strings.Cut(e.Name(), ".")
		if id, err := strconv.ParseUint(stem, 10, 64); err == nil {
			top = max(top, id)
		}
	}
	return top + 1
}

// routes returns the server's handler: the mux of every route behind the
// middleware.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, need access, fn func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle(pattern, s.handle(func(w http.ResponseWriter, r *http.Request) error {
			if err := s.authorize(r, need); err != nil {
				return err
			}
			return fn(w, r)
		}))
	}
	route("POST /api/search", reader, s.search)
	route("POST /api/search/by-id/{id}", reader, s.searchByID)
	route("POST /api/images", writer, s.addImage)
	route("GET /api/images/{id}", reader, s.getImage)
	route("GET /api/images/{id}/thumb", reader, s.getThumb)
	route("DELETE /api/images/{id}", writer, s.deleteImage)
	route("GET /api/stats", reader, s.stats)
	route("GET /healthz", public, s.healthz)
	mux.Handle("GET /metrics", s.metrics.handler())
	s.webRoutes(mux)
	return s.middleware(mux)
}

// Handler returns the server's HTTP handler, with logging, metrics and
// per-request timeouts.
func (s *Server) Handler() http.Handler { return s.handler }

// Index returns the server's store: the embedded index, or a Weaviate
// class.
func (s *Server) Index() collection.Store { return s.ix }

// ImagesDir returns the absolute root of the image collection.
func (s *Server) ImagesDir() string { return s.images.dir }

// ListenAndServe listens on the TCP address addr (DefaultAddr when empty)
// and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections, answers requests waiting for
// an embedding slot with 503, and lets in-flight requests finish for up to
// Config.ShutdownTimeout before closing the remaining connections. It
// returns nil after a shutdown asked for by ctx. Serve does not close the
// server: call Close afterwards to flush and close the index.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    hardHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("listening", "addr", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	s.BeginShutdown()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("shutdown timed out; closing the remaining connections", "err", err)
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	return nil
}

// BeginShutdown makes the server refuse work it has not started: requests
// waiting for an embedding slot, and new ones that would need one, get 503,
// and /healthz reports the shutdown. Serve calls it when its context is
// cancelled.
func (s *Server) BeginShutdown() {
	if s.draining.CompareAndSwap(false, true) {
		s.slots.drain()
	}
}

// Close shuts the server's resources: it compacts the index if its log has
// grown large (so that the next start is quick), then flushes and closes
// it. Requests still running afterwards fail with 503. Close is
// idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.BeginShutdown()
		if e, ok := s.ix.(embedded); ok {
			if st := e.Stats(); st.LogBytes > compactLogBytes || st.Deleted > 0 {
				if err := e.Compact(); err != nil {
					s.log.Warn("compacting the index on close failed; the log is kept", "err", err)
				}
			}
		}
		s.closeErr = s.ix.Close()
		s.images.close()
		if s.closeErr == nil {
			s.log.Info("index closed", "store", s.ix.Location())
		}
	})
	return s.closeErr
}

// Request header limits: the handler refuses a request line and headers
// over maxHeaderBytes with a JSON 431; Go's HTTP layer answers plain-text
// 431 only past hardHeaderBytes, before any handler runs.
const (
	maxHeaderBytes  = 64 << 10
	hardHeaderBytes = 1 << 20
)

// headerBytes returns about how many bytes the request line and headers of
// r took on the wire.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	n += len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// compactLogBytes is the index log size past which Close writes a snapshot.
const compactLogBytes = 4 << 20

// short abbreviates a fingerprint for messages.
func short(fp string) string { return fp[:min(12, len(fp))] }

// decodeSize is the side of the images the model takes.
func (s *Server) decodeSize() int {
	if s.info.Size > 0 {
		return s.info.Size
	}
	return data.DefaultSize
}
