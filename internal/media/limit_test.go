package media

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

func TestImageBudgetBoundsInflight(t *testing.T) {
	jpg := jpegOf(t, testPicture(400, 300, 11), 85) // weight 120,000
	for _, c := range []struct {
		budget   int64
		wantPeak int64 // at most; and at least one image's weight
	}{
		{120_000, 120_000},   // one at a time
		{250_000, 240_000},   // two at a time
		{1_000_000, 960_000}, // up to eight
	} {
		p := NewProcessor(c.budget)
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				if _, err := p.Process(context.Background(), jpg, "a.jpg"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		peak := p.peak.Load()
		if peak > c.wantPeak || peak < 120_000 {
			t.Errorf("budget %d: peak in flight %d, want 120000..%d", c.budget, peak, c.wantPeak)
		}
		if n := p.inflight.Load(); n != 0 {
			t.Errorf("budget %d: %d still held", c.budget, n)
		}
	}
}

func TestImageBudgetWeights(t *testing.T) {
	p := NewProcessor(0)
	if p.budget != DefaultBudget {
		t.Fatalf("default budget %d", p.budget)
	}
	if w := p.weight("jpeg", 4000, 3000); w != 12_000_000 {
		t.Errorf("12 MP JPEG weighs %d", w)
	}
	if w := p.weight("png", 4000, 3000); w != 36_000_000 {
		t.Errorf("12 MP PNG weighs %d", w)
	}
	if w := p.weight("png", 7000, 7000); w != DefaultBudget {
		t.Errorf("a picture heavier than the budget weighs %d, want the whole budget", w)
	}
}

func TestImageBudgetWaitHonoursContext(t *testing.T) {
	p := NewProcessor(1000)
	if err := p.acquire(context.Background(), 1000); err != nil { // someone holds it all
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := p.Process(ctx, jpegOf(t, testPicture(40, 30, 1), 80), "")
	wantImageCode(t, err, errs.Unavailable)
	if e := errs.As(err); e.RetryAfter <= 0 {
		t.Error("no Retry-After")
	}
	p.release(1000)
	if _, err := p.Process(context.Background(), jpegOf(t, testPicture(40, 30, 1), 80), ""); err != nil {
		t.Fatalf("after release: %v", err)
	}
}
