// Package ledger is quanzi's double-entry book of money. Every movement is
// one journal entry whose postings sum to zero, written in the caller's
// transaction together with its business record. Balances (available and
// held) are kept current in the same transaction, with a conditional update
// that refuses to take a wallet below zero, so no interleaving of
// concurrent requests can overdraw one. Entries are immutable; a mistake
// is corrected by a reversing entry.
package ledger

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Currency is the one currency wallets hold today. Amounts are integers in
// its minor unit (fen): 1250 is ¥12.50.
const Currency = "CNY"

// System accounts. The funding source's balance is minus everything that
// came in from outside; fees collect platform fees; withdrawals hold money
// on its way out; suspense parks what cannot be placed yet.
const (
	Funding     = "sys_funding"
	Fees        = "sys_fees"
	Withdrawals = "sys_withdrawals"
	Suspense    = "sys_suspense"
)

// Bucket is the part of an account a posting moves: money free to spend,
// or money held (a withdrawal waiting for the bank).
type Bucket string

const (
	Available Bucket = "available"
	Held      Bucket = "held"
)

// Posting moves Amount into (positive) or out of (negative) one bucket of
// one account.
type Posting struct {
	Account string `json:"account"`
	Bucket  Bucket `json:"bucket"`
	Amount  int64  `json:"amount"`
	owner   string // for a wallet made by ToWallet: its user, so it can be opened on first credit
}

// ToWallet is a posting to a user's wallet, which it opens if the user
// has none yet.
func ToWallet(userID string, amount int64) Posting {
	return Posting{Account: WalletID(userID), Bucket: Available, Amount: amount, owner: userID}
}

// HeldInWallet is a posting to the held part of a user's wallet (opened
// if need be): money that is theirs but not yet free to spend.
func HeldInWallet(userID string, amount int64) Posting {
	p := ToWallet(userID, amount)
	p.Bucket = Held
	return p
}

// Entry is one balanced movement of money.
type Entry struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // what the business calls it: topup, transfer, tip …
	Memo      string    `json:"memo,omitempty"`
	Reverses  string    `json:"reverses,omitempty"`
	Postings  []Posting `json:"postings"`
	CreatedAt time.Time `json:"created_at"`
}

// Balance is an account's money.
type Balance struct {
	Available int64 `json:"available"`
	Held      int64 `json:"held"`
}

// Error codes.
const (
	CodeInsufficientFunds errs.Code = "insufficient_funds"
	CodeAlreadyReversed   errs.Code = "already_reversed"
)

// WalletID is the ledger account of a user's wallet.
func WalletID(userID string) string { return "w_" + userID }

// OpenWallet makes sure the user has a wallet and returns its account id.
// It is cheap to call before every movement.
func OpenWallet(ctx context.Context, tx *store.Tx, userID string) (string, error) {
	id := WalletID(userID)
	_, err := tx.Exec(ctx, `INSERT INTO ledger_accounts (id, kind, user_id, currency, created_at)
		VALUES ($1, 'wallet', $2, $3, $4) ON CONFLICT (id) DO NOTHING`, id, userID, Currency, tx.Now)
	return id, err
}

