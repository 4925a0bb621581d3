package post

import (
	"encoding/json"
	"slices"
)

// Feeds are most of what clients read, and encoding their posts by
// reflection was a fifth of a feed request's cost. So a post kept in the
// feed cache is encoded once, without the reader's standing ("me"), and
// each request appends its reader's standing to those bytes. The result
// is byte for byte what json.Marshal writes for the same values.

// encodeShared returns p's JSON encoding without its standing and without
// the closing brace: the part every reader shares.
func encodeShared(p Post) ([]byte, error) {
	p.Me, p.shared = nil, nil
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// appendPost appends p's encoding, from its shared bytes when it has them.
func appendPost(b []byte, p *Post) ([]byte, error) {
	shared := p.shared
	if shared == nil {
		var err error
		if shared, err = encodeShared(*p); err != nil {
			return nil, err
		}
	}
	b = append(b, shared...)
	switch {
	case p.Me == nil:
	case p.Me.Rights == nil && p.Me.Liked:
		b = append(b, `,"me":{"liked":true,"rights":null}`...)
	case p.Me.Rights == nil:
		b = append(b, `,"me":{"liked":false,"rights":null}`...)
	default:
		me, err := json.Marshal(p.Me)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"me":`...), me...)
	}
	return append(b, '}'), nil
}

func appendPosts(b []byte, ps []Post) ([]byte, error) {
	if ps == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendPost(b, &ps[i]); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendCursor(b []byte, next string) ([]byte, error) {
	c, err := json.Marshal(next)
	if err != nil {
		return nil, err
	}
	return append(append(b, `,"next_cursor":`...), c...), nil
}

// grown returns b with room for the encoding of posts, so that appending
// them does not copy it over and over.
func grown(b []byte, posts ...[]Post) []byte {
	n := 64
	for _, ps := range posts {
		for i := range ps {
			n += len(ps[i].shared) + 48
			if ps[i].shared == nil {
				n += 512 + len(ps[i].Text)
			}
		}
	}
	return slices.Grow(b, n)
}

// AppendJSON appends the page's JSON encoding to b.
func (pg CirclePage) AppendJSON(b []byte) ([]byte, error) {
	b, err := appendPosts(append(grown(b, pg.Items, pg.Pinned), `{"items":`...), pg.Items)
	if err == nil && len(pg.Pinned) > 0 {
		b, err = appendPosts(append(b, `,"pinned":`...), pg.Pinned)
	}
	if err == nil {
		b, err = appendCursor(b, pg.NextCursor)
	}
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// AppendList appends the JSON encoding of a list of posts, {"items": …,
// "next_cursor": …}, to b.
func AppendList(b []byte, items []Post, next string) ([]byte, error) {
	b, err := appendPosts(append(grown(b, items), `{"items":`...), items)
	if err == nil {
		b, err = appendCursor(b, next)
	}
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
