package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
)

// TestSetDisplayNameReachesEveryNode: a new display name is shown at once
// by the node that made it and, after a poll, by another node that had
// the session cached; a refused name changes and records nothing.
func TestSetDisplayNameReachesEveryNode(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := account.New(f.db, account.NewHasher(testArgon2, 1), account.DefaultConfig)
	mei := f.register(t, "mei", account.RoleUser)
	tok, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*account.Service{f.svc, other} {
		if sess, err := s.Authenticate(ctx, tok); err != nil || sess.User.DisplayName != mei.DisplayName {
			t.Fatalf("before: %q %v", sess.User.DisplayName, err)
		}
	}

	u, err := f.svc.SetDisplayName(ctx, mei.ID, " 小美 ")
	if err != nil || u.DisplayName != "小美" || u.Handle != "mei" {
		t.Fatalf("SetDisplayName: %+v %v", u, err)
	}
	if sess, _ := f.svc.Authenticate(ctx, tok); sess.User.DisplayName != "小美" {
		t.Fatalf("this node still shows %q", sess.User.DisplayName)
	}
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	if sess, _ := other.Authenticate(ctx, tok); sess.User.DisplayName != "小美" {
		t.Fatalf("the other node still shows %q after a poll", sess.User.DisplayName)
	}
	var detail string
	if err := f.db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE action = 'user.display_name' AND actor_id = $1 AND target_id = $1`, mei.ID).Scan(&detail); err != nil {
		t.Fatalf("no audit entry: %v", err)
	}
	if !strings.Contains(detail, `"to":"小美"`) || !strings.Contains(detail, `"from":"mei"`) {
		t.Fatalf("audit detail %s", detail)
	}

	for _, bad := range []string{"", "   ", strings.Repeat("a", 51), "a\x00b", "Mei\u200b"} {
		_, err := f.svc.SetDisplayName(ctx, mei.ID, bad)
		e := errs.As(err)
		if e.Code != errs.Invalid || e.Field != "display_name" || e.In("zh") == e.Message {
			t.Errorf("%q: %v (field %q, zh %q)", bad, err, e.Field, e.In("zh"))
		}
	}
	if _, err := f.svc.SetDisplayName(ctx, "no-such-user", "Ghost"); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown user: %v", err)
	}
	got, _ := f.svc.UserByID(ctx, f.db, mei.ID)
	var n int
	f.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.display_name'`).Scan(&n)
	if got.DisplayName != "小美" || n != 1 {
		t.Fatalf("after refused changes: name %q, %d audit entries", got.DisplayName, n)
	}
}
