package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"

	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/store"
)

// A money-moving form carries a key made when the form was shown (field
// idempotency_key, from {{.NewKey}}). Sending the same form twice — a
// double tap, a reload after a lost answer — takes effect once: the second
// submission is sent where the first one went, and nothing moves again.
// The keys live in the same table as the API's Idempotency-Key, scoped to
// the user, with the API's retention.

const keyField = "idempotency_key"

// NewKey makes a form's idempotency key.
func (p *Page) NewKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// once runs op in a transaction unless the form's key has already been
// used; op returns where the user goes next. It returns that place, and
// whether it is a replay of an earlier submission. A form without a key
// runs op once, as it is. The same key sent with different values is
// refused (idempotency_mismatch), as the API does.
func (a *App) once(r *http.Request, p *Page, op func(ctx context.Context, tx *store.Tx) (string, error)) (to string, replayed bool, err error) {
	ctx := r.Context()
	key := r.PostFormValue(keyField)
	if key == "" {
		err = a.DB.Tx(ctx, func(tx *store.Tx) error {
			to, err = op(ctx, tx)
			return err
		})
		return to, false, err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return "", false, err
	}
	att := &idempotency.Attempt{Scope: p.User().ID, Key: "web:" + key, Hash: formHash(r)}
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		replays, refusals, err := a.Idempotency.Check(ctx, tx, []*idempotency.Attempt{att})
		switch {
		case err != nil:
			return err
		case refusals[0] != nil:
			return refusals[0]
		case replays[0] != nil:
			to, replayed = string(replays[0].Body), true
			return nil
		}
		if to, err = op(ctx, tx); err != nil {
			return err
		}
		return a.Idempotency.Record(ctx, tx, []*idempotency.Attempt{att},
			[]idempotency.Response{{Status: http.StatusSeeOther, ContentType: "text/uri-list", Body: []byte(to)}})
	})
	return to, replayed, err
}

// formHash identifies "the same form": its path and values, but the CSRF
// token (which a new session changes) and the payment PIN (six digits are
// quickly found from a stored hash of them).
func formHash(r *http.Request) string {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	names := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != "csrf" && k != "pin" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.PostForm[k] {
			h.Write([]byte(k + "=" + v + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
