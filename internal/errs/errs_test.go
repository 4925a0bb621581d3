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
