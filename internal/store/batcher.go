package store

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/quanzi/quanzi/internal/errs"
)

// Batcher settles calls asked for at the same moment together. A settling
// loop takes every call waiting (up to maxBatch) and hands them to one
// settle function in one transaction, so the cost of a commit and of each
// statement is shared. Unlike Grouped there are no savepoints: settle
// decides every call itself — typically with one read and one write of
// each kind of row for the whole batch — and records each call's outcome
// in the call. Nobody hears of an outcome before the commit is durable;
// if the transaction fails, nothing of the batch was written and every
// caller hears the error.
type Batcher[C any] struct {
	db     *DB
	loops  int
	settle func(ctx context.Context, tx *Tx, calls []*C) error
	calls  chan *pending[C]
	start  sync.Once
	// Counted for metrics and benchmarks: transactions committed, and the
	// calls they settled.
	batches, settled atomic.Int64
}

type pending[C any] struct {
	call *C
	ctx  context.Context
	done chan error
}

// NewBatcher returns a batcher whose loops (started with the first call)
// settle batches with settle. settle may run more than once for the same
// calls (when its transaction is retried), so it must set every outcome
// afresh each time. It must not keep the calls' contexts: one caller
// leaving does not undo the others.
func NewBatcher[C any](db *DB, loops int, settle func(ctx context.Context, tx *Tx, calls []*C) error) *Batcher[C] {
	return &Batcher[C]{db: db, loops: max(loops, 1), settle: settle, calls: make(chan *pending[C])}
}

// Do hands c to a settling loop and waits for its batch: nil once the
// batch committed (c then holds its outcome), or why the batch failed.
// Once taken, c is settled even if ctx ends meanwhile: the caller must
// learn whether it counted.
func (b *Batcher[C]) Do(ctx context.Context, c *C) error {
	b.start.Do(func() {
		for range b.loops {
			b.db.Background(b.loop)
		}
	})
	p := &pending[C]{call: c, ctx: ctx, done: make(chan error, 1)}
	select {
	case b.calls <- p:
	case <-ctx.Done():
		return b.db.MapErr(ctx.Err())
	case <-b.db.Closing():
		return b.db.MapErr(ErrClosed)
	}
	return <-p.done
}

// Stats returns how many batches have committed and how many calls they
// settled.
func (b *Batcher[C]) Stats() (batches, calls int64) {
	return b.batches.Load(), b.settled.Load()
}

func (b *Batcher[C]) loop(closing <-chan struct{}) {
	for {
		var batch []*pending[C]
		select {
		case <-closing:
			return
		case p := <-b.calls:
			batch = append(batch, p)
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case p := <-b.calls:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		b.run(batch)
	}
}

func (b *Batcher[C]) run(batch []*pending[C]) {
	var live []*pending[C]
	var calls []*C
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.done <- b.db.MapErr(err)
			continue
		}
		live = append(live, p)
		calls = append(calls, p.call)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background() // one caller leaving must not undo the others
	err := b.db.Tx(ctx, func(tx *Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = errs.E(errs.Internal, "A batch failed: %v", p)
			}
		}()
		return b.settle(ctx, tx, calls)
	})
	if err == nil {
		b.batches.Add(1)
		b.settled.Add(int64(len(live)))
	}
	for _, p := range live {
		p.done <- err
	}
}
