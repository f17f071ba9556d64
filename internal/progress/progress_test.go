package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogLinesWhenNotATerminal(t *testing.T) {
	var logs, out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	b := New(&out, log, "train", 10, "step", 1<<62)
	for i := 1; i <= 10; i++ {
		b.Set(i, "loss=1.0")
	}
	b.Finish()
	if out.Len() != 0 {
		t.Fatalf("drew on a non-terminal: %q", out.String())
	}
	s := logs.String()
	// The interval is huge, so only the completed line and Finish log.
	if strings.Count(s, "msg=train") != 2 || !strings.Contains(s, "done=10") || !strings.Contains(s, "rate=") {
		t.Fatalf("logs = %q", s)
	}
}
