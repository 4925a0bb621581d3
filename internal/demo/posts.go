package demo

import (
	"context"
	"fmt"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

// The demo world's posts, each with its comments, likes and tips, in the
// order they were written. Men may not post in the diaries but may tip
// there; only credit 750+ may comment.
var demoPosts = []struct {
	author, circle, text string
	comments             []demoComment
	likes                []string
	tips                 map[string]int64 // tipper: amount
	anonymous            bool
}{
	{author: "xiaomei", circle: "campus-diary", text: "期末周第三天，图书馆四楼靠窗的位置永远抢不到。Exam week, day three: the window seats on the library's fourth floor are always taken.",
		comments: []demoComment{{"lina", "早上七点去就有！Go at seven and they're yours!", ""}, {"xiaomei", "明天试试 😂 I'll try tomorrow", "lina"}},
		likes:    []string{"lina", "dawei", "chenxi"}, tips: map[string]int64{"dawei": 520}},
	{author: "xiaomei", circle: "campus-diary", text: "社团招新，摄影社今年收了 40 个新人。Club fair: the photography club took 40 newcomers this year.",
		likes: []string{"lina"}, tips: map[string]int64{"lina": 1_000}, anonymous: true},
	{author: "lina", circle: "white-collar-diary", text: "周五加班到九点，楼下的牛肉面救了我。Overtime till nine on Friday; the beef noodles downstairs saved me.",
		comments: []demoComment{{"xiaomei", "哪一家？求地址 Which shop? Address please", ""}},
		likes:    []string{"xiaomei", "dawei"}, tips: map[string]int64{"dawei": 800}},
	{author: "dawei", circle: "morning-run", text: "今天 6 公里，配速 5:40，西湖边的雾很美。6 km today at 5:40/km; the mist on the West Lake was lovely.",
		comments: []demoComment{{"lina", "明天一起！Join you tomorrow!", ""}, {"newbie", "新手可以跟吗？Can a beginner come along?", ""}, {"dawei", "当然，六点断桥见 Of course — six at the Broken Bridge", "newbie"}},
		likes:    []string{"lina", "newbie"}},
	{author: "chenxi", circle: "cat-people", text: "橘猫体检回来了，一切正常，就是要减肥。The ginger cat's check-up came back fine — but he needs to lose weight.",
		comments: []demoComment{{"xiaomei", "胖橘的宿命 The fate of every ginger cat", ""}}, likes: []string{"xiaomei"}},
	{author: "lina", circle: "index-fund-club", text: "第 36 期定投完成，沪深 300 仓位 60%。36th monthly purchase done; CSI 300 is 60% of the portfolio.",
		likes: []string{"dawei"}},
}

type demoComment struct{ author, text, replyTo string }

// demoMoments are posts outside circles: one for everyone, one for friends.
var demoMoments = []struct{ author, audience, text string }{
	{"xiaomei", post.Public, "第一次做提拉米苏，成功了！My first tiramisu, and it worked!"},
	{"dawei", post.Friends, "周末去千岛湖骑车，有人吗？Cycling at Qiandao Lake this weekend — anyone?"},
}

// friendships in the demo world: who asked whom.
var friendships = [][2]string{{"xiaomei", "lina"}, {"xiaomei", "chenxi"}, {"dawei", "lina"}, {"dawei", "newbie"}}

// demoMessages are direct messages: between friends, and one stranger's
// message request.
var demoMessages = []struct{ from, to, text string }{
	{"lina", "xiaomei", "周六一起去看展吗？Exhibition on Saturday?"},
	{"xiaomei", "lina", "好呀！下午两点？Sure! 2 pm?"},
	{"chenxi", "dawei", "你好，想问问晨跑的路线 Hi — which route does the morning run take?"},
}

// seedFriends makes the demo friendships and messages.
func seedFriends(ctx context.Context, socials *social.Service, users map[string]account.User) error {
	for _, f := range friendships {
		r, err := socials.RequestFriend(ctx, users[f[0]], f[1], "")
		if err != nil {
			return fmt.Errorf("@%s asking @%s to be friends: %w", f[0], f[1], err)
		}
		if _, err := socials.AcceptFriend(ctx, users[f[1]], r.ID); err != nil {
			return fmt.Errorf("@%s accepting @%s: %w", f[1], f[0], err)
		}
	}
	for _, m := range demoMessages {
		if _, err := socials.Send(ctx, users[m.from], m.to, m.text); err != nil {
			return fmt.Errorf("@%s writing to @%s: %w", m.from, m.to, err)
		}
	}
	return nil
}

// seedPosts writes the demo posts, comments, likes, tips and moments.
func seedPosts(ctx context.Context, db *store.DB, posts *post.Service, actor func(string) (circle.Actor, error)) error {
	for i, d := range demoPosts {
		author, err := actor(d.author)
		if err != nil {
			return err
		}
		p, err := posts.Create(ctx, author, d.circle, post.Draft{Text: d.text})
		if err != nil {
			return fmt.Errorf("@%s posting in %s: %w", d.author, d.circle, err)
		}
		byAuthor := map[string]string{}
		for _, c := range d.comments {
			a, err := actor(c.author)
			if err != nil {
				return err
			}
			made, err := posts.AddComment(ctx, a, p.ID, post.NewComment{Text: c.text, ReplyTo: byAuthor[c.replyTo]})
			if err != nil {
				return fmt.Errorf("@%s commenting: %w", c.author, err)
			}
			if c.replyTo == "" {
				byAuthor[c.author] = made.ID
			}
		}
		for _, h := range d.likes {
			a, err := actor(h)
			if err != nil {
				return err
			}
			if _, err := posts.Like(ctx, a, p.ID, true); err != nil {
				return fmt.Errorf("@%s liking: %w", h, err)
			}
		}
		for h, amount := range d.tips {
			a, err := actor(h)
			if err != nil {
				return err
			}
			err = db.Tx(ctx, func(tx *store.Tx) error {
				_, err := posts.SendTip(ctx, tx, a, p.ID, post.TipRequest{Amount: amount, Anonymous: d.anonymous})
				return err
			})
			if err != nil {
				return fmt.Errorf("@%s tipping post %d: %w", h, i+1, err)
			}
		}
	}
	for _, m := range demoMoments {
		a, err := actor(m.author)
		if err != nil {
			return err
		}
		if _, err := posts.CreateMoment(ctx, a, post.Draft{Text: m.text, Audience: m.audience}); err != nil {
			return fmt.Errorf("@%s sharing a moment: %w", m.author, err)
		}
	}
	return nil
}
