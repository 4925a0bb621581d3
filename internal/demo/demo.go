// Package demo seeds an empty database with a small world to explore:
// people with verified attributes, money in their wallets, and circles
// (and, as later parts land, posts and tips). Every demo user's password is
// Password.
package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Password is every demo user's password.
const Password = "quanzi-demo"

type person struct {
	handle, name string
	role         account.Role
	verified     map[string]any // approved by the demo reviewer
	pending      map[string]any // claimed, waiting in the queue
}

var people = []person{
	{handle: "admin", name: "Operator 运营", role: account.RoleAdmin},
	{handle: "rita", name: "Rita 审核员", role: account.RoleReviewer},
	{handle: "xiaomei", name: "小美", role: account.RoleUser, verified: map[string]any{
		account.KindGender: "female", account.KindStudent: "复旦大学 Fudan University", account.KindIdentityLevel: 2, account.KindBirthYear: 2004}},
	{handle: "lina", name: "李娜 Lina", role: account.RoleUser, verified: map[string]any{
		account.KindGender: "female", account.KindEmployment: "Hangzhou fintech analyst", account.KindIdentityLevel: 3, account.KindBirthYear: 1995}},
	{handle: "dawei", name: "大伟 Dawei", role: account.RoleUser, verified: map[string]any{
		account.KindGender: "male", account.KindIdentityLevel: 2, account.KindBirthYear: 1992}},
	{handle: "chenxi", name: "晨曦", role: account.RoleUser, verified: map[string]any{
		account.KindIdentityLevel: 1},
		pending: map[string]any{account.KindGender: "female", account.KindStudent: "浙江大学 Zhejiang University"}},
	{handle: "newbie", name: "New here", role: account.RoleUser},
}

// Handles lists the demo users' handles.
func Handles() []string {
	var out []string
	for _, p := range people {
		out = append(out, p.handle)
	}
	return out
}

// Seed creates the demo world if the database has no users yet, and says
// whether it did.
func Seed(ctx context.Context, db *store.DB, accounts *account.Service, wallets *wallet.Service, circles *circle.Service, posts *post.Service, socials *social.Service) (bool, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	users := map[string]account.User{}
	for _, p := range people {
		u, err := accounts.CreateUser(ctx, "", account.NewUser{Handle: p.handle, Password: Password, DisplayName: p.name, Role: p.role})
		if err != nil {
			return false, fmt.Errorf("creating @%s: %w", p.handle, err)
		}
		users[p.handle] = u
	}
	reviewer := users["rita"]
	for _, p := range people {
		for _, kind := range account.Kinds {
			if v, ok := p.verified[kind]; ok {
				c, err := claim(ctx, accounts, users[p.handle], kind, v)
				if err != nil {
					return false, err
				}
				if _, err := accounts.Approve(ctx, reviewer, c.ID, account.Decision{}); err != nil {
					return false, fmt.Errorf("approving @%s's %s: %w", p.handle, kind, err)
				}
			}
			if v, ok := p.pending[kind]; ok {
				if _, err := claim(ctx, accounts, users[p.handle], kind, v); err != nil {
					return false, err
				}
			}
		}
	}
	operator := account.User{Role: account.RoleAdmin} // the demo acts as the operator
	for handle, score := range creditScores {
		if _, err := accounts.ImportCredit(ctx, operator, handle, score, "demo", "demo data"); err != nil {
			return false, fmt.Errorf("scoring @%s: %w", handle, err)
		}
	}
	if err := fund(ctx, db, wallets, users); err != nil {
		return false, err
	}
	actor := actors(ctx, db, accounts, users)
	if err := seedCircles(ctx, circles, actor); err != nil {
		return false, err
	}
	if err := seedFriends(ctx, socials, users); err != nil {
		return false, err
	}
	if err := seedPosts(ctx, db, posts, actor); err != nil {
		return false, err
	}
	return true, nil
}

// creditScores straddle the seed's 750 line: some may comment in the
// credit-gated circles, some may not.
var creditScores = map[string]int{"xiaomei": 768, "lina": 812, "dawei": 701, "chenxi": 655}

// money: every user tops up through the sandbox gateway, then a few
// friends pay each other.
var (
	topups = map[string]int64{"xiaomei": 50_000, "lina": 200_000, "dawei": 80_000, "chenxi": 20_000, "newbie": 1_000}
	sends  = []struct {
		from, to string
		amount   int64
		memo     string
	}{
		{"lina", "xiaomei", 8_800, "生日快乐 happy birthday"},
		{"dawei", "lina", 3_250, "火锅 AA hotpot split"},
		{"xiaomei", "chenxi", 1_500, "奶茶 bubble tea"},
	}
)

func fund(ctx context.Context, db *store.DB, wallets *wallet.Service, users map[string]account.User) error {
	for _, p := range people {
		amount, ok := topups[p.handle]
		if !ok {
			continue
		}
		u := users[p.handle]
		t, receipt, err := wallets.ChargeTopup(ctx, u, wallet.TopupRequest{Amount: amount})
		if err != nil {
			return fmt.Errorf("topping up @%s: %w", p.handle, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := wallets.CompleteTopup(ctx, tx, u.ID, t, receipt)
			return err
		}); err != nil {
			return fmt.Errorf("topping up @%s: %w", p.handle, err)
		}
	}
	for _, s := range sends {
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := wallets.Send(ctx, tx, users[s.from], wallet.TransferRequest{To: s.to, Amount: s.amount, Memo: s.memo})
			return err
		}); err != nil {
			return fmt.Errorf("@%s paying @%s: %w", s.from, s.to, err)
		}
	}
	return nil
}

func claim(ctx context.Context, accounts *account.Service, u account.User, kind string, v any) (account.Verification, error) {
	raw, _ := json.Marshal(v)
	c, err := accounts.ClaimAttribute(ctx, u, account.Claim{Kind: kind, Value: raw, Evidence: "demo data"})
	if err != nil {
		return c, fmt.Errorf("claiming @%s's %s: %w", u.Handle, kind, err)
	}
	return c, nil
}
