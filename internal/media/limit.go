package media

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/quanzi/quanzi/internal/errs"
)

// The limits of the upload pipeline.
const (
	MaxBytes   = 20 << 20   // upload body limit
	MaxPixels  = 50_000_000 // refused above this, read from the header before decoding
	MaxSide    = 30_000     // refused when either side is longer, whatever the area
	DisplayMax = 2048       // long side of the display variant (never upscaled)
	ThumbMax   = 480        // long side of the thumbnail
	// MaxFrames bounds the frames of a GIF. Only the first frame is kept, so
	// the limit is not about decoding work: it turns away files that are
	// mostly data we would silently throw away (the longest reaction GIFs
	// people post have a few hundred frames; 1,000 frames is 100 s at 10
	// frames a second) and crafted files with thousands of empty frames.
	MaxFrames = 1000
)

// DefaultBudget is the decoding budget of NewProcessor(0), in pixel
// weights (see weight): four 12-megapixel JPEGs decode at once and the
// rest wait. Measured (docs/BENCHMARKS.md, "Media"): with 8 uploads of
// 12 megapixels at a time the process's peak RSS was 199–228 MiB (target:
// under 512), against 310–392 MiB with all 8 decoding at once, for the
// same throughput on 2 cores.
const DefaultBudget = 48_000_000

// Processor turns uploaded bytes into stored variants. It bounds how much
// is decoded at once, so that many simultaneous uploads cannot exhaust
// memory: each decode holds a weight of its pixels in a semaphore until
// its variants are encoded. A Processor is safe for concurrent use.
type Processor struct {
	budget int64
	sem    *semaphore.Weighted

	// inflight and peak count the weight held, for tests and metrics.
	inflight atomic.Int64
	peak     atomic.Int64
}

// NewProcessor returns a Processor that decodes at most budgetPixels
// weight at once; 0 (or less) means DefaultBudget.
func NewProcessor(budgetPixels int64) *Processor {
	if budgetPixels <= 0 {
		budgetPixels = DefaultBudget
	}
	return &Processor{budget: budgetPixels, sem: semaphore.NewWeighted(budgetPixels)}
}

// weight is what decoding a w×h image of format holds of the budget. A
// JPEG or lossy WebP decodes to YCbCr planes, 1.5 to 3 bytes a pixel; PNG,
// GIF and lossless WebP decode to 4 to 8 bytes a pixel and are converted
// to RGBA once more, so they count three times. An image heavier than the
// whole budget takes all of it and runs alone.
func (p *Processor) weight(format string, w, h int) int64 {
	n := int64(w) * int64(h)
	if format != "jpeg" && format != "webp" {
		n *= 3
	}
	return min(max(n, 1), p.budget)
}

// acquire waits for n of the budget, or for ctx to end.
func (p *Processor) acquire(ctx context.Context, n int64) error {
	if err := p.sem.Acquire(ctx, n); err != nil {
		return &errs.Error{
			Code:       errs.Unavailable,
			Message:    "Too many pictures are being processed right now; please try again in a moment.",
			RetryAfter: 2 * time.Second,
			Err:        err,
		}
	}
	cur := p.inflight.Add(n)
	for {
		old := p.peak.Load()
		if cur <= old || p.peak.CompareAndSwap(old, cur) {
			break
		}
	}
	return nil
}

func (p *Processor) release(n int64) {
	p.inflight.Add(-n)
	p.sem.Release(n)
}
