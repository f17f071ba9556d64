package optim

import (
	"fmt"
	"math"
	"strings"
)

// Schedule is a learning-rate schedule: the factor by which the base
// learning rates are multiplied at a step.
//
// Steps count from 0; a run of total updates uses steps 0 to total-1. The
// schedules here reach their end value at step total, one past the last
// update, so that no update is spent with a factor of 0 (as airbench's
// schedule does); steps past total keep the end value.
type Schedule interface {
	Factor(step, total int) float64
}

// Constant is the schedule whose factor is always 1.
type Constant struct{}

// Factor returns 1.
func (Constant) Factor(step, total int) float64 { return 1 }

// WarmupDecay is a linear warm-up followed by a linear or cosine decay.
//
// During the warm-up, steps 0 to Warmup-1, the factor rises linearly from
// 1/(Warmup+1) to Warmup/(Warmup+1), the straight line that reaches 1 at
// step Warmup. From step Warmup, where it is 1, the factor decays to Final
// at step total: linearly, or along half a cosine period if Cosine is set.
// A Warmup of 0 or less means no warm-up.
type WarmupDecay struct {
	Warmup int     // warm-up length in steps
	Final  float64 // factor reached at step total
	Cosine bool    // cosine rather than linear decay
}

// Factor returns the factor at step of total.
func (w WarmupDecay) Factor(step, total int) float64 {
	step = max(step, 0)
	warm := max(w.Warmup, 0)
	if step < warm {
		return float64(step+1) / float64(warm+1)
	}
	if step >= total {
		return w.Final
	}
	frac := float64(step-warm) / float64(total-warm) // total > step >= warm
	if w.Cosine {
		return w.Final + (1-w.Final)*(1+math.Cos(math.Pi*frac))/2
	}
	return 1 + (w.Final-1)*frac
}

// Triangular is the triangular (one-cycle) schedule airbench uses: the
// factor goes linearly from Start at step 0 to 1 at the peak step
// ⌊Peak*total⌋, then linearly to End at step total. Peak is clamped to
// [0, 1]; with the peak at step 0 the factor starts at 1.
//
// airbench's CIFAR-10 schedule is Triangular{Peak: 0.2, Start: 0.2, End: 0}.
type Triangular struct {
	Peak       float64 // fraction of total at which the factor is 1
	Start, End float64 // factors at step 0 and at step total
}

// Factor returns the factor at step of total.
func (t Triangular) Factor(step, total int) float64 {
	step = max(step, 0)
	peak := int(min(max(t.Peak, 0), 1) * float64(total))
	switch {
	case step < peak:
		return t.Start + (1-t.Start)*float64(step)/float64(peak)
	case step >= total:
		return t.End
	default: // peak <= step < total
		return 1 + (t.End-1)*float64(step-peak)/float64(total-peak)
	}
}

// scheduleNames lists the names ParseSchedule knows, in order.
var scheduleNames = []string{"constant", "warmup-linear", "warmup-cosine", "triangular"}

// ScheduleNames returns the names ParseSchedule accepts, for flag help.
func ScheduleNames() []string { return append([]string(nil), scheduleNames...) }

// ParseSchedule returns the schedule of the given name:
//
//	constant       Constant{}
//	warmup-linear  WarmupDecay{Warmup: warmup, Final: 0}
//	warmup-cosine  WarmupDecay{Warmup: warmup, Final: 0, Cosine: true}
//	triangular     Triangular{Peak: 0.2, Start: 0.2, End: 0} (airbench's)
//
// warmup, a number of steps, is used only by the warmup-* schedules and
// must not be negative.
func ParseSchedule(name string, warmup int) (Schedule, error) {
	if warmup < 0 {
		return nil, fmt.Errorf("optim: negative warm-up %d", warmup)
	}
	switch name {
	case "constant":
		return Constant{}, nil
	case "warmup-linear":
		return WarmupDecay{Warmup: warmup}, nil
	case "warmup-cosine":
		return WarmupDecay{Warmup: warmup, Cosine: true}, nil
	case "triangular":
		return Triangular{Peak: 0.2, Start: 0.2}, nil
	}
	return nil, fmt.Errorf("optim: unknown schedule %q (want one of %s)", name, strings.Join(scheduleNames, ", "))
}
