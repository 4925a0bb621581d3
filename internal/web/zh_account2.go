package web

// Chinese for the profile's name form, the verification notifications and
// the collect form's messages.
func init() {
	addZH(map[string]string{
		"Change the display name":                              "修改昵称",
		"Up to 50 characters. Your handle @%s stays the same.": "最多 50 个字符。你的用户名 @%s 不会改变。",
		"Save the name":                                        "保存昵称",
		"People now see you as %s.":                            "现在大家看到的你是“%s”。",

		"A reviewer verified one of your claims":             "审核员通过了你的一项认证申请",
		"A reviewer rejected one of your claims":             "审核员拒绝了你的一项认证申请",
		"A reviewer revoked one of your verified attributes": "审核员撤销了你的一项已认证信息",
		"Your claim is verified: %s, %s":                     "你的认证申请已通过：%s，%s",
		"Your claim was rejected: %s, %s":                    "你的认证申请被拒绝：%s，%s",
		"Your verified attribute was revoked: %s, %s":        "你的已认证信息被撤销：%s，%s",
	})
}
