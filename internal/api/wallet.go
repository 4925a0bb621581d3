package api

import (
	"context"
	"net/http"

	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

func (s *Server) walletRoutes() {
	s.add(route{Method: "GET", Path: "/api/v1/wallet", Tag: "wallet", Access: signedIn,
		Summary: "The caller's balances (available and held), in minor units.", Response: wallet.Wallet{}, handle: s.getWallet})
	s.add(route{Method: "GET", Path: "/api/v1/wallet/transactions", Tag: "wallet", Access: signedIn,
		Summary: "The caller's wallet history, newest first, with counterparty, memo and kind.", Query: pageParams,
		Response: list[wallet.Transaction]{}, handle: s.walletHistory})
	s.add(route{Method: "POST", Path: "/api/v1/wallet/topups", Tag: "wallet", Access: signedIn, Idempotent: true,
		Summary: "Top up from a funding source through the gateway (the sandbox by default: source \"sandbox\", \"sandbox-decline\", \"sandbox-fail-after-charge\").",
		Body:    topupRequest{}, Response: wallet.Topup{}, Status: http.StatusCreated, handle: s.topup})
	s.add(route{Method: "POST", Path: "/api/v1/transfers", Tag: "wallet", Access: signedIn, Idempotent: true,
		Summary: "Send money to another user by handle: one ledger entry, refused with insufficient_funds when the balance does not cover it.",
		Body:    transferRequest{}, Response: wallet.Transfer{}, Status: http.StatusCreated, handle: s.transfer})
}

func (s *Server) getWallet(w http.ResponseWriter, r *http.Request) error {
	wal, err := s.Wallet.Balance(r.Context(), s.user(r).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wal)
	return nil
}

func (s *Server) walletHistory(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Wallet.History(r.Context(), s.user(r).ID, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

type transferRequest struct {
	To       string `json:"to"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Memo     string `json:"memo,omitempty"`
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var req transferRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	sender := s.user(r)
	return s.idempotent(w, r, body, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		t, err := s.Wallet.Send(ctx, tx, sender, wallet.TransferRequest{To: req.To, Amount: req.Amount, Currency: req.Currency, Memo: req.Memo})
		return http.StatusCreated, t, err
	})
}

type topupRequest struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Source   string `json:"source,omitempty"`
}

func (s *Server) topup(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var req topupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	u := s.user(r)
	// The gateway is called outside any transaction; the top-up, keyed by
	// the Idempotency-Key, makes a retry find the same charge.
	t, receipt, err := s.Wallet.ChargeTopup(r.Context(), u, wallet.TopupRequest{
		Amount: req.Amount, Currency: req.Currency, Source: req.Source, Key: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	return s.idempotent(w, r, body, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		done, err := s.Wallet.CompleteTopup(ctx, tx, u.ID, t, receipt)
		return http.StatusCreated, done, err
	})
}

func (s *Server) withdrawalRoutes() {
	s.add(route{Method: "POST", Path: "/api/v1/withdrawals", Tag: "wallet", Access: signedIn, Idempotent: true,
		Summary: "Withdraw to a bank account: the amount is held at once and leaves when the gateway settles it (or returns if it is reversed).",
		Body:    withdrawRequest{}, Response: wallet.Withdrawal{}, Status: http.StatusCreated, handle: s.withdraw})
	s.add(route{Method: "POST", Path: "/api/v1/admin/withdrawals/{id}/settle", Tag: "admin", Access: admin,
		Summary:  "Record the gateway's report that a withdrawal was paid out (the hold leaves the wallet).",
		Response: wallet.Withdrawal{}, handle: s.settleWithdrawal})
	s.add(route{Method: "POST", Path: "/api/v1/admin/withdrawals/{id}/reverse", Tag: "admin", Access: admin,
		Summary: "Record that a payout failed: the held amount returns to the user's available balance, exactly.",
		Body:    reasonRequest{}, Response: wallet.Withdrawal{}, handle: s.reverseWithdrawal})
}

type withdrawRequest struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency,omitempty"`
	Destination string `json:"destination"`
}

func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var req withdrawRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	u := s.user(r)
	return s.idempotent(w, r, body, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		wd, err := s.Wallet.Withdraw(ctx, tx, u, wallet.WithdrawRequest{Amount: req.Amount, Currency: req.Currency, Destination: req.Destination})
		return http.StatusCreated, wd, err
	})
}

func (s *Server) settleWithdrawal(w http.ResponseWriter, r *http.Request) error {
	actor := s.user(r).ID
	return s.idempotent(w, r, nil, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		wd, err := s.Wallet.SettleWithdrawal(ctx, tx, actor, r.PathValue("id"))
		return http.StatusOK, wd, err
	})
}

func (s *Server) reverseWithdrawal(w http.ResponseWriter, r *http.Request) error {
	var req reasonRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	actor := s.user(r).ID
	return s.idempotent(w, r, nil, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		wd, err := s.Wallet.ReverseWithdrawal(ctx, tx, actor, r.PathValue("id"), req.Reason)
		return http.StatusOK, wd, err
	})
}
