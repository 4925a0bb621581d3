package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
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
	PIN      string `json:"pin,omitempty"` // the payment PIN, needed above ¥200
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
	if err := s.requirePIN(r, req.Amount, wallet.MaxTransfer, req.PIN); err != nil {
		return err
	}
	req.PIN = ""
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if err := idempotency.CheckKey(key); err != nil {
			return err
		}
	}
	res, err := s.Wallet.Transfer(r.Context(), wallet.TransferCall{
		Sender:  sender,
		Request: wallet.TransferRequest{To: req.To, Amount: req.Amount, Currency: req.Currency, Memo: req.Memo},
		Key:     key,
		Hash:    requestHashFor(r.Method, r.URL.Path, canonical(req)),
		Answer:  created[wallet.Transfer](requestID(r.Context())),
	})
	return writeAnswered(w, res, err)
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
	PIN         string `json:"pin,omitempty"` // the payment PIN, needed above ¥200
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
	if err := s.requirePIN(r, req.Amount, wallet.MaxWithdrawal, req.PIN); err != nil {
		return err
	}
	req.PIN = ""
	return s.idempotent(w, r, canonical(req), func(ctx context.Context, tx *store.Tx) (int, any, error) {
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

func (s *Server) collectRoutes() {
	s.add(route{Method: "POST", Path: "/api/v1/payment-requests", Tag: "wallet", Access: signedIn,
		Summary: "Ask for money: a payment request with an id and a short code (its pay_url is what a QR image encodes).",
		Body:    paymentRequestBody{}, Response: wallet.PaymentRequest{}, Status: http.StatusCreated, handle: s.requestPayment})
	s.add(route{Method: "GET", Path: "/api/v1/payment-requests/{ref}", Tag: "wallet", Access: signedIn,
		Summary: "A payment request by id or code: what a payer sees before paying.", Response: wallet.PaymentRequest{}, handle: s.getPaymentRequest})
	s.add(route{Method: "POST", Path: "/api/v1/payment-requests/{ref}/pay", Tag: "wallet", Access: signedIn, Idempotent: true,
		Summary: "Pay a payment request (by id or code) from the caller's wallet.", Body: payRequestBody{}, Response: wallet.Transfer{}, Status: http.StatusCreated, handle: s.payRequest})
	s.add(route{Method: "PUT", Path: "/api/v1/me/payment-pin", Tag: "wallet", Access: signedIn,
		Summary: "Set or reset the 6-digit payment PIN (needed for payments above ¥200), confirming with the account password; resetting unlocks it.",
		Body:    pinRequest{}, Status: http.StatusNoContent, handle: s.setPIN})
	s.add(route{Method: "POST", Path: "/api/v1/payment-requests/{ref}/cancel", Tag: "wallet", Access: signedIn,
		Summary: "Cancel one's own open payment request.", Response: wallet.PaymentRequest{}, handle: s.cancelRequest})
}

type paymentRequestBody struct {
	Amount    int64      `json:"amount"`
	Currency  string     `json:"currency,omitempty"`
	Memo      string     `json:"memo,omitempty"`
	SingleUse bool       `json:"single_use,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Server) requestPayment(w http.ResponseWriter, r *http.Request) error {
	var req paymentRequestBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pr, err := s.Wallet.RequestPayment(r.Context(), s.user(r), wallet.NewPaymentRequest{
		Amount: req.Amount, Currency: req.Currency, Memo: req.Memo, SingleUse: req.SingleUse, ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

func (s *Server) getPaymentRequest(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.Wallet.PaymentRequestByRef(r.Context(), s.DB, r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

type payRequestBody struct {
	PIN string `json:"pin,omitempty"` // the payment PIN, needed above ¥200
}

func (s *Server) payRequest(w http.ResponseWriter, r *http.Request) error {
	var req payRequestBody
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	payer := s.user(r)
	pr, _, err := s.Wallet.PaymentRequestByRef(r.Context(), s.DB, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if err := s.requirePIN(r, pr.Amount, wallet.MaxTransfer, req.PIN); err != nil {
		return err
	}
	return s.idempotent(w, r, nil, func(ctx context.Context, tx *store.Tx) (int, any, error) {
		t, err := s.Wallet.PayRequest(ctx, tx, payer, r.PathValue("ref"))
		return http.StatusCreated, t, err
	})
}

func (s *Server) cancelRequest(w http.ResponseWriter, r *http.Request) error {
	pr, err := s.Wallet.CancelRequest(r.Context(), s.user(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *Server) statementRoutes() {
	s.add(route{Method: "GET", Path: "/api/v1/wallet/statement.csv", Tag: "wallet", Access: signedIn, Raw: true,
		Summary: "A CSV statement of the caller's wallet for a date range: ?from=2026-01-01&to=2026-02-01 (to exclusive, at most 366 days, UTC).",
		Query:   []param{{"from", "first day, YYYY-MM-DD (UTC)"}, {"to", "the day after the last, YYYY-MM-DD (UTC)"}}, handle: s.statement})
}

func (s *Server) statement(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := time.Parse(time.DateOnly, q.Get("from"))
	if err != nil {
		return errs.Field("from", "from must be a date like 2026-01-01.")
	}
	to, err := time.Parse(time.DateOnly, q.Get("to"))
	if err != nil {
		return errs.Field("to", "to must be a date like 2026-02-01.")
	}
	u := s.user(r)
	// Check the range before the first byte: once the CSV starts, the
	// status is sent.
	if err := wallet.CheckStatementRange(from, to); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="quanzi-%s-%s-%s.csv"`, u.Handle, q.Get("from"), q.Get("to")))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	cw.Write([]string{"time_utc", "entry_id", "kind", "amount_cny", "held_cny", "counterparty", "memo"})
	err = s.Wallet.Statement(r.Context(), u.ID, from, to, func(t wallet.Transaction) error {
		return cw.Write([]string{t.CreatedAt.Format(time.RFC3339), t.EntryID, t.Kind, yuan(t.Amount), yuan(t.Held), cell(t.Counterparty), cell(t.Memo)})
	})
	cw.Flush()
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "writing a statement", "error", err) // the status is already sent
	}
	return nil
}

// yuan writes minor units as a plain decimal: -1250 → "-12.50".
func yuan(minor int64) string {
	return strings.Replace(ledger.Format(minor), "¥", "", 1)
}

// cell keeps text a spreadsheet would run as a formula from running.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// requirePIN checks the amount, then asks for the payment PIN above the
// threshold. It runs before
// the payment's transaction, so a wrong PIN is counted though the payment
// is refused.
func (s *Server) requirePIN(r *http.Request, amount, max int64, pin string) error {
	if err := wallet.CheckAmount(amount, max); err != nil {
		return err // a bad amount is refused as such, not with a PIN question
	}
	if amount <= wallet.PINThreshold {
		return nil
	}
	return s.Accounts.CheckPIN(r.Context(), s.user(r).ID, pin)
}

// canonical is a request re-encoded for its idempotency hash, without the
// PIN: the hash is stored, and a 6-digit PIN would fall to brute force.
func canonical(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

type pinRequest struct {
	Password string `json:"password"`
	PIN      string `json:"pin"`
}

func (s *Server) setPIN(w http.ResponseWriter, r *http.Request) error {
	var req pinRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.Accounts.SetPIN(r.Context(), s.user(r), req.Password, req.PIN); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
