package errs

import "testing"

func TestIn(t *testing.T) {
	e := &Error{Code: Forbidden, Message: "Posting here needs a credit score of at least 750; yours is 712.",
		Translations: map[string]string{"zh": "在这里发帖需要信用分至少 750；你的是 712。"}}
	tests := []struct{ lang, want string }{
		{"zh", "在这里发帖需要信用分至少 750；你的是 712。"},
		{"en", e.Message},
		{"fr", e.Message},
		{"", e.Message},
	}
	for _, tt := range tests {
		if got := e.In(tt.lang); got != tt.want {
			t.Errorf("In(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}
	plain := E(NotFound, "There is no such circle.")
	if got := plain.In("zh"); got != plain.Message {
		t.Errorf("In(zh) without translations = %q, want the message", got)
	}
}

func TestSay(t *testing.T) {
	e := Field("text", "The text is %d characters long; at most %d are allowed.", 5100, 5000).Say("zh", "正文有 %d 个字符，最多 %d 个。", 5100, 5000)
	if got := e.In("zh"); got != "正文有 5100 个字符，最多 5000 个。" {
		t.Errorf("In(zh) = %q", got)
	}
	if got := e.In("en"); got != "The text is 5100 characters long; at most 5000 are allowed." {
		t.Errorf("In(en) = %q", got)
	}
	if e.Field != "text" || e.Code != Invalid {
		t.Errorf("Say changed the error: %+v", e)
	}
}
