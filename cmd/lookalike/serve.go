package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/server"
)

// serveFlags are the flags of serve.
type serveFlags struct {
	addr, model, index, images string
	token                      string
	tokenForSearch, hnsw       bool
	relocate                   bool
	maxUpload                  string
	maxPixels                  int
	maxConcurrent              int
	queueWait                  time.Duration
	timeout                    time.Duration
	readHeaderTimeout          time.Duration
	readTimeout                time.Duration
	writeTimeout               time.Duration
	idleTimeout                time.Duration
	shutdownTimeout            time.Duration
	allowHosts                 []string
	store                      string
	weaviate                   collection.WeaviateOptions
	match                      string
}

// tokenEnv is the environment variable read for the token when --token is
// not given (a flag shows in the process list, the environment does not).
const tokenEnv = "LOOKALIKE_TOKEN"

func newServeCmd(a *app) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve --index INDEX_DIR [--model MODEL_DIR] [--images DIR] [--addr HOST:PORT]",
		Short: "Serve similarity search over HTTP: a JSON API and a web page",
		Long: `Serve an image collection for similarity search: a web page (open the
address in a browser) and a JSON API.

  POST   /api/search              search by an image (multipart field "image",
                                  or the body with Content-Type image/*); ?k=10
  POST   /api/search/by-id/{id}   more like an indexed image
  POST   /api/images              add an image (+ "label"); needs the token
  DELETE /api/images/{id}         delete an image; needs the token
  GET    /api/images/{id}         the image; /api/images/{id}/thumb a thumbnail
  GET    /api/stats, /healthz, /metrics (Prometheus)

INDEX_DIR is created, empty, for the model when it holds no index; an existing
index must have been built with the same model, and by default is served with
the model and image folder it records (lookalike index records both).
--images is the collection root: entry paths are relative to it, added images
are saved in DIR/uploads, and no file outside it is ever served.

Adding and deleting need a token, sent as "Authorization: Bearer TOKEN": set it
with --token or, better (flags show in the process list), the environment
variable LOOKALIKE_TOKEN. Without one they are refused (403). Searching is open
unless --token-for-search.

The server listens on 127.0.0.1 (this machine only) unless --addr says
otherwise; there it answers only requests addressed to an IP address or to
localhost (--allow-host adds names), so that a web page cannot reach it by DNS
rebinding. SIGINT or SIGTERM shut it down gracefully: in-flight requests finish
(for up to --shutdown-timeout), then the index is flushed and closed.`,
		Example: `  lookalike serve --index photos.idx
  lookalike serve --model model/ --index index/ --images photos/
  LOOKALIKE_TOKEN=$(openssl rand -hex 16) lookalike serve --model model/ --index index/
  curl -F image=@cat.png 'http://127.0.0.1:8080/api/search?k=5'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd, a)
			if err != nil {
				return err
			}
			// In-flight requests may take --shutdown-timeout to finish.
			a.stopGrace.Store(int64(f.shutdownTimeout + defaultStopGrace))
			s, err := server.Open(cfg)
			if err != nil {
				return err
			}
			serr := s.ListenAndServe(cmd.Context(), f.addr)
			if cerr := s.Close(); serr == nil {
				serr = cerr
			}
			return serr
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", server.DefaultAddr, "address to listen on; 127.0.0.1 serves this machine only")
	fl.StringVar(&f.model, "model", "", "model directory (default: where the index last saw its model; needed for a new index)")
	fl.StringVar(&f.index, "index", "", "index directory, created when it holds no index; or --store")
	fl.StringVar(&f.store, "store", "", "a Weaviate class instead of an index directory: weaviate://HOST:PORT/CLASS (needs --model and --images)")
	fl.IntVar(&f.weaviate.Shards, "shards", 1, "with --store: shards of a class it creates")
	fl.IntVar(&f.weaviate.Replicas, "replicas", 1, "with --store: replication factor of a class it creates")
	fl.StringVar(&f.weaviate.Consistency, "consistency", "QUORUM", "with --store: consistency level of reads and writes (ONE, QUORUM, ALL)")
	fl.StringVar(&f.images, "images", "", "image collection root; added images go to DIR/uploads (default: the folder the index records, else INDEX_DIR/images)")
	fl.BoolVar(&f.relocate, "relocate", false, "the collection moved: serve --images although the index records another folder")
	fl.StringVar(&f.token, "token", "", "bearer token for adding and deleting images (default $"+tokenEnv+"); none disables them")
	fl.BoolVar(&f.tokenForSearch, "token-for-search", false, "require the token for searching and reading images too")
	fl.BoolVar(&f.hnsw, "hnsw", false, "use the approximate HNSW graph index instead of the exact one")
	fl.StringVar(&f.match, "match", "", "operating point of the model's calibration (lookalike calibrate) that marks results match or not, e.g. precision=0.95 (default precision=0.99 when calibrated, else best-f1; none: no marks)")
	fl.StringVar(&f.maxUpload, "max-upload", "10MB", "largest image upload (B, KB, MB, KiB, MiB, ...)")
	fl.IntVar(&f.maxPixels, "max-pixels", server.DefaultMaxPixels, "largest image in pixels (width x height), refused before decoding")
	fl.IntVar(&f.maxConcurrent, "max-concurrent", runtime.NumCPU(), "embeddings running at once")
	fl.DurationVar(&f.queueWait, "queue-wait", server.DefaultQueueWait, "how long a request waits for an embedding slot before 429")
	fl.DurationVar(&f.timeout, "timeout", server.DefaultTimeout, "time limit of one request")
	fl.DurationVar(&f.readHeaderTimeout, "read-header-timeout", server.DefaultReadHeaderTimeout, "time limit to read request headers")
	fl.DurationVar(&f.readTimeout, "read-timeout", server.DefaultReadTimeout, "time limit to read a whole request")
	fl.DurationVar(&f.writeTimeout, "write-timeout", 0, "time limit to write a response (default --timeout + 10s)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", server.DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "how long in-flight requests may finish on shutdown")
	fl.StringSliceVar(&f.allowHosts, "allow-host", nil, "host names clients may use in URLs (besides IP addresses); default \"localhost\" on a loopback --addr, any otherwise")
	return cmd
}

// config checks the flags and returns the server configuration.
func (f *serveFlags) config(cmd *cobra.Command, a *app) (server.Config, error) {
	switch {
	case f.index == "" && f.store == "":
		return server.Config{}, errors.New("--index or --store is required")
	case f.index != "" && f.store != "":
		return server.Config{}, errors.New("--index and --store: choose one")
	}
	maxUpload, err := parseBytes(f.maxUpload)
	if err != nil {
		return server.Config{}, fmt.Errorf("--max-upload: %w", err)
	}
	if f.maxPixels <= 0 || f.maxConcurrent <= 0 {
		return server.Config{}, errors.New("--max-pixels and --max-concurrent must be positive")
	}
	token := f.token
	if cmd.Flags().Changed("token") {
		a.log.Warn("--token is visible to other users in the process list; prefer the environment variable " + tokenEnv)
	} else {
		token = os.Getenv(tokenEnv)
	}
	token = strings.TrimSpace(token)
	if token != "" && len(token) < 16 {
		a.log.Warn("the token is short; use at least 16 random characters (openssl rand -hex 16)")
	}
	if f.tokenForSearch && token == "" {
		return server.Config{}, fmt.Errorf("--token-for-search needs a token: set --token or %s", tokenEnv)
	}
	hosts := f.allowHosts
	if len(hosts) == 0 && isLoopback(f.addr) {
		// A page on another domain that resolves to 127.0.0.1 (DNS
		// rebinding) must not reach a server meant for this machine.
		hosts = []string{"localhost"}
	}
	return server.Config{
		AllowedHosts:      hosts,
		ModelDir:          f.model,
		IndexDir:          f.index,
		Store:             f.store,
		Weaviate:          f.weaviate,
		ImagesDir:         f.images,
		Relocate:          f.relocate,
		HNSW:              f.hnsw,
		Token:             token,
		TokenForSearch:    f.tokenForSearch,
		Match:             f.match,
		MaxUpload:         maxUpload,
		MaxPixels:         f.maxPixels,
		MaxConcurrent:     f.maxConcurrent,
		QueueWait:         f.queueWait,
		Timeout:           f.timeout,
		ReadHeaderTimeout: f.readHeaderTimeout,
		ReadTimeout:       f.readTimeout,
		WriteTimeout:      f.writeTimeout,
		IdleTimeout:       f.idleTimeout,
		ShutdownTimeout:   f.shutdownTimeout,
		Logger:            a.log,
	}, nil
}

// parseBytes parses a size such as "10MB" (decimal units: kB, MB, GB),
// "8MiB" (binary units: KiB, MiB, GiB) or "1048576" (bytes).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v <= 0 || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: want a positive number of bytes such as 10MB, 512KiB or 1048576", s)
	}
	return int64(v * mult), nil
}

// isLoopback reports whether the listen address addr is on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
