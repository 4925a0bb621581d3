package api

import (
	"context"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// notes lists token's notifications, newest first, as kind: text.
func (e *env) notes(token string) []string {
	e.t.Helper()
	var out []string
	for _, it := range e.ok(req{method: "GET", path: "/api/v1/notifications", token: token}, 200).json["items"].([]any) {
		it := it.(map[string]any)
		text, _ := it["text"].(string)
		out = append(out, it["kind"].(string)+": "+text)
	}
	return out
}

// told finds the newest of token's notifications of kind and checks it
// says every one of words.
func (e *env) told(token, kind string, words ...string) string {
	e.t.Helper()
	for _, n := range e.notes(token) {
		if strings.HasPrefix(n, kind+": ") {
			for _, w := range words {
				if !strings.Contains(n, w) {
					e.t.Fatalf("the %s notification does not say %q: %s", kind, w, n)
				}
			}
			return n
		}
	}
	e.t.Fatalf("no %s notification among %v", kind, e.notes(token))
	return ""
}

// login signs handle in with their test password.
func (e *env) login(handle string) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": handle, "password": "password-" + handle}})
}

// userOf is the account behind handle.
func (e *env) userOf(handle string) account.User {
	e.t.Helper()
	u, err := e.accounts.UserByHandle(context.Background(), e.db, handle)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestSuspendEndsSessionsRefusesSignInAndFreezesOutgoingMoney(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	boss2 := e.user("boss2", account.RoleAdmin)
	rev := e.user("rev", account.RoleReviewer)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	e.fund(mei, 10_000)
	e.fund(lin, 10_000)
	path := "/api/v1/admin/users/mei/suspend"
	good := map[string]any{"reason": "scam", "note": "Stop selling fake tickets.", "days": 7}

	// Only admins suspend; bad input is refused; nothing is written.
	wantProblem(t, e.do(req{method: "POST", path: path, token: rev, body: good}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: path, token: lin, body: good}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: path, body: good}), 401, "unauthenticated")
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: map[string]any{"days": 7}}), 422, "unknown_reason")
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: map[string]any{"reason": "scam", "days": -1}}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: map[string]any{"reason": "scam", "days": 366}}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: `{"reason": "scam", "days": "week"}`}), 400, "wrong_type")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/users/nobody/suspend", token: boss, body: good}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/users/boss/suspend", token: boss, body: good}), 403, "own_content")
	if n := e.count("strikes"); n != 0 {
		t.Fatalf("refused suspensions were written: %d", n)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", token: mei}); r.status != 200 {
		t.Fatalf("a refused suspension ended the session: %d", r.status)
	}

	st := e.ok(req{method: "POST", path: path, token: boss, body: good}, 200)
	if st.json["kind"] != "suspension" || st.json["reason"] != "scam" || st.json["ends_at"] == nil || st.json["user"].(map[string]any)["handle"] != "mei" {
		t.Fatalf("the suspension: %s", st.body)
	}
	strike := st.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss2, body: good}), 409, "already_suspended")
	if v := e.ok(req{method: "GET", path: "/api/v1/admin/users/mei", token: rev}, 200); v.json["suspension"].(map[string]any)["id"] != strike {
		t.Fatalf("operators see the suspension in force: %s", v.body)
	}

	// Sessions end at once; signing in is refused with the reason and the end.
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me", token: mei}), 401, "unauthenticated")
	refused := e.login("mei")
	wantProblem(t, refused, 403, "account_suspended")
	detail := refused.json["detail"].(string)
	if !strings.Contains(detail, "scam") || !strings.Contains(detail, "Stop selling fake tickets.") || !strings.Contains(detail, "until 20") {
		t.Fatalf("the refusal says why and until when: %q", detail)
	}
	token, _ := refused.json["appeal_token"].(string)
	sp, _ := refused.json["suspension"].(map[string]any)
	if token == "" || sp["id"] != strike || sp["until"] == nil {
		t.Fatalf("the refusal carries the suspension and an appeal token: %s", refused.body)
	}
	wrong := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "not-her-password"}})
	wantProblem(t, wrong, 401, "invalid_credentials")
	if strings.Contains(string(wrong.body), "suspend") || wrong.json["appeal_token"] != nil {
		t.Fatalf("a wrong password learns nothing of the suspension: %s", wrong.body)
	}

	// The wallet receives, but sends nothing.
	e.ok(req{method: "POST", path: "/api/v1/transfers", token: lin, body: map[string]any{"to": "mei", "amount": 500}}, 201)
	ctx := context.Background()
	send := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := e.api.Wallet.Send(ctx, tx, e.userOf("mei"), wallet.TransferRequest{To: "lin", Amount: 100})
		return err
	})
	withdraw := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := e.api.Wallet.Withdraw(ctx, tx, e.userOf("mei"), wallet.WithdrawRequest{Amount: 100, Destination: "bank 6222 0000"})
		return err
	})
	for _, err := range []error{send, withdraw} {
		if !errs.Is(err, wallet.CodeFrozen) || !strings.Contains(errs.As(err).Message, "can still come in") {
			t.Fatalf("a suspended wallet sends nothing, and says so: %v", err)
		}
	}
	bal, err := e.api.Wallet.Balance(ctx, e.userOf("mei").ID)
	if err != nil || bal.Available != 10_500 {
		t.Fatalf("mei's wallet received and kept: %+v %v", bal, err)
	}

	// One appeal, with the token in place of a session.
	appeal := func(body map[string]any) response {
		return e.do(req{method: "POST", path: "/api/v1/appeals", body: body})
	}
	wantProblem(t, appeal(map[string]any{"kind": "strike", "id": strike, "text": "I sold nothing."}), 401, "unauthenticated")
	wantProblem(t, appeal(map[string]any{"appeal_token": "qa_forged", "text": "I sold nothing."}), 401, "unauthenticated")
	wantProblem(t, appeal(map[string]any{"appeal_token": token, "kind": "review", "text": "I sold nothing."}), 422, "invalid")
	wantProblem(t, appeal(map[string]any{"appeal_token": token, "text": ""}), 422, "invalid")
	if n := e.count("appeals"); n != 0 {
		t.Fatalf("refused appeals were written: %d", n)
	}
	a := e.ok(req{method: "POST", path: "/api/v1/appeals", body: map[string]any{"appeal_token": token, "text": "I sold nothing."}}, 201)
	if a.json["kind"] != "strike" || a.json["decision_id"] != strike || a.json["user"].(map[string]any)["handle"] != "mei" {
		t.Fatalf("the appeal: %s", a.body)
	}
	wantProblem(t, appeal(map[string]any{"appeal_token": token, "text": "Again."}), 409, "already_appealed")
	id := a.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + id + "/grant", token: rev}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + id + "/grant", token: boss}), 403, "same_decider")
	if r := e.login("mei"); r.status != 403 {
		t.Fatalf("refused grants lifted nothing: %d %s", r.status, r.body)
	}
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + id + "/grant", token: boss2, body: map[string]any{"note": "The tickets were real."}}, 200)

	// Granted: unsuspended, told, the strike no longer counts.
	back := e.login("mei")
	if back.status != 201 {
		t.Fatalf("after the appeal mei signs in: %d %s", back.status, back.body)
	}
	mei = back.json["token"].(string)
	e.told(mei, "account_suspended", "suspended", "scam", "Stop selling fake tickets.", "cannot sign in", strike)
	e.told(mei, "appeal_decided", "granted", "The tickets were real.")
	if s := e.standing(mei); s != "a clean record" {
		t.Fatalf("an overturned suspension no longer counts: %q", s)
	}
	e.ok(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lin", "amount": 100}}, 201)

	// Until lifted, and lifted by an admin.
	e.ok(req{method: "POST", path: "/api/v1/admin/users/lin/suspend", token: boss, body: map[string]any{"reason": "spam"}}, 200)
	if d := e.login("lin").json["detail"].(string); !strings.Contains(d, "until it is lifted") {
		t.Fatalf("a suspension without days lasts until lifted: %q", d)
	}
	if s := e.standing(boss); s != "a clean record" {
		t.Fatalf("the decider's standing: %q", s)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/users/lin/unsuspend", token: rev}), 403, "forbidden")
	e.ok(req{method: "POST", path: "/api/v1/admin/users/lin/unsuspend", token: boss, body: map[string]any{"note": "Sorted out."}}, 200)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/users/lin/unsuspend", token: boss}), 409, "conflict")
	lin = e.login("lin").json["token"].(string)
	e.told(lin, "suspension_lifted", "lifted", "Sorted out.")
	var audited int
	if err := e.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('user.suspend', 'user.unsuspend', 'appeal.grant')`).Scan(&audited); err != nil || audited != 4 {
		t.Fatalf("suspensions, lifts and appeals are audited: %d %v", audited, err)
	}
}

// upheld reports p as reporter and has decider uphold the case with body,
// returning the decision.
func (e *env) reportAndUphold(kind, ref, reporter, decider string, body map[string]any) response {
	e.t.Helper()
	path := map[string]string{"post": "/api/v1/posts/", "user": "/api/v1/users/", "circle": "/api/v1/circles/"}[kind] + ref + "/reports"
	cs := e.ok(req{method: "POST", path: path, token: reporter, body: map[string]any{"reason": "spam"}}, 201).json["case_id"].(string)
	return e.do(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: decider, body: body})
}

func TestUpholdingAReportWarnsMutesOrBansItsAuthorOnce(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	zhao := e.user("zhao", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	rev2 := e.user("rev2", account.RoleReviewer)
	c := e.circle(owner, map[string]any{"name": "Open talk"})
	for _, tok := range []string{mei, lin, zhao} {
		e.join(tok, c)
	}

	// Bad actions are refused, and the case stays open with nothing done.
	p := e.postIn(mei, c, map[string]any{"text": "buy my course"})
	cs := e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: lin, body: map[string]any{"reason": "spam"}}, 201).json["case_id"].(string)
	uphold := func(tok string, body map[string]any) response {
		return e.do(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: tok, body: body})
	}
	for _, bad := range []map[string]any{
		{"action": "smite"},
		{"action": "mute"},
		{"action": "mute", "hours": 721},
		{"action": "warn", "hours": 2},
		{"action": "ban", "days": -1},
		{"action": "ban", "days": 400},
		{"action": "mute", "hours": 5, "days": 1},
		{"hours": 5},
		{"action": "suspend"},
		{"action": "close"},
	} {
		wantProblem(t, uphold(owner, bad), 422, "invalid")
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/reports/" + cs + "/dismiss", token: owner, body: map[string]any{"action": "warn"}}), 422, "invalid")
	if n, open := e.count("strikes"), e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/reports", token: owner}, 200).json["open"]; n != 0 || open != 1.0 {
		t.Fatalf("refused decisions wrote %d strikes; %v cases open", n, open)
	}

	// Warn: the post goes, the author is warned — one mark, not two.
	w := uphold(owner, map[string]any{"action": "warn", "note": "Keep it on topic."})
	if w.status != 200 || w.json["action"].(map[string]any)["kind"] != "warning" || w.json["action"].(map[string]any)["case_id"] != cs {
		t.Fatalf("warn: %d %s", w.status, w.body)
	}
	warning := w.json["action"].(map[string]any)["id"].(string)
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: lin}), 404, "not_found")
	e.told(mei, "content_removed", "removed", "spam", "formal warning", "Keep it on topic.", cs)
	if s := e.standing(mei); s != "1 upheld report" {
		t.Fatalf("a warning with an upheld report counts once: %q", s)
	}

	// Mute, decided by a platform reviewer.
	m := e.reportAndUphold("post", e.postIn(lin, c, map[string]any{"text": "again and again"}), zhao, rev, map[string]any{"action": "mute", "hours": 24})
	if m.status != 200 || m.json["action"].(map[string]any)["muted_until"] == nil {
		t.Fatalf("mute: %d %s", m.status, m.body)
	}
	muteCase := m.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: lin, body: map[string]any{"text": "muted?"}}), 403, "muted")
	e.told(lin, "content_removed", "cannot post or comment in Open talk until")

	// Ban for good: out at once.
	b := e.reportAndUphold("post", e.postIn(zhao, c, map[string]any{"text": "you all are idiots"}), mei, rev, map[string]any{"action": "ban", "reason": "harassment"})
	if b.status != 200 || b.json["action"].(map[string]any)["kind"] != "ban" || b.json["action"].(map[string]any)["ends_at"] != nil {
		t.Fatalf("ban: %d %s", b.status, b.body)
	}
	banCase := b.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: zhao, body: map[string]any{"text": "still here?"}}), 403, "banned")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/members", token: zhao}), 403, "banned")
	e.told(zhao, "content_removed", "harassment", "banned from Open talk for good", banCase)
	// The owner cannot be banned from their own circle.
	wantProblem(t, e.reportAndUphold("post", e.postIn(owner, c, map[string]any{"text": "house rules"}), lin, rev, map[string]any{"action": "ban"}), 403, "forbidden")

	// Appeals: one per decision, whichever id names it; not by the decider.
	appeal := func(tok, kind, id string) response {
		return e.do(req{method: "POST", path: "/api/v1/appeals", token: tok, body: map[string]any{"kind": kind, "id": id, "text": "It was fine."}})
	}
	a1 := e.ok(req{method: "POST", path: "/api/v1/appeals", token: mei, body: map[string]any{"kind": "strike", "id": warning, "text": "On topic."}}, 201)
	if a1.json["kind"] != "report" || a1.json["decision_id"] != cs {
		t.Fatalf("a strike taken with a report is appealed as the report: %s", a1.body)
	}
	wantProblem(t, appeal(mei, "report", cs), 409, "already_appealed")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a1.json["id"].(string) + "/grant", token: rev}, 200)
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: lin}); r.status != 200 {
		t.Fatalf("the post is back: %d", r.status)
	}
	if s := e.standing(mei); s != "a clean record" {
		t.Fatalf("an overturned warning no longer counts: %q", s)
	}
	a2 := appeal(lin, "report", muteCase).json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a2 + "/grant", token: rev}), 403, "same_decider")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a2 + "/grant", token: rev2}, 200)
	e.postIn(lin, c, map[string]any{"text": "unmuted"})
	a3 := appeal(zhao, "report", banCase).json["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a3 + "/grant", token: rev2}, 200)
	e.join(zhao, c)
	e.told(zhao, "appeal_decided", "granted")
	var revoked int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM strikes WHERE revoked_at IS NOT NULL`).Scan(&revoked); err != nil || revoked != 3 {
		t.Fatalf("granted appeals revoke the three strikes: %d %v", revoked, err)
	}
}

