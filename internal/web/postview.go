package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/post"
)

// Posts are the bulk of every feed page, and html/template spends about
// a microsecond on each action (a reflective call for the value and
// another for its escaper): a feed of twenty posts cost a millisecond of
// templates alone, most of a page's time. So the parts of a post that
// feeds repeat are written here, in Go, and offered to the templates as
// functions (postFuncs). Every value from outside goes through esc (text
// and quoted attributes) or pathPart (a path segment in a URL).

// esc escapes text for an HTML text node or a double-quoted attribute.
var esc = template.HTMLEscapeString

// pathPart escapes one segment of a URL path and then for its attribute.
func pathPart(s string) string { return esc(url.PathEscape(s)) }

// postFuncs are the template functions that draw posts, bound to l.
func postFuncs(l lang) template.FuncMap {
	return template.FuncMap{
		// posthead is a post's header: author, circle, time, state.
		"posthead": func(x post.Post) template.HTML {
			var b strings.Builder
			postHead(&b, l, &x)
			return template.HTML(b.String())
		},
		// postcard is a post on its own, with its counts in one line.
		"postcard": func(x post.Post) template.HTML {
			var b strings.Builder
			postCard(&b, l, &x)
			return template.HTML(b.String())
		},
		// postitem is a post in a feed, with its like button.
		"postitem": func(x post.Post, p *Page) template.HTML {
			var b strings.Builder
			postItem(&b, l, &x, p)
			return template.HTML(b.String())
		},
		// likebutton is the like form (or the count, signed out); next is
		// where the form comes back to.
		"likebutton": func(x post.Post, p *Page, next string) template.HTML {
			var b strings.Builder
			likeButton(&b, l, &x, p, next)
			return template.HTML(b.String())
		},
		"ncomments": func(n int) string { return commentCount(l, n) },
	}
}

func postHead(b *strings.Builder, l lang, x *post.Post) {
	name := x.Author.DisplayName
	if name == "" {
		name = x.Author.Handle
	}
	b.WriteString(`<header><span class="avatar" aria-hidden="true">`)
	b.WriteString(esc(initial(name)))
	b.WriteString(`</span>`)
	b.WriteString("\n    <div><strong>")
	b.WriteString(esc(name))
	b.WriteString(`</strong> <span class="muted">@`)
	b.WriteString(esc(x.Author.Handle))
	b.WriteString("</span>\n    ")
	switch x.Status {
	case post.Held:
		pill(b, "warn", l.T("Post in review"))
	case post.Rejected:
		pill(b, "bad", l.T("Post not approved"))
	}
	if x.Pinned {
		b.WriteString(" ")
		pill(b, "", l.T("Pinned post"))
	}
	b.WriteString("<br>\n    <span class=\"muted small\">")
	if x.Circle != nil {
		b.WriteString(`<a href="/c/`)
		b.WriteString(pathPart(x.Circle.Slug))
		b.WriteString(`">`)
		b.WriteString(esc(x.Circle.Name))
		b.WriteString(`</a> · `)
	}
	b.WriteString(`<a href="/p/`)
	b.WriteString(pathPart(x.ID))
	b.WriteString(`" class="muted"><time datetime="`)
	b.WriteString(x.CreatedAt.UTC().Format(time.RFC3339))
	b.WriteString(`">`)
	b.WriteString(esc(ago(l, time.Since(x.CreatedAt))))
	b.WriteString(`</time></a>`)
	if x.EditedAt != nil {
		b.WriteString(" · ")
		b.WriteString(esc(l.T("edited")))
	}
	b.WriteString(`</span></div></header>`)
}

func pill(b *strings.Builder, class, text string) {
	b.WriteString(`<span class="pill`)
	if class != "" {
		b.WriteString(" " + class)
	}
	b.WriteString(`">`)
	b.WriteString(esc(text))
	b.WriteString(`</span>`)
}

// postText is a post's text as a paragraph (nothing when it has none).
func postText(b *strings.Builder, x *post.Post) {
	if x.Text != "" {
		b.WriteString("\n  <p class=\"text\">")
		b.WriteString(esc(x.Text))
		b.WriteString("</p>")
	}
}

