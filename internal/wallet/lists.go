package wallet

import "context"

// Withdrawals lists a user's latest withdrawals, newest first, at most
// limit: those still pending and those the gateway has settled or
// reversed.
func (s *Service) Withdrawals(ctx context.Context, userID string, limit int) ([]Withdrawal, error) {
	rows, err := s.db.Query(ctx, `SELECT w.id, u.handle, w.amount, w.currency, w.destination, w.status, w.reason, w.created_at, w.updated_at
		FROM withdrawals w JOIN users u ON u.id = w.user_id
		WHERE w.user_id = $1 ORDER BY w.created_at DESC, w.id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		var w Withdrawal
		if err := rows.Scan(&w.ID, &w.User, &w.Amount, &w.Currency, &w.Destination, &w.Status, &w.Reason, &w.CreatedAt, &w.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// PaymentRequestsOf lists the payment requests a user made, newest first,
// at most limit.
func (s *Service) PaymentRequestsOf(ctx context.Context, payeeID string, limit int) ([]PaymentRequest, error) {
	rows, err := s.db.Query(ctx, requestSelect+`WHERE r.payee_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2`, payeeID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.db.Now()
	var out []PaymentRequest
	for rows.Next() {
		var pr PaymentRequest
		var payee string
		if err := rows.Scan(&pr.ID, &pr.Code, &pr.Payee, &payee, &pr.Amount, &pr.Currency, &pr.Memo, &pr.SingleUse, &pr.Status,
			&pr.ExpiresAt, &pr.CreatedAt, &pr.Payments); err != nil {
			return nil, err
		}
		pr.PayURL = payURL(pr.Code)
		if pr.Status == "open" && pr.ExpiresAt != nil && !pr.ExpiresAt.After(now) {
			pr.Status = "expired"
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}
