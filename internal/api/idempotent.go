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
	"github.com/quanzi/quanzi/internal/wallet"
)

// operation is a money-moving change: it runs inside tx and returns the
// success status and the response value.
type operation func(ctx context.Context, tx *store.Tx) (status int, out any, err error)

// idempotent runs op for a signed-in caller, at most once per
// Idempotency-Key. body is the raw request body (already decoded by the
// handler) and counts towards "the same request". The key is checked, op
// run and its answer recorded in one transaction, so the money and the
// record of the answer commit together, in one commit; a concurrent
// attempt with the same key either finds the answer or collides with it
// and runs again, finding it then (idempotency.Check and Record). Refusals
// (4xx) are recorded too, afterwards, and replayed; faults worth retrying
// (5xx) record nothing. Money-moving transactions are group committed:
// concurrent requests share a commit (store.Grouped).
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
	att := &idempotency.Attempt{Scope: s.user(r).ID, Key: key, Hash: requestHashFor(r.Method, r.URL.Path, body)}
	var replay *idempotency.Response
	var resp idempotency.Response
	err := s.DB.Grouped(ctx, func(tx *store.Tx) error {
		var err error
		if replay, err = s.checkKey(ctx, tx, att); err != nil || replay != nil {
			return err
		}
		status, out, err := op(ctx, tx)
		if err != nil {
			return err
		}
		if resp, err = answer(status, out); err != nil {
			return err
		}
		return s.Idempotency.Record(ctx, tx, []*idempotency.Attempt{att}, []idempotency.Response{resp})
	})
	if err != nil {
		p := problemFor(err, requestID(ctx))
		if p.Status >= 500 || errs.Is(err, idempotency.CodeInProgress) || errs.Is(err, idempotency.CodeMismatch) {
			return err
		}
		// Record the refusal, so that a retry gets exactly this answer —
		// unless a concurrent attempt with the key answered first.
		refused := refusal(p)
		rerr := s.DB.Grouped(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			var err error
			if replay, err = s.checkKey(ctx, tx, att); err != nil || replay != nil {
				return err
			}
			return s.Idempotency.Record(ctx, tx, []*idempotency.Attempt{att}, []idempotency.Response{refused})
		})
		if rerr != nil && !errs.Is(rerr, idempotency.CodeInProgress) {
			s.Logger.ErrorContext(ctx, "recording a refused idempotent request", "error", rerr)
		}
		if replay == nil {
			writeBody(w, refused.Status, refused.ContentType, refused.Body) // exactly what a retry will get
			return nil
		}
	}
	if replay != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		writeBody(w, replay.Status, replay.ContentType, replay.Body)
		return nil
	}
	writeBody(w, resp.Status, resp.ContentType, resp.Body)
	return nil
}

// checkKey judges one Idempotency-Key in tx: the answer to replay, or a
// refusal (another attempt holds it, or it came with another request), or
// neither, when the request may run.
func (s *Server) checkKey(ctx context.Context, tx *store.Tx, att *idempotency.Attempt) (*idempotency.Response, error) {
	replays, refusals, err := s.Idempotency.Check(ctx, tx, []*idempotency.Attempt{att})
	if err != nil {
		return nil, err
	}
	return replays[0], refusals[0]
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

// created renders the outcome of a batched payment as the response to
// send and to record under its key: 201 with what was made, or the
// problem that refused it.
func created[T any](rid string) func(T, error) idempotency.Response {
	return func(v T, err error) idempotency.Response {
		if err == nil {
			var resp idempotency.Response
			if resp, err = answer(http.StatusCreated, v); err == nil {
				return resp
			}
		}
		return refusal(problemFor(err, rid))
	}
}

// writeAnswered sends a batched payment's response, or err.
func writeAnswered(w http.ResponseWriter, res wallet.Answered, err error) error {
	if err != nil {
		return err
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeBody(w, res.Status, res.ContentType, res.Body)
	return nil
}