// Post writes e in tx and moves the balances. It refuses, writing nothing,
// an entry that does not balance, and one that would take an account that
// may not go negative below zero (CodeInsufficientFunds, with the amount
// available).
func Post(ctx context.Context, tx *store.Tx, e Entry) (Entry, error) {
	if err := check(e); err != nil {
		return Entry{}, err
	}
	// Apply the balance changes first, account by account in a fixed
	// order: two entries touching the same accounts then lock them in the
	// same order on PostgreSQL and cannot deadlock.
	for _, d := range netChanges(e.Postings) {
		if err := apply(ctx, tx, d); err != nil {
			return Entry{}, err
		}
	}
	// Then the journal: the entry and all its postings in one statement.
	e.ID = store.NewID(tx.Now)
	e.CreatedAt = tx.Now
	var reverses any
	if e.Reverses != "" {
		reverses = e.Reverses
	}
	_, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, kind, memo, reverses, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.ID, e.Kind, e.Memo, reverses, tx.Now)
	if errs.Is(err, errs.Conflict) && e.Reverses != "" {
		return Entry{}, errs.E(CodeAlreadyReversed, "That entry has already been reversed.")
	}
	if err != nil {
		return Entry{}, err
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO postings (entry_id, n, account_id, bucket, amount) VALUES `)
	args := []any{e.ID}
	for i, p := range e.Postings {
		if i > 0 {
			q.WriteString(", ")
		}
		k := len(args)
		fmt.Fprintf(&q, "($1, %d, $%d, $%d, $%d)", i+1, k+1, k+2, k+3)
		args = append(args, p.Account, p.Bucket, p.Amount)
	}
	if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// check says whether e can be posted.
func check(e Entry) error {
	if strings.TrimSpace(e.Kind) == "" {
		return errs.E(errs.Invalid, "A journal entry needs a kind.")
	}
	if len(e.Postings) < 2 {
		return errs.E(errs.Invalid, "A journal entry needs at least two postings.")
	}
	var sum int64
	for _, p := range e.Postings {
		if p.Amount == 0 {
			return errs.E(errs.Invalid, "A posting must move a non-zero amount.")
		}
		if p.Bucket != Available && p.Bucket != Held {
			return errs.E(errs.Invalid, "A posting's bucket must be available or held, not %q.", p.Bucket)
		}
		if (p.Amount > 0 && sum > math.MaxInt64-p.Amount) || (p.Amount < 0 && sum < math.MinInt64-p.Amount) {
			return errs.E(errs.Invalid, "The postings' amounts are too large to add up.")
		}
		sum += p.Amount
	}
	if sum != 0 {
		return errs.E(errs.Invalid, "A journal entry's postings must sum to zero; these sum to %d.", sum)
	}
	return nil
}

type change struct {
	account string
	bucket  Bucket
	amount  int64
	owner   string
}

// netChanges sums the postings per account and bucket, in account order.
func netChanges(ps []Posting) []change {
	m := map[[2]string]int64{}
	owners := map[string]string{}
	for _, p := range ps {
		m[[2]string{p.Account, string(p.Bucket)}] += p.Amount
		if p.owner != "" {
			owners[p.Account] = p.owner
		}
	}
	out := make([]change, 0, len(m))
	for k, v := range m {
		if v != 0 {
			out = append(out, change{account: k[0], bucket: Bucket(k[1]), amount: v, owner: owners[k[0]]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].account != out[j].account {
			return out[i].account < out[j].account
		}
		return out[i].bucket < out[j].bucket
	})
	return out
}

// apply moves one balance. The condition in the UPDATE is what makes
// overdrafts impossible: on PostgreSQL the row lock serialises concurrent
// updates and the condition is checked again against the latest balance;
// on SQLite there is one writer.
func apply(ctx context.Context, tx *store.Tx, c change) error {
	col := "available"
	if c.bucket == Held {
		col = "held"
	}
	res, err := tx.Exec(ctx, `UPDATE ledger_accounts SET `+col+` = `+col+` + $1
		WHERE id = $2 AND (may_go_negative OR `+col+` + $1 >= 0)`, c.amount, c.account)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if c.owner != "" && c.amount > 0 {
		// The first credit to a wallet opens it.
		if _, err := OpenWallet(ctx, tx, c.owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE ledger_accounts SET `+col+` = `+col+` + $1 WHERE id = $2`, c.amount, c.account)
		return err
	}
	var b Balance
	err = tx.QueryRow(ctx, `SELECT available, held FROM ledger_accounts WHERE id = $1`, c.account).Scan(&b.Available, &b.Held)
	switch {
	case err == store.ErrNoRows && c.owner == "":
		return errs.E(errs.NotFound, "There is no ledger account %q.", c.account)
	case err == store.ErrNoRows:
		return insufficient(c, 0) // a wallet not yet opened holds nothing
	case err != nil:
		return err
	}
	return insufficient(c, b.get(c.bucket))
}

// Reverse posts the exact opposite of entry id, once. memo says why.
func Reverse(ctx context.Context, tx *store.Tx, id, kind, memo string) (Entry, error) {
	orig, err := Get(ctx, tx, id)
	if err != nil {
		return Entry{}, err
	}
	if orig.Reverses != "" {
		return Entry{}, errs.E(errs.Invalid, "A reversal is not reversed; post a new entry instead.")
	}
	// Say so plainly if it was reversed before; the unique constraint on
	// reverses still decides a race between two reversals.
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM journal_entries WHERE reverses = $1`, id).Scan(&n); err != nil {
		return Entry{}, err
	}
	if n > 0 {
		return Entry{}, errs.E(CodeAlreadyReversed, "That entry has already been reversed.")
	}
	rev := Entry{Kind: kind, Memo: memo, Reverses: id}
	for _, p := range orig.Postings {
		rev.Postings = append(rev.Postings, Posting{Account: p.Account, Bucket: p.Bucket, Amount: -p.Amount})
	}
	return Post(ctx, tx, rev)
}

// Get reads one entry with its postings.
func Get(ctx context.Context, q store.Querier, id string) (Entry, error) {
	var e Entry
	var reverses *string
	err := q.QueryRow(ctx, `SELECT id, kind, memo, reverses, created_at FROM journal_entries WHERE id = $1`, id).
		Scan(&e.ID, &e.Kind, &e.Memo, &reverses, &e.CreatedAt)
	if err == store.ErrNoRows {
		return Entry{}, errs.E(errs.NotFound, "There is no journal entry %q.", id)
	}
	if err != nil {
		return Entry{}, err
	}
	if reverses != nil {
		e.Reverses = *reverses
	}
	rows, err := q.Query(ctx, `SELECT account_id, bucket, amount FROM postings WHERE entry_id = $1 ORDER BY n`, id)
	if err != nil {
		return Entry{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Posting
		if err := rows.Scan(&p.Account, &p.Bucket, &p.Amount); err != nil {
			return Entry{}, err
		}
		e.Postings = append(e.Postings, p)
	}
	return e, rows.Err()
}

// BalanceOf reads an account's balance.
func BalanceOf(ctx context.Context, q store.Querier, account string) (Balance, error) {
	var b Balance
	err := q.QueryRow(ctx, `SELECT available, held FROM ledger_accounts WHERE id = $1`, account).Scan(&b.Available, &b.Held)
	if err == store.ErrNoRows {
		return Balance{}, nil // a wallet not yet opened holds nothing
	}
	return b, err
}

// Format writes an amount in minor units as yuan: 1250 → "¥12.50".
func Format(minor int64) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign = "-"
		u = uint64(-minor) // two's complement also covers MinInt64
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, u/100, u%100)
}
