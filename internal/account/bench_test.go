package account_test

import (
	"context"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// BenchmarkPasswordVerify measures one sign-in's argon2id cost at the
// production parameters (19 MiB, t=2, p=1).
func BenchmarkPasswordVerify(b *testing.B) {
	h := account.NewHasher(account.DefaultArgon2, 1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery", enc); !ok || err != nil {
			b.Fatal("verify failed", err)
		}
	}
}

// BenchmarkAuthenticate measures the session lookup behind every signed-in
// request: one indexed read joining sessions and users.
func BenchmarkAuthenticate(b *testing.B) {
	f := setupB(b)
	ctx := context.Background()
	if _, err := f.svc.CreateUser(ctx, "", account.NewUser{Handle: "mei", Password: "correct horse", Role: account.RoleUser}); err != nil {
		b.Fatal(err)
	}
	tok, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
