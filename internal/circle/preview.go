package circle

import (
	"context"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Preview is what a rule would do before it is saved: how many of the
// circle's members, and of everyone, it would shut out, with examples.
type Preview struct {
	Action      string `json:"action"`
	Rule        string `json:"rule"`
	Description string `json:"description"`
	// DescriptionZH is Description in Chinese, when there is a description.
	DescriptionZH string `json:"description_zh,omitempty"`
	Members       *Tally `json:"members,omitempty"` // the circle's current members (for a circle that exists)
	Users         Tally  `json:"users"`             // everyone, newest accounts first, up to PreviewLimit
}

// Tally counts the people a rule was checked against and those it shuts
// out, with a few of them and why.
type Tally struct {
	Checked  int       `json:"checked"`
	Excluded int       `json:"excluded"`
	Examples []Example `json:"examples"`
}

// Example is one person a rule shuts out.
type Example struct {
	Handle string `json:"handle"`
	Reason string `json:"reason"`
}

// PreviewLimit bounds the people a preview checks, in each group.
const PreviewLimit = 20_000

// PreviewRule shows what rule would do for action. With ref, in that
// circle (its owner and admins may ask); without, for a circle about to be
// created (anyone signed in may ask).
func (s *Service) PreviewRule(ctx context.Context, accounts *account.Service, a Actor, ref string, action policy.Action, rule string) (Preview, error) {
	if a.Anonymous {
		return Preview{}, errs.E(errs.Unauthenticated, "Sign in to preview a rule.")
	}
	if !action.Valid() {
		return Preview{}, errs.Field("action", "The action is one of join, view, post, comment, tip and invite, not %q.", errs.Clip(string(action), 20))
	}
	rule = strings.TrimSpace(rule)
	compiled, err := policy.Compile(rule)
	if err != nil {
		e := *errs.As(err)
		e.Field = "rule"
		return Preview{}, &e
	}
	p := Preview{Action: string(action), Rule: rule, Description: compiled.Describe()}
	if p.Description != "" {
		p.DescriptionZH = compiled.DescribeZH()
	}
	v := &view{Circle: Circle{Visibility: Open}, role: RoleNone}
	if ref != "" {
		if v, err = s.load(ctx, s.db, a, ref); err != nil {
			return Preview{}, err
		}
		if err := needRole(v, RoleAdmin, "preview its rules"); err != nil {
			return Preview{}, err
		}
		members, err := s.tally(ctx, accounts, compiled, action, v, true)
		if err != nil {
			return Preview{}, err
		}
		p.Members = &members
	}
	if p.Users, err = s.tally(ctx, accounts, compiled, action, v, false); err != nil {
		return Preview{}, err
	}
	return p, nil
}

// tally checks rule against the circle's members, or against everyone
// (as they stand in the circle).
func (s *Service) tally(ctx context.Context, accounts *account.Service, rule *policy.Rule, action policy.Action, v *view, members bool) (Tally, error) {
	type person struct {
		actor    Actor
		role     string
		joinedAt time.Time
	}
	var people []person
	var rows *store.Rows
	var err error
	if members {
		rows, err = s.db.Query(ctx, `SELECT u.id, u.handle, u.display_name, u.role, u.status, u.created_at, m.role, m.joined_at
			FROM circle_members m JOIN users u ON u.id = m.user_id WHERE m.circle_id = $1 ORDER BY m.joined_at DESC LIMIT $2`, v.ID, PreviewLimit)
	} else {
		rows, err = s.db.Query(ctx, `SELECT u.id, u.handle, u.display_name, u.role, u.status, u.created_at, COALESCE(m.role, 'none'), COALESCE(m.joined_at, 0)
			FROM users u LEFT JOIN circle_members m ON m.user_id = u.id AND m.circle_id = $1
			WHERE u.status = 'active' ORDER BY u.created_at DESC LIMIT $2`, v.ID, PreviewLimit)
	}
	if err != nil {
		return Tally{}, err
	}
	for rows.Next() {
		var p person
		u := &p.actor.User
		if err := rows.Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt, &p.role, &p.joinedAt); err != nil {
			rows.Close()
			return Tally{}, err
		}
		people = append(people, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Tally{}, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.actor.User.ID
	}
	verified, err := accounts.VerifiedMany(ctx, s.db, ids)
	if err != nil {
		return Tally{}, err
	}
	scores, err := credit.OfMany(ctx, s.db, ids)
	if err != nil {
		return Tally{}, err
	}
	t := Tally{Checked: len(people), Examples: []Example{}}
	for _, p := range people {
		p.actor.Verified, p.actor.Credit = verified[p.actor.User.ID], scores[p.actor.User.ID]
		pv := *v
		pv.role, pv.joinedAt = p.role, p.joinedAt
		in := input(p.actor, &pv)
		if rule.Allows(in) {
			continue
		}
		t.Excluded++
		if len(t.Examples) < 5 { // explaining costs more than deciding: only for the examples
			t.Examples = append(t.Examples, Example{Handle: p.actor.User.Handle, Reason: rule.Eval(in).Message(action)})
		}
	}
	return t, nil
}
