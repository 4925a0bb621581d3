package ledger

import (
	"context"
	"fmt"
	"slices"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Batch posts many entries in one transaction with a handful of
// statements, however many entries there are. It reads the balances of the
// accounts the entries may touch once (on PostgreSQL it also locks them,
// in id order, so batches and single entries cannot deadlock), checks and
// applies each entry against those balances in memory, in order, and
// writes the journal and the net balance changes when flushed. An entry
// that does not fit is refused on its own, exactly as Post refuses it, and
// the entries after it still see the balances without it.
type Batch struct {
	tx      *store.Tx
	bal     map[string]*account
	entries []Entry
}

type account struct {
	Balance
	mayGoNegative bool
	exists        bool   // it has a row (otherwise a wallet that opens on first credit)
	owner         string // for a wallet to open: its user
	moved         bool
	delta         Balance
}

// NewBatch reads the balances of accounts (wallet ids and system
// accounts) for entries to be posted with Post. An account not read here
// is treated as an unopened wallet: it holds nothing.
func NewBatch(ctx context.Context, tx *store.Tx, accounts []string) (*Batch, error) {
	ids := slices.Clone(accounts)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	b := &Batch{tx: tx, bal: make(map[string]*account, len(ids))}
	lock := ""
	if tx.Engine() == store.Postgres {
		lock = " FOR UPDATE"
	}
	// Chunks go in id order and each reads in id order, so locks are taken
	// in one global order.
	err := store.Chunks(len(ids), func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, id := range ids[lo:hi] {
			args[i] = id
		}
		rows, err := tx.Query(ctx, `SELECT id, available, held, may_go_negative FROM ledger_accounts
			WHERE id IN (`+store.List(hi-lo, 1)+`) ORDER BY id`+lock, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			a := &account{exists: true}
			if err := rows.Scan(&id, &a.Available, &a.Held, &a.mayGoNegative); err != nil {
				return err
			}
			b.bal[id] = a
		}
		return rows.Err()
	})
	return b, err
}

// Post checks e and applies it to the batch's balances, to be written by
// Flush. It refuses e, changing nothing, for the reasons Post does.
func (b *Batch) Post(e Entry) (Entry, error) {
	if err := check(e); err != nil {
		return Entry{}, err
	}
	changes := netChanges(e.Postings)
	for _, c := range changes {
		a := b.bal[c.account]
		if a == nil {
			if c.owner == "" {
				return Entry{}, errs.E(errs.Internal, "The ledger account %q was not read for this batch.", c.account)
			}
			a = &account{owner: c.owner}
			b.bal[c.account] = a
		}
		if have := a.get(c.bucket); !a.mayGoNegative && have+c.amount < 0 {
			return Entry{}, insufficient(c, have)
		}
	}
	for _, c := range changes {
		a := b.bal[c.account]
		a.add(c.bucket, c.amount)
		a.delta.add(c.bucket, c.amount)
		a.moved = true
	}
	e.ID = store.NewID(b.tx.Now)
	e.CreatedAt = b.tx.Now
	b.entries = append(b.entries, e)
	return e, nil
}

func (b *Balance) get(k Bucket) int64 {
	if k == Held {
		return b.Held
	}
	return b.Available
}

func (b *Balance) add(k Bucket, amount int64) {
	if k == Held {
		b.Held += amount
	} else {
		b.Available += amount
	}
}

// Flush writes the posted entries and the balance changes.
func (b *Batch) Flush(ctx context.Context) error {
	tx := b.tx
	var open, moved []string
	for id, a := range b.bal {
		if !a.moved {
			continue
		}
		moved = append(moved, id)
		if !a.exists {
			open = append(open, id)
		}
	}
	slices.Sort(open)
	slices.Sort(moved)
	// Wallets credited for the first time open (with nothing, and then
	// take their change like the others: another transaction may have
	// opened one meanwhile).
	err := store.Chunks(len(open), func(lo, hi int) error {
		args := make([]any, 0, 5*(hi-lo))
		for _, id := range open[lo:hi] {
			args = append(args, id, "wallet", b.bal[id].owner, Currency, tx.Now)
		}
		_, err := tx.Exec(ctx, `INSERT INTO ledger_accounts (id, kind, user_id, currency, created_at)
			VALUES `+store.Values(hi-lo, 5, 1)+` ON CONFLICT (id) DO NOTHING`, args...)
		return err
	})
	if err != nil {
		return err
	}
	err = store.Chunks(len(moved), func(lo, hi int) error {
		args := make([]any, 0, 3*(hi-lo))
		for _, id := range moved[lo:hi] {
			d := b.bal[id].delta
			args = append(args, id, d.Available, d.Held)
		}
		res, err := tx.Exec(ctx, `UPDATE ledger_accounts SET available = available + v.column2, held = held + v.column3
			FROM (VALUES `+store.Values(hi-lo, 3, 1, "", "BIGINT", "BIGINT")+`) AS v WHERE ledger_accounts.id = v.column1`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(hi-lo) {
			return errs.E(errs.Internal, "A batch moved %d ledger accounts but updated %d.", hi-lo, n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = store.Chunks(len(b.entries), func(lo, hi int) error {
		args := make([]any, 0, 4*(hi-lo))
		for _, e := range b.entries[lo:hi] {
			args = append(args, e.ID, e.Kind, e.Memo, e.CreatedAt)
		}
		_, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, kind, memo, created_at) VALUES `+store.Values(hi-lo, 4, 1), args...)
		return err
	})
	if err != nil {
		return err
	}
	type posting struct {
		entry string
		n     int
		Posting
	}
	var ps []posting
	for _, e := range b.entries {
		for i, p := range e.Postings {
			ps = append(ps, posting{e.ID, i + 1, p})
		}
	}
	err = store.Chunks(len(ps), func(lo, hi int) error {
		args := make([]any, 0, 5*(hi-lo))
		for _, p := range ps[lo:hi] {
			args = append(args, p.entry, p.n, p.Account, p.Bucket, p.Amount)
		}
		_, err := tx.Exec(ctx, `INSERT INTO postings (entry_id, n, account_id, bucket, amount) VALUES `+store.Values(hi-lo, 5, 1), args...)
		return err
	})
	b.entries = nil
	for _, a := range b.bal {
		a.exists = a.exists || a.moved
		a.moved, a.delta = false, Balance{}
	}
	return err
}

// insufficient is the refusal of change c to an account holding have.
func insufficient(c change, have int64) error {
	return &errs.Error{
		Code:    CodeInsufficientFunds,
		Message: fmt.Sprintf("Insufficient funds: this needs %s but only %s is %s.", Format(-c.amount), Format(have), c.bucket),
		Extra:   map[string]any{"available": have, "needed": -c.amount, "currency": Currency},
	}
}
