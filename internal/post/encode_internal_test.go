package post

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
)

// The feed's hand-assembled JSON must be what json.Marshal writes, for
// posts with and without their shared bytes and for every kind of
// standing.
func TestFeedJSONIsWhatMarshalWrites(t *testing.T) {
	edited := time.Date(2026, 11, 23, 8, 30, 0, 123456789, time.UTC)
	full := Post{
		ID:       "01p",
		Circle:   &CircleRef{ID: "01c", Slug: "cats", Name: "Cats <&> 猫"},
		Author:   Author{Handle: "rita", DisplayName: "Rita \"R\" \u2028"},
		Audience: "circle",
		Text:     "tab\there, <b>bold</b> & 中文 \x01",
		Media:    []Media{{ID: "m1", URL: "/p/m1", ThumbURL: "/p/m1?v=thumb", Width: 640, Height: 480}},
		Status:   Published,
		Likes:    3, Comments: 2, Tips: TipTotals{Count: 1, Total: 500},
		Pinned: true, EditedAt: &edited, CreatedAt: edited.Add(-time.Hour),
	}
	moment := Post{ID: "01q", Audience: Friends, Media: []Media{}, Status: Published, CreatedAt: edited}
	standings := []*Standing{nil, {}, {Liked: true}, {Liked: true, Rights: map[string]circle.Right{"tip": {Allowed: false, Reason: "credit < 750"}}}}
	var posts []Post
	for _, base := range []Post{full, moment} {
		for _, me := range standings {
			for _, cached := range []bool{false, true} {
				p := base
				if cached {
					var err error
					if p.shared, err = encodeShared(p); err != nil {
						t.Fatal(err)
					}
				}
				p.Me = me
				posts = append(posts, p)
			}
		}
	}
	for name, page := range map[string]CirclePage{
		"items, pinned and cursor": {Items: posts, Pinned: posts[:3], NextCursor: "abc_-"},
		"empty":                    {Items: []Post{}},
		"nil items":                {},
	} {
		want, err := json.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		got, err := page.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: AppendJSON wrote\n%s\njson.Marshal writes\n%s", name, got, want)
		}
		wantList, _ := json.Marshal(struct {
			Items      []Post `json:"items"`
			NextCursor string `json:"next_cursor"`
		}{page.Items, page.NextCursor})
		gotList, err := AppendList(nil, page.Items, page.NextCursor)
		if err != nil {
			t.Fatal(err)
		}
		if string(gotList) != string(wantList) {
			t.Errorf("%s: AppendList wrote\n%s\njson.Marshal writes\n%s", name, gotList, wantList)
		}
	}
}