// postPics is a post's pictures as thumbnails, each linking to its full
// size.
func postPics(b *strings.Builder, l lang, x *post.Post) {
	n := len(x.Media)
	if n == 0 {
		return
	}
	b.WriteString("\n  <div class=\"pics n")
	b.WriteString(strconv.Itoa(n))
	b.WriteString(`">`)
	for i, m := range x.Media {
		b.WriteString(`<a href="`)
		b.WriteString(esc(m.URL))
		b.WriteString(`"><img src="`)
		b.WriteString(esc(m.ThumbURL))
		b.WriteString(`" alt="`)
		b.WriteString(esc(l.T("Picture %d of %d", i+1, n)))
		b.WriteString(`" width="`)
		b.WriteString(strconv.Itoa(m.Width))
		b.WriteString(`" height="`)
		b.WriteString(strconv.Itoa(m.Height))
		b.WriteString(`" loading="lazy"></a>`)
	}
	b.WriteString(`</div>`)
}

func postCard(b *strings.Builder, l lang, x *post.Post) {
	b.WriteString("<article class=\"post card\">\n  ")
	postHead(b, l, x)
	postText(b, x)
	postPics(b, l, x)
	b.WriteString("\n  <footer class=\"muted small\"><a href=\"/p/")
	b.WriteString(pathPart(x.ID))
	b.WriteString(`">`)
	b.WriteString(esc(l.T("%d likes · %d comments · %s tipped", x.Likes, x.Comments, money(x.Tips.Total))))
	b.WriteString("</a></footer>\n</article>")
}

func postItem(b *strings.Builder, l lang, x *post.Post, p *Page) {
	b.WriteString("<article class=\"post card\">\n  ")
	postHead(b, l, x)
	postText(b, x)
	postPics(b, l, x)
	b.WriteString("\n  <footer class=\"actions\">\n    ")
	if x.Status == post.Published {
		likeButton(b, l, x, p, p.Path)
	}
	b.WriteString("\n    <a class=\"btn small\" href=\"/p/")
	b.WriteString(pathPart(x.ID))
	b.WriteString(`#comments">💬 `)
	b.WriteString(esc(commentCount(l, x.Comments)))
	b.WriteString("</a>\n    <span class=\"muted small\">")
	b.WriteString(esc(tipLine(l, x)))
	b.WriteString("</span>\n  </footer>\n</article>")
}

// likeButton is the like form for a signed-in reader (pressed when they
// liked the post), or the count for one signed out.
func likeButton(b *strings.Builder, l lang, x *post.Post, p *Page, next string) {
	if p.Session == nil {
		b.WriteString(`<span class="muted small">♡ `)
		if x.Likes == 1 {
			b.WriteString(esc(l.T("1 like")))
		} else {
			b.WriteString(esc(l.T("%d likes", x.Likes)))
		}
		b.WriteString(`</span>`)
		return
	}
	b.WriteString(`<form method="post" action="/p/`)
	b.WriteString(pathPart(x.ID))
	b.WriteString(`/like" class="inline"><input type="hidden" name="csrf" value="`)
	b.WriteString(esc(p.CSRF))
	b.WriteString("\">\n    <input type=\"hidden\" name=\"next\" value=\"")
	b.WriteString(esc(next))
	b.WriteString("\">\n    ")
	liked := x.Me != nil && x.Me.Liked
	value, class, pressed, label := "1", "small", "false", l.T("Like this post")
	heart := "♡"
	if liked {
		value, class, pressed, label, heart = "0", "small liked", "true", l.T("Take back your like"), "♥"
	}
	b.WriteString(`<input type="hidden" name="like" value="` + value + `"><button type="submit" class="` + class + `" aria-pressed="` + pressed + `">` + heart + ` <span class="sr">`)
	b.WriteString(esc(label))
	b.WriteString(`</span> <span class="n">`)
	b.WriteString(strconv.Itoa(x.Likes))
	b.WriteString("</span></button>\n  </form>")
}

// commentCount is "1 comment" or "N comments".
func commentCount(l lang, n int) string {
	if n == 1 {
		return l.T("1 comment")
	}
	return l.T("%d comments", n)
}

// tipLine sums a post's tips in words.
func tipLine(l lang, x *post.Post) string {
	if x.Tips.Count > 0 {
		return l.T("%s tipped by %d", money(x.Tips.Total), x.Tips.Count)
	}
	return l.T("No tips yet")
}
