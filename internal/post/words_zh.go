package post

import (
	"fmt"
	"strings"
	"time"
)

// durationZH writes a wait in Chinese words, to the second: "1 小时 5 分钟",
// "30 秒".
func durationZH(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "1 秒"
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d 小时", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d 分钟", m))
	}
	if s > 0 {
		parts = append(parts, fmt.Sprintf("%d 秒", s))
	}
	return strings.Join(parts, " ")
}

// verbZH is what mayInteract is asked about, as a Chinese verb phrase.
func verbZH(what string) string {
	switch {
	case strings.HasPrefix(what, "comment"):
		return "评论"
	case strings.HasPrefix(what, "tip"):
		return "打赏"
	case strings.HasPrefix(what, "like"):
		return "点赞"
	}
	return "使用"
}