func TestUpholdingAReportOnAUserWarnsOrSuspends(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	zhao := e.user("zhao", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	boss := e.user("boss", account.RoleAdmin)
	boss2 := e.user("boss2", account.RoleAdmin)

	cs := e.ok(req{method: "POST", path: "/api/v1/users/mei/reports", token: lin, body: map[string]any{"reason": "harassment"}}, 201).json["case_id"].(string)
	uphold := func(tok string, body map[string]any) response {
		return e.do(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: tok, body: body})
	}
	wantProblem(t, uphold(rev, nil), 422, "invalid")
	wantProblem(t, uphold(rev, map[string]any{"action": "mute", "hours": 3}), 422, "invalid")
	wantProblem(t, uphold(rev, map[string]any{"action": "suspend"}), 403, "forbidden")
	if n := e.count("strikes"); n != 0 {
		t.Fatalf("refused decisions wrote strikes: %d", n)
	}
	w := e.ok(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: rev, body: map[string]any{"action": "warn"}}, 200)
	if a := w.json["action"].(map[string]any); a["kind"] != "warning" || a["circle"] != nil {
		t.Fatalf("a platform warning: %s", w.body)
	}
	e.told(mei, "content_removed", "Reports about you were upheld", "harassment", "formal warning", cs)

	// Suspended by an admin through a report: the same suspension.
	s := e.reportAndUphold("user", "zhao", lin, boss, map[string]any{"action": "suspend", "days": 3})
	if s.status != 200 || s.json["action"].(map[string]any)["kind"] != "suspension" {
		t.Fatalf("suspend: %d %s", s.status, s.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me", token: zhao}), 401, "unauthenticated")
	refused := e.login("zhao")
	wantProblem(t, refused, 403, "account_suspended")
	a := e.ok(req{method: "POST", path: "/api/v1/appeals", body: map[string]any{"appeal_token": refused.json["appeal_token"], "text": "Not me."}}, 201)
	if a.json["kind"] != "report" || a.json["decision_id"] != s.json["id"] {
		t.Fatalf("the suspension is appealed as its report: %s", a.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a.json["id"].(string) + "/grant", token: rev}), 403, "forbidden")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a.json["id"].(string) + "/grant", token: boss2}, 200)
	zhao = e.ok(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "zhao", "password": "password-zhao"}}, 201).json["token"].(string)
	e.told(zhao, "account_suspended", "Reports about you were upheld", "suspended until")
}

