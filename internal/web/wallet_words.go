package web

import (
	"context"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/wallet"
)

// walletError rewords a wallet refusal for a page: in the reader's
// language, and next to the field it is about. The wallet's sentences
// carry amounts and handles, so they cannot be looked up as they are;
// their codes and extras say the same. who is the other party the form is
// about (the recipient, or the payee of a request), for the sentences
// that name them. Errors it does not know are returned as they are.
func (a *App) walletError(ctx context.Context, p *Page, err error, who string) error {
	e := errs.As(err)
	out := &errs.Error{Code: e.Code, Field: e.Field, Extra: e.Extra, Err: e.Err}
	who = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(who), "@"))
	switch e.Code {
	case ledger.CodeInsufficientFunds:
		out.Field = "amount"
		out.Message = p.T("Not enough money: this needs %s, and your wallet has %s available. Top up first, or send less.",
			money(extraInt(e, "needed")), money(extraInt(e, "available")))
	case wallet.CodeLimitExceeded:
		out.Field = "amount"
		max, left := extraInt(e, "max"), extraInt(e, "remaining")
		if e.Extra["limit"] == "daily" {
			out.Message = p.T("This is over your daily limit of %s: %s is left today (the day turns at 00:00 UTC).", money(max), money(left))
		} else {
			out.Message = p.T("This is over your limit of %s per payment.", money(max))
		}
		if max < wallet.LimitsByLevel[3].PerPayment || e.Extra["limit"] == "daily" && max < wallet.LimitsByLevel[3].Daily {
			out.Message += " " + p.T("Verify your identity to raise your limits.")
		}
	case wallet.CodeFrozen:
		out.Message = p.T("Your wallet is frozen while your account is suspended: money can still come in, but none can go out.")
	case wallet.CodeRecipient:
		if _, lerr := a.Accounts.UserByHandle(ctx, a.DB, who); errs.Is(lerr, errs.NotFound) {
			out.Message = p.T("There is nobody with the handle @%s. Check the spelling.", errs.Clip(who, 40))
		} else {
			out.Message = p.T("@%s's account is closed, so it cannot receive money.", errs.Clip(who, 40))
		}
	case account.CodePINIncorrect:
		out.Field = "pin"
		out.Message = p.T("That payment PIN is wrong; %d tries left before it locks.", extraInt(e, "tries_left"))
	case account.CodePINLocked:
		out.Field = "pin"
		out.Message = p.T("Your payment PIN is locked after %d wrong tries. Reset it with your account password on the Payment PIN page.", account.MaxPINFailures)
	case account.CodePINRequired:
		// checkPIN has made sure there is a PIN to ask for, so this is
		// "type it" (translated by formError), or checkPIN's own sentence.
		out.Field, out.Message = "pin", e.Message
	case wallet.CodePaymentDeclined:
		out.Field = "source"
		out.Message = p.T("The bank declined the charge, so nothing was charged. Try another funding source.")
	case wallet.CodeRequestExpired:
		out.Message = p.T("This payment request has expired; ask @%s for a new one.", who)
	case wallet.CodeRequestPaid:
		out.Message = p.T("This payment request has already been paid.")
	case wallet.CodeRequestCancelled:
		out.Message = p.T("@%s cancelled this payment request.", who)
	case idempotency.CodeMismatch:
		out.Message = p.T("This form was already sent with other values. Reload the page and fill it in again.")
	case idempotency.CodeInProgress:
		out.Message = p.T("This form is still being processed. Wait a moment and look at your wallet before sending it again.")
	default:
		return err
	}
	return out
}

// extraInt reads a whole number from an error's extras (0 when missing).
func extraInt(e *errs.Error, key string) int64 {
	switch v := e.Extra[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	}
	return 0
}

// txRow is one movement as the history shows it: what it was in words,
// and what it did to the balances.
type txRow struct {
	wallet.Transaction
	What   string // "Sent to @lei", "Top-up" …
	Detail string // the memo, a withdrawal's bank account …
	Link   string // where Detail leads (a tip's post), if anywhere
	Shown  int64  // the amount shown: the change to available, or to held when only that moved
	In     bool
	// Effect spells out both balances when both moved, or when only the
	// held one did ("Held +¥5.00").
	Effect string
}

