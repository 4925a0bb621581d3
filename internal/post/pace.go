package post

import (
	"context"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Pace refusals.
const (
	CodeSlowMode  errs.Code = "slow_mode"
	CodePostLimit errs.Code = "post_limit_reached"
)

// checkPace refuses a member's post (posting) or comment in a circle
// that keeps a pace: slow mode (the least time since their last post or
// comment there) and, for posts, how many they may make there a day.
// Moderators keep no pace.
func checkPace(ctx context.Context, tx *store.Tx, cp *circle.Place, userID string, posting bool) error {
	if cp == nil || cp.Moderates() || (cp.SlowModeSeconds == 0 && (!posting || cp.PostsPerDay == 0)) {
		return nil
	}
	if cp.SlowModeSeconds > 0 {
		var lastPost, lastComment *time.Time
		if err := tx.QueryRow(ctx, `SELECT MAX(created_at) FROM posts WHERE author_id = $1 AND circle_id = $2`, userID, cp.ID).Scan(&lastPost); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT MAX(m.created_at) FROM comments m JOIN posts p ON p.id = m.post_id
			WHERE m.author_id = $1 AND p.circle_id = $2`, userID, cp.ID).Scan(&lastComment); err != nil {
			return err
		}
		for _, last := range []*time.Time{lastPost, lastComment} {
			if last == nil {
				continue
			}
			if wait := last.Add(time.Duration(cp.SlowModeSeconds) * time.Second).Sub(tx.Now); wait > 0 {
				every := time.Duration(cp.SlowModeSeconds) * time.Second
				return errs.E(CodeSlowMode, "%s is in slow mode: one post or comment every %s. Wait %s more.", cp.Name, every, wait.Round(time.Second)).
					Say("zh", "%s 开启了慢速模式：每 %s 只能发一次帖子或评论。请再等 %s。", cp.Name, durationZH(every), durationZH(wait))
			}
		}
	}
	if posting && cp.PostsPerDay > 0 {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM posts WHERE author_id = $1 AND circle_id = $2 AND created_at > $3`,
			userID, cp.ID, tx.Now.Add(-24*time.Hour)).Scan(&n); err != nil {
			return err
		}
		if n >= cp.PostsPerDay {
			return errs.E(CodePostLimit, "%s takes at most %s from each member in 24 hours; you have made %d.", cp.Name, plural(cp.PostsPerDay, "post"), n).
				Say("zh", "%s 每位成员 24 小时内最多发 %d 条帖子；你已发了 %d 条。", cp.Name, cp.PostsPerDay, n)
		}
	}
	return nil
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
