package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/store"
)

// operation is a money-moving change: it runs inside tx and returns the
// success status and the response value.
type operation func(ctx context.Context, tx *store.Tx) (status int, out any, err error)

// idempotent runs op for a signed-in caller, at most once per
// Idempotency-Key. body is the raw request body (already decoded by the
// handler) and counts towards "the same request". The response is written
// in op's own transaction, so the money and the record of the answer commit
// together. Refusals (4xx) are recorded too and replayed; faults worth
// retrying (5xx) release the key. Money-moving transactions are group
// committed: concurrent requests share a commit (store.Grouped).
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, body []byte, op operation) error {
	ctx := r.Context()
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		var status int
		var out any
		err := s.DB.Grouped(ctx, func(tx *store.Tx) error {
			var err error
			status, out, err = op(ctx, tx)
			return err
		})
		if err != nil {
			return err
		}
		writeJSON(w, status, out)
		return nil
	}
	if err := idempotency.CheckKey(key); err != nil {
		return err
	}
	claim, replay, err := s.Idempotency.Begin(ctx, s.user(r).ID, key, requestHashFor(r.Method, r.URL.Path, body))
	if err != nil {
		return err
	}
	if replay != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		writeBody(w, replay.Status, replay.ContentType, replay.Body)
		return nil
	}
	var resp idempotency.Response
	err = s.DB.Grouped(ctx, func(tx *store.Tx) error {
		status, out, err := op(ctx, tx)
		if err != nil {
			return err
		}
		resp, err = answer(status, out)
		if err != nil {
			return err
		}
		return claim.Finish(ctx, tx, resp)
	})
	if err != nil {
		p := problemFor(err, requestID(ctx))
		// The claim must be settled even if the client has gone away.
		bg := context.WithoutCancel(ctx)
		if p.Status >= 500 || errs.Is(err, idempotency.CodeInProgress) {
			if rerr := claim.Release(bg); rerr != nil {
				s.Logger.ErrorContext(ctx, "releasing an idempotency key", "error", rerr)
			}
			return err
		}
		refused := refusal(p)
		if ferr := claim.FinishAlone(bg, refused); ferr != nil {
			s.Logger.ErrorContext(ctx, "recording a refused idempotent request", "error", ferr)
		}
		writeBody(w, refused.Status, refused.ContentType, refused.Body) // exactly what a retry will get
		return nil
	}
	writeBody(w, resp.Status, resp.ContentType, resp.Body)
	return nil
}

// answer is the response to record for a success.
func answer(status int, out any) (idempotency.Response, error) {
	b, err := marshal(out)
	if err != nil {
		return idempotency.Response{}, errs.Wrap(err, "encoding the response")
	}
	return idempotency.Response{Status: status, ContentType: "application/json", Body: b}, nil
}

// refusal is the response to record for a refusal.
func refusal(p problem) idempotency.Response {
	b, _ := json.Marshal(p)
	return idempotency.Response{Status: p.Status, ContentType: problemContentType, Body: b}
}

// requestHashFor identifies "the same request" for an idempotency key: the
// method, the path and the exact body.
func requestHashFor(method, path string, body []byte) string {
	sum := sha256.New()
	sum.Write([]byte(method + " " + path + "\n"))
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil))
}
