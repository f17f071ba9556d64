package optim

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// checkPoints checks s's factor at the given steps of total.
func checkPoints(t *testing.T, name string, s Schedule, total int, want map[int]float64) {
	t.Helper()
	for step, w := range want {
		if got := s.Factor(step, total); !near(got, w) {
			t.Errorf("%s: Factor(%d, %d) = %v, want %v", name, step, total, got, w)
		}
	}
}

// checkMonotonic checks that s's factor does not decrease (dir 1) or
// increase (dir -1) over steps from to to.
func checkMonotonic(t *testing.T, name string, s Schedule, total, from, to int, dir float64) {
	t.Helper()
	prev := s.Factor(from, total)
	for step := from + 1; step <= to; step++ {
		f := s.Factor(step, total)
		if (f-prev)*dir < 0 {
			t.Errorf("%s: Factor(%d) = %v after %v: not monotonic on [%d, %d]", name, step, f, prev, from, to)
			return
		}
		prev = f
	}
}

func TestConstant(t *testing.T) {
	checkPoints(t, "constant", Constant{}, 100, map[int]float64{0: 1, 50: 1, 99: 1, 100: 1, 1000: 1})
}

func TestWarmupLinear(t *testing.T) {
	s := WarmupDecay{Warmup: 10, Final: 0.1}
	checkPoints(t, "warmup-linear", s, 110, map[int]float64{
		-1: 1.0 / 11, 0: 1.0 / 11, 4: 5.0 / 11, 9: 10.0 / 11, // warm-up
		10: 1, 60: 0.55, 109: 1 - 0.9*99/100, 110: 0.1, 500: 0.1,
	})
	checkMonotonic(t, "warmup-linear", s, 110, 0, 10, 1)
	checkMonotonic(t, "warmup-linear", s, 110, 10, 120, -1)
	// Constant slope after the warm-up.
	for step := 11; step < 110; step++ {
		if d := s.Factor(step-1, 110) - s.Factor(step, 110); !near(d, 0.009) {
			t.Fatalf("slope at %d: %v, want 0.009", step, d)
		}
	}
	checkPoints(t, "no warm-up", WarmupDecay{}, 10, map[int]float64{0: 1, 5: 0.5, 9: 0.1, 10: 0})
	// A warm-up longer than the run only warms up.
	checkPoints(t, "long warm-up", WarmupDecay{Warmup: 20, Final: 0.5}, 10, map[int]float64{0: 1.0 / 21, 9: 10.0 / 21, 10: 11.0 / 21})
}

func TestWarmupCosine(t *testing.T) {
	s := WarmupDecay{Warmup: 10, Final: 0.1, Cosine: true}
	checkPoints(t, "warmup-cosine", s, 110, map[int]float64{
		0: 1.0 / 11, 9: 10.0 / 11,
		10: 1, 35: 0.1 + 0.9*(1+math.Sqrt2/2)/2, 60: 0.55, 85: 0.1 + 0.9*(1-math.Sqrt2/2)/2,
		110: 0.1, 111: 0.1,
	})
	checkMonotonic(t, "warmup-cosine", s, 110, 0, 10, 1)
	checkMonotonic(t, "warmup-cosine", s, 110, 10, 120, -1)
}

func TestTriangular(t *testing.T) {
	// airbench: np.interp(step, [0, int(0.2*total), total], [0.2, 1, 0]).
	s := Triangular{Peak: 0.2, Start: 0.2, End: 0}
	checkPoints(t, "triangular", s, 100, map[int]float64{
		0: 0.2, 10: 0.6, 19: 0.96, 20: 1, 60: 0.5, 99: 0.0125, 100: 0, 150: 0,
	})
	checkMonotonic(t, "triangular", s, 100, 0, 20, 1)
	checkMonotonic(t, "triangular", s, 100, 20, 110, -1)
	// The peak step is truncated, as airbench's int(0.2*total).
	checkPoints(t, "triangular total 7", s, 7, map[int]float64{0: 0.2, 1: 1, 4: 0.5, 7: 0})
	checkPoints(t, "peak at 0", Triangular{Start: 0.3, End: 0.5}, 10, map[int]float64{0: 1, 5: 0.75, 10: 0.5})
	checkPoints(t, "peak clamped", Triangular{Peak: -1, Start: 0.3, End: 0.5}, 10, map[int]float64{0: 1})
	checkPoints(t, "peak at end", Triangular{Peak: 1, Start: 0, End: 0.5}, 10, map[int]float64{0: 0, 5: 0.5, 9: 0.9, 10: 0.5})
}

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Schedule
	}{
		{"constant", Constant{}},
		{"warmup-linear", WarmupDecay{Warmup: 5}},
		{"warmup-cosine", WarmupDecay{Warmup: 5, Cosine: true}},
		{"triangular", Triangular{Peak: 0.2, Start: 0.2}},
	} {
		got, err := ParseSchedule(tc.name, 5)
		if err != nil || got != tc.want {
			t.Errorf("ParseSchedule(%q) = %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
	for _, name := range ScheduleNames() {
		if _, err := ParseSchedule(name, 0); err != nil {
			t.Errorf("listed name %q: %v", name, err)
		}
	}
	if len(ScheduleNames()) != 4 {
		t.Errorf("ScheduleNames %v", ScheduleNames())
	}
	if _, err := ParseSchedule("cosine", 0); err == nil {
		t.Error("want error for an unknown name")
	}
	if _, err := ParseSchedule("warmup-linear", -1); err == nil {
		t.Error("want error for a negative warm-up")
	}
}
