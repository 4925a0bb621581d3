package web

// Chinese for the profile's name form, the verification notifications and
// the collect form's messages.
func init() {
	addZH(map[string]string{
		"Change the display name":                              "修改昵称",
		"Up to 50 characters. Your handle @%s stays the same.": "最多 50 个字符。你的用户名 @%s 不会改变。",
		"Save the name":                                        "保存昵称",
		"People now see you as %s.":                            "现在大家看到的你是“%s”。",
	})
}