// Signed is the shown amount with its sign: "+¥12.50", "-¥3.00".
func (t txRow) Signed() string { return signedMoney(t.Shown) }

func signedMoney(minor int64) string {
	if minor > 0 {
		return "+" + money(minor)
	}
	return money(minor)
}

func txRows(p *Page, txs []wallet.Transaction) []txRow {
	out := make([]txRow, len(txs))
	for i, t := range txs {
		out[i] = describeTx(p, t)
	}
	return out
}

// describe says what a movement was, from its kind, its direction and
// the other party.
func describeTx(p *Page, t wallet.Transaction) txRow {
	row := txRow{Transaction: t, Shown: t.Amount}
	if t.Amount == 0 {
		row.Shown = t.Held
	}
	row.In = row.Shown > 0
	if t.Held != 0 {
		if t.Amount != 0 {
			row.Effect = p.T("Available %s · Held %s", signedMoney(t.Amount), signedMoney(t.Held))
		} else {
			row.Effect = p.T("Held %s", signedMoney(t.Held))
		}
	}
	who := "@" + t.Counterparty
	userMemo := true
	switch t.Kind {
	case "topup":
		row.What, userMemo = p.T("Top-up"), false
	case "transfer":
		if row.In {
			row.What = p.T("Received from %s", who)
		} else {
			row.What = p.T("Sent to %s", who)
		}
	case "payment":
		if row.In {
			row.What = p.T("%s paid your payment request", who)
		} else {
			row.What = p.T("Paid %s's payment request", who)
		}
	case "tip":
		userMemo = false
		switch {
		case !row.In:
			row.What = p.T("Tip to %s", who)
		case t.Amount == 0:
			row.What = p.T("Tip from %s (held for now)", who)
		default:
			row.What = p.T("Tip from %s", who)
		}
	case "tip_release":
		row.What, userMemo = p.T("Held tip released to you"), false
	case "tip_refund":
		userMemo = false
		if row.In {
			row.What = p.T("Tip refunded to you: the post was removed")
		} else {
			row.What = p.T("Tip taken back: the post was removed")
		}
	case "withdrawal_hold":
		row.What, userMemo = p.T("Withdrawal requested (held until the bank confirms)"), false
		row.Detail = strings.TrimPrefix(t.Memo, "withdrawal to ")
	case "withdrawal_settle":
		row.What, userMemo = p.T("Withdrawal paid out"), false
		row.Detail = strings.TrimPrefix(t.Memo, "withdrawal to ")
	case "withdrawal_reverse":
		row.What, userMemo = p.T("Withdrawal returned to your wallet"), false
		row.Detail = strings.TrimPrefix(t.Memo, "withdrawal returned: ")
	default:
		row.What, userMemo = p.T("Other movement (%s)", t.Kind), false
	}
	if userMemo {
		row.Detail = t.Memo
	}
	if post := tipPost(t); post != "" {
		row.Detail, row.Link = p.T("See the post"), "/p/"+post
	}
	return row
}

// tipPost is the post a tip's movement was for: tips, their release and
// refund name it in their memo ("tip on post 01H… released").
func tipPost(t wallet.Transaction) string {
	if t.Kind != "tip" && t.Kind != "tip_release" && t.Kind != "tip_refund" {
		return ""
	}
	rest, ok := strings.CutPrefix(t.Memo, "tip on post ")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, " ")
	return id
}

// dayRange reads an inclusive range of UTC days from two YYYY-MM-DD
// values, either of which may be empty, as [from, to).
func dayRange(p *Page, f *Form, fromName, toName string) (from, to time.Time, ok bool) {
	ok = true
	if v := strings.TrimSpace(f.Get(fromName)); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			f.Errors[fromName] = p.T("Enter a date like 2026-01-31.")
			ok = false
		}
		from = t
	}
	if v := strings.TrimSpace(f.Get(toName)); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			f.Errors[toName] = p.T("Enter a date like 2026-01-31.")
			ok = false
		}
		to = t.AddDate(0, 0, 1)
	}
	if ok && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		f.Errors[toName] = p.T("The last day must not be before the first.")
		ok = false
	}
	return from, to, ok
}