func TestAShutCircleIsGoneOnEveryPathUntilReopened(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mod := e.user("mod", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	outsider := e.user("outsider", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	boss := e.user("boss", account.RoleAdmin)
	boss2 := e.user("boss2", account.RoleAdmin)
	c := e.circle(owner, map[string]any{"name": "Night Market", "description": "tickets and trades"})
	for _, tok := range []string{mod, mei, lin} {
		e.join(tok, c)
	}
	e.ok(req{method: "PUT", path: "/api/v1/circles/" + c + "/members/mod", token: owner, body: map[string]any{"role": "moderator"}}, 200)
	p := e.postIn(mei, c, map[string]any{"text": "two tickets for tonight"})
	e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: lin, body: map[string]any{"text": "how much?"}}, 201)
	e.fund(lin, 10_000)
	tip := func(key string) response {
		return e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/tips", token: lin, body: map[string]any{"amount": 100}, header: map[string]string{"Idempotency-Key": key}})
	}
	if r := tip("tip-1"); r.status != 201 {
		t.Fatalf("tip: %d %s", r.status, r.body)
	}
	found := func() bool {
		for _, id := range ids(e.do(req{method: "GET", path: "/api/v1/circles?q=Night"})) {
			if id == c {
				return true
			}
		}
		return false
	}
	hasKind := func(tok, kind string) bool {
		for _, n := range e.notes(tok) {
			if strings.HasPrefix(n, kind+": ") {
				return true
			}
		}
		return false
	}
	inFeed := func(tok string) bool {
		for _, id := range ids(e.do(req{method: "GET", path: "/api/v1/feed", token: tok})) {
			if id == p {
				return true
			}
		}
		return false
	}
	if !found() || !inFeed(lin) || !hasKind(mei, "tip") {
		t.Fatalf("before: in the directory %v, the feed %v, mei told of the tip %v", found(), inFeed(lin), hasKind(mei, "tip"))
	}

	// Only admins close circles; bad input is refused and writes nothing.
	path := "/api/v1/admin/circles/" + c + "/close"
	good := map[string]any{"reason": "scam", "note": "Fake tickets sold here."}
	wantProblem(t, e.do(req{method: "POST", path: path, token: rev, body: good}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: path, token: owner, body: good}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: map[string]any{"note": "no reason"}}), 422, "unknown_reason")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/circles/nowhere/close", token: boss, body: good}), 404, "not_found")
	if n := e.count("strikes"); n != 0 || !found() {
		t.Fatalf("refused closings wrote %d strikes, or hid the circle", n)
	}

	st := e.ok(req{method: "POST", path: path, token: boss, body: good}, 200)
	if st.json["kind"] != "shut" || st.json["user"].(map[string]any)["handle"] != "owner" || st.json["circle"].(map[string]any)["id"] != c {
		t.Fatalf("the closing: %s", st.body)
	}
	strike := st.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss2, body: good}), 409, "conflict")

	// Gone on every path, for everyone but the platform's staff.
	shut := func(when string) {
		t.Helper()
		if found() {
			t.Fatalf("%s: the directory finds a shut circle", when)
		}
		for _, r := range e.do(req{method: "GET", path: "/api/v1/circles?sort=new"}).json["items"].([]any) {
			if r.(map[string]any)["id"] == c {
				t.Fatalf("%s: browsing lists a shut circle", when)
			}
		}
		for _, tok := range []string{"", owner, mod, mei, lin, outsider} {
			wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c, token: tok}), 404, "not_found")
			wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: tok}), 404, "not_found")
			wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + p + "/comments", token: tok}), 404, "not_found")
		}
		for _, tok := range []string{owner, mei, lin} {
			wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: tok}), 404, "not_found")
			if inFeed(tok) {
				t.Fatalf("%s: a shut circle's post is in a home feed", when)
			}
		}
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: lin, body: map[string]any{"text": "hello?"}}), 404, "not_found")
		wantProblem(t, tip("tip-2"), 404, "not_found")
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: mei, body: map[string]any{"text": "anyone?"}}), 404, "not_found")
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/members", token: outsider}), 404, "not_found")
		if hasKind(mei, "tip") {
			t.Fatalf("%s: a notification about a shut circle's post is shown", when)
		}
		// The platform's staff see it, and that nothing can happen there.
		seen := e.ok(req{method: "GET", path: "/api/v1/circles/" + c, token: rev}, 200)
		if seen.json["shut_at"] == nil || seen.json["shut_reason"] != "scam" {
			t.Fatalf("%s: staff see the circle as shut: %s", when, seen.body)
		}
		e.ok(req{method: "GET", path: "/api/v1/posts/" + p, token: rev}, 200)
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/members", token: rev}), 409, "circle_shut")
	}
	shut("closed")
	owned := e.told(owner, "circle_shut", "Night Market", "scam", "Fake tickets sold here.", strike)
	if modNote := e.told(mod, "circle_shut", "Night Market", "scam"); strings.Contains(modNote, "appeal") || !strings.Contains(owned, "appeal") {
		t.Fatalf("the owner, not the moderators, hears how to appeal: %q / %q", owned, modNote)
	}
	var held string
	if err := e.db.QueryRow(context.Background(), `SELECT status FROM tips`).Scan(&held); err != nil || held != "held" {
		t.Fatalf("tips held on a shut circle's posts stay held, to release as usual: %q %v", held, err)
	}

	// The owner appeals once; an admin other than the decider reopens it.
	appeal := func(tok string) response {
		return e.do(req{method: "POST", path: "/api/v1/appeals", token: tok, body: map[string]any{"kind": "strike", "id": strike, "text": "We removed the sellers."}})
	}
	wantProblem(t, appeal(mod), 404, "not_found")
	ar := appeal(owner)
	if ar.status != 201 {
		t.Fatalf("the owner's appeal: %d %s", ar.status, ar.body)
	}
	a := ar.json["id"].(string)
	wantProblem(t, appeal(owner), 409, "already_appealed")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a + "/grant", token: rev}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a + "/grant", token: boss}), 403, "same_decider")
	shut("after refused grants")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a + "/grant", token: boss2}, 200)

	// Reopened: everything is back.
	back := func(when string) {
		t.Helper()
		if !found() || !inFeed(lin) || !hasKind(mei, "tip") {
			t.Fatalf("%s: in the directory %v, the feed %v, mei's tip note %v", when, found(), inFeed(lin), hasKind(mei, "tip"))
		}
		e.ok(req{method: "GET", path: "/api/v1/circles/" + c, token: mei}, 200)
		e.ok(req{method: "GET", path: "/api/v1/posts/" + p, token: outsider}, 200)
		e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: lin, body: map[string]any{"text": "back " + when}}, 201)
	}
	back("after the appeal")
	e.told(owner, "appeal_decided", "granted")

	// Closed again through a report on the circle, and reopened by an admin.
	wantProblem(t, e.reportAndUphold("circle", c, outsider, rev, map[string]any{"action": "close"}), 403, "forbidden")
	var cs string
	if err := e.db.QueryRow(context.Background(), `SELECT id FROM report_cases WHERE kind = 'circle' AND status = 'open'`).Scan(&cs); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: boss}), 422, "invalid")
	e.ok(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: boss, body: map[string]any{"action": "close", "reason": "scam"}}, 200)
	shut("closed after a report")
	e.told(owner, "circle_shut", "after reports", cs)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/circles/" + c + "/reopen", token: rev}), 403, "forbidden")
	e.ok(req{method: "POST", path: "/api/v1/admin/circles/" + c + "/reopen", token: boss, body: map[string]any{"note": "Cleaned up."}}, 200)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/circles/" + c + "/reopen", token: boss}), 409, "conflict")
	back("after reopening")
	e.told(mod, "circle_reopened", "Night Market", "Cleaned up.")
}
