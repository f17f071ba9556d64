// Package progress reports the progress of long work: a live bar with rate
// and ETA on a terminal, and plain log lines every few seconds otherwise.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar reports progress towards a total. It is safe for concurrent use.
type Bar struct {
	mu       sync.Mutex
	desc     string
	total    int
	unit     string
	bar      *progressbar.ProgressBar // nil when not on a terminal
	log      *slog.Logger
	start    time.Time
	lastLog  time.Time
	interval time.Duration
	done     int
}

// New returns a bar for total units of work named desc (unit is "it",
// "img", ...). It draws on w when w is a terminal, and otherwise logs to
// log every interval (10 s when zero).
func New(w io.Writer, log *slog.Logger, desc string, total int, unit string, interval time.Duration) *Bar {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bar{desc: desc, total: total, unit: unit, log: log, start: time.Now(), interval: interval}
	b.lastLog = b.start
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return b
}

// Set records that done units are finished; detail (such as the current
// loss) is shown beside the bar or logged with the line.
func (b *Bar) Set(done int, detail string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = done
	if b.bar != nil {
		if detail != "" {
			b.bar.Describe(b.desc + " " + detail)
		}
		b.bar.Set(done)
		return
	}
	now := time.Now()
	if now.Sub(b.lastLog) < b.interval && done < b.total {
		return
	}
	b.lastLog = now
	b.logLine(now, detail)
}

func (b *Bar) logLine(now time.Time, detail string) {
	elapsed := now.Sub(b.start).Seconds()
	rate := float64(b.done) / max(elapsed, 1e-9)
	attrs := []any{"done", b.done, "total", b.total, "rate", fmt.Sprintf("%.1f %s/s", rate, b.unit)}
	if rate > 0 && b.done < b.total {
		attrs = append(attrs, "eta", (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second))
	}
	if detail != "" {
		attrs = append(attrs, "detail", detail)
	}
	b.log.Info(b.desc, attrs...)
}

// Finish ends the bar.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Finish()
		return
	}
	b.logLine(time.Now(), "finished")
}
