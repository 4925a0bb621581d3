package demo

import (
	"context"
	"fmt"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/store"
)

// The seed's circles: the two diaries where only verified women post and
// only credit 750+ comment, and a few everyday ones — one invitation-only,
// one that vets who joins.
var circles = []struct {
	owner    string
	settings circle.Settings
	members  []string
	pending  map[string]string // handle: answer to the join question
}{
	{owner: "xiaomei", members: []string{"chenxi", "dawei", "lina"}, settings: settings("Campus Diary 校园日记", "campus-diary", "campus", circle.Open,
		"大学生活的点滴：宿舍、社团、考试周。Everyday campus life — dorms, clubs, exam week.",
		"1. 只有认证女生可以发帖，信用分 750 以上可以评论。Only verified women post; credit 750+ comment.\n2. 不晒他人隐私。No one else's private life.",
		circle.Policies{Post: `user.verified.gender == "female"`, Comment: `user.credit_score >= 750`}, circle.ReviewMedia)},
	{owner: "lina", members: []string{"dawei", "xiaomei"}, settings: settings("White-collar Diary 白领日记", "white-collar-diary", "white-collar", circle.Open,
		"通勤、加班、升职与午餐。Commutes, overtime, promotions and lunch.",
		"只有认证女性可以发帖，信用分 750 以上可以评论。Only verified women post; credit 750+ comment.",
		circle.Policies{Post: `user.verified.gender == "female"`, Comment: `user.credit_score >= 750`}, circle.ReviewMedia)},
	{owner: "dawei", members: []string{"lina", "newbie"}, settings: settings("Morning Run 晨跑俱乐部", "morning-run", "fitness", circle.Open,
		"每天早上六点，西湖边见。Six every morning by the West Lake; all paces welcome.", "", circle.Policies{}, circle.ReviewNone)},
	{owner: "chenxi", members: []string{"xiaomei"}, settings: settings("Cat People 猫奴之家", "cat-people", "pets", circle.Open,
		"晒猫、领养、看病经验。Cat photos, adoption and vet tips.", "", circle.Policies{}, circle.ReviewMedia)},
	{owner: "lina", members: []string{"dawei"}, settings: settings("Index Fund Club 指数基金定投", "index-fund-club", "finance", circle.Closed,
		"定投记录与复盘，不荐股。Regular investing journals; no stock tips.", "不推荐个股，不拉群。No stock tips, no recruiting.",
		circle.Policies{Join: `user.credit_score >= 700`, Tip: `member.tenure_days >= 7`}, circle.ReviewNone)},
	{owner: "lina", pending: map[string]string{"chenxi": "宝宝 3 个月，想交流辅食。My baby is 3 months old."},
		settings: settings("New Moms 新手妈妈互助", "new-moms", "mother-baby", circle.Open,
			"新手妈妈互相帮助：睡眠、喂养、返岗。New mothers helping each other: sleep, feeding, going back to work.",
			"尊重每一种育儿方式。Respect every way of parenting.", circle.Policies{}, circle.ReviewAll)},
}

func settings(name, slug, category, visibility, description, rules string, p circle.Policies, review string) circle.Settings {
	s := circle.Settings{Name: &name, Slug: &slug, Category: &category, Visibility: &visibility, Description: &description,
		Rules: &rules, Policies: &p, Review: &review}
	if slug == "new-moms" {
		yes, q := true, "宝宝多大了？How old is your baby?"
		s.JoinApproval, s.JoinQuestion = &yes, &q
	}
	return s
}

// actors returns a function that gives a demo user as rules see them:
// with their verified attributes and credit score as they are now.
func actors(ctx context.Context, db *store.DB, accounts *account.Service, users map[string]account.User) func(string) (circle.Actor, error) {
	return func(handle string) (circle.Actor, error) {
		u := users[handle]
		verified, err := accounts.Verified(ctx, db, u.ID)
		if err != nil {
			return circle.Actor{}, err
		}
		score, err := credit.Of(ctx, db, u.ID)
		return circle.Actor{User: u, Verified: verified, Credit: score}, err
	}
}

// seedCircles makes the demo circles and their members.
func seedCircles(ctx context.Context, svc *circle.Service, actor func(string) (circle.Actor, error)) error {
	for _, c := range circles {
		owner, err := actor(c.owner)
		if err != nil {
			return err
		}
		made, err := svc.Create(ctx, owner, c.settings)
		if err != nil {
			return fmt.Errorf("creating the circle %s: %w", *c.settings.Name, err)
		}
		code := ""
		if made.Visibility == circle.Closed {
			inv, err := svc.CreateInvite(ctx, owner, made.ID, circle.InviteSettings{})
			if err != nil {
				return err
			}
			code = inv.Code
		}
		for _, h := range c.members {
			a, err := actor(h)
			if err != nil {
				return err
			}
			if _, err := svc.Join(ctx, a, made.ID, circle.JoinRequest{InviteCode: code}); err != nil {
				return fmt.Errorf("@%s joining %s: %w", h, made.Name, err)
			}
		}
		for h, answer := range c.pending {
			a, err := actor(h)
			if err != nil {
				return err
			}
			if _, err := svc.Join(ctx, a, made.ID, circle.JoinRequest{Answer: answer}); err != nil {
				return fmt.Errorf("@%s asking to join %s: %w", h, made.Name, err)
			}
		}
	}
	return nil
}
