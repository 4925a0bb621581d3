package notify

import "testing"

func TestClaimNoteReadsBackWhatClaimDecidedWrites(t *testing.T) {
	tests := []struct {
		text                string
		kind, value, reason string
		ok                  bool
	}{
		{"Your student claim (Tsinghua University) was approved.", "student", "Tsinghua University", "", true},
		{"Your identity level claim (2) was rejected: the photo is blurred.", "identity_level", "2", "the photo is blurred.", true},
		{"Your birth year claim (2001) was revoked: the document was forged (see ticket) was checked", "birth_year", "2001", "the document was forged (see ticket) was checked", true},
		{"Your employment claim (Acme) was approved.) was rejected: no proof", "employment", "Acme) was approved.", "no proof", true},
		{"Your post was approved and is published.", "", "", "", false},
		{"Your student claim (x) was pondered.", "", "", "", false},
	}
	for _, tt := range tests {
		kind, value, reason, ok := ClaimNote(tt.text)
		if kind != tt.kind || value != tt.value || reason != tt.reason || ok != tt.ok {
			t.Errorf("ClaimNote(%q) = %q, %q, %q, %v", tt.text, kind, value, reason, ok)
		}
	}
}
