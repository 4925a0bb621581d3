package circle

import "github.com/quanzi/quanzi/internal/policy"

// Chinese words for the values the circle's refusals put into their
// sentences (errs.Error.Say), so a Chinese reader gets the whole sentence
// in Chinese.

// verbZH is an action as a Chinese verb phrase: 发帖, 查看这个圈子.
func verbZH(act policy.Action) string {
	switch act {
	case policy.Join:
		return "加入这个圈子"
	case policy.View:
		return "查看这个圈子"
	case policy.Post:
		return "发帖"
	case policy.Comment:
		return "评论"
	case policy.Tip:
		return "打赏"
	case policy.Invite:
		return "邀请他人"
	}
	return "这样做"
}

// reasonZH is a moderation reason (spam, off_topic …) in Chinese; one it
// does not know stays as it is.
func reasonZH(reason string) string {
	if z, ok := map[string]string{
		"spam": "垃圾广告", "nudity": "裸露", "violence": "暴力", "harassment": "骚扰", "hate": "仇恨言论",
		"scam": "诈骗", "illegal": "违法", "misinformation": "不实信息", "off_topic": "跑题", "other": "其他",
	}[reason]; ok {
		return z
	}
	return reason
}
