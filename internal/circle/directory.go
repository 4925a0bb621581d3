package circle

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// The directory lists open circles only. Closed, archived and shut circles are
// not in the search index at all, so no query, count or ranking can reveal
// them.

// Terms splits text into search terms the same way for the index and for
// queries, and for both engines: runs of letters and digits become
// lower-case words (and a plural also its singular, see stem); runs of Chinese, Japanese or Korean characters, which
// have no spaces between words, become their single characters and every
// overlapping pair ("健身房" → 健 身 房 健身 身房), so a query of one or
// two characters, or a longer one, matches inside longer text.
func Terms(text string) []string {
	var out []string
	var word []rune
	var cjk []rune
	flushWord := func() {
		if len(word) > 0 {
			w := strings.ToLower(string(word))
			out = append(out, w)
			if st := stem(w); st != w {
				out = append(out, st)
			}
			word = word[:0]
		}
	}
	flushCJK := func() {
		for i := range cjk {
			out = append(out, string(cjk[i]))
			if i+1 < len(cjk) {
				out = append(out, string(cjk[i:i+2]))
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushCJK()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return out
}

// stem is a word without a plural "s" ("cats" → "cat", not "glass"): the
// index holds both forms and a query asks for the stem, so either form
// finds the other. Matching whole terms (no prefix queries) keeps every
// search a plain index lookup.
func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") {
		return w[:len(w)-1]
	}
	return w
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// queryTerms are the terms a query must all match: for CJK runs of two or
// more characters the pairs alone (the single characters add nothing).
func queryTerms(q string) []string {
	var out []string
	seen := map[string]bool{}
	for _, run := range strings.FieldsFunc(q, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r)) }) {
		ts := Terms(run)
		pairs := false
		for _, t := range ts {
			if len([]rune(t)) == 2 && isCJK([]rune(t)[0]) {
				pairs = true
			}
		}
		for _, t := range ts {
			r := []rune(t)
			if pairs && len(r) == 1 && isCJK(r[0]) {
				continue
			}
			if !isCJK(r[0]) {
				t = stem(t)
			}
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	if len(out) > 16 {
		out = out[:16]
	}
	return out
}

// bucket is a circle's popularity as the index orders it: eighths of a
// doubling of its member count, so it changes (and the circle moves in
// the index) only now and then as members come and go.
func bucket(members int) int64 {
	return int64(math.Floor(math.Log2(float64(max(members, 0)+1)) * 8))
}

// index puts a circle into the search index, or takes it out if it is
// closed, archived or shut. With force false (a member came or went) it only
// moves a listed circle whose popularity bucket changed.
func index(ctx context.Context, tx *store.Tx, circleID string, force bool) error {
	var name, desc, category, catName, catZH, visibility string
	var archived, shut *time.Time
	var members int
	var oldKey *int64
	var rowid int64
	pg := tx.Engine() == store.Postgres
	rowidCol := "c.rowid"
	if pg {
		rowidCol = "0"
	}
	err := tx.QueryRow(ctx, `SELECT c.name, c.description, c.category, k.name, k.name_zh, c.visibility, c.archived_at, c.shut_at, c.member_count,
		c.search_key, `+rowidCol+` FROM circles c JOIN circle_categories k ON k.key = c.category WHERE c.id = $1`, circleID).
		Scan(&name, &desc, &category, &catName, &catZH, &visibility, &archived, &shut, &members, &oldKey, &rowid)
	if err != nil {
		return err
	}
	listed := visibility == Open && archived == nil && shut == nil
	b := bucket(members)
	key := b<<32 | rowid&0xffffffff
	if pg {
		key = b
	}
	if !force && (oldKey == nil) == !listed && (oldKey == nil || *oldKey == key) {
		return nil // nothing the index shows has changed
	}
	nameTerms := strings.Join(Terms(name), " ")
	body := strings.Join(Terms(desc+" "+catName+" "+catZH), " ")
	cat := catToken(category)
	var newKey any
	if listed {
		newKey = key
	}
	if pg {
		if _, err := tx.Exec(ctx, `DELETE FROM circle_search WHERE circle_id = $1`, circleID); err != nil {
			return err
		}
		if listed {
			if _, err := tx.Exec(ctx, `INSERT INTO circle_search (circle_id, bucket, cat, name, body)
				VALUES ($1, $2, $3, to_tsvector('simple', $4), to_tsvector('simple', $5))`, circleID, b, cat, nameTerms, body); err != nil {
				return err
			}
		}
	} else {
		if oldKey != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM circle_search WHERE rowid = $1`, *oldKey); err != nil {
				return err
			}
		}
		if listed {
			if _, err := tx.Exec(ctx, `INSERT INTO circle_search (rowid, name, body, cat) VALUES ($1, $2, $3, $4)`, key, nameTerms, body, cat); err != nil {
				return err
			}
		}
	}
	_, err = tx.Exec(ctx, `UPDATE circles SET search_key = $1 WHERE id = $2`, newKey, circleID)
	return err
}

// Tidy does a bounded share of the search index's upkeep, for a periodic
// janitor: on SQLite it merges index segments a few hundred pages at a
// time, each step its own short transaction, so a search reads a term's
// matches from fewer places (a fully merged index answers in about half
// the time). PostgreSQL keeps its GIN indexes itself.
func (s *Service) Tidy(ctx context.Context, steps int) error {
	if s.db.Engine != store.SQLite {
		return nil
	}
	for range steps {
		if ctx.Err() != nil {
			return nil
		}
		// A negative page count merges even where fewer than "automerge"
		// segments share a level: towards one segment, step by step.
		if _, err := s.db.Exec(ctx, `INSERT INTO circle_search (circle_search, rank) VALUES ('merge', -200)`); err != nil {
			return err
		}
	}
	return nil
}

// catToken is a category key as one search term ("mother-baby" →
// "motherbaby").
func catToken(key string) string { return strings.ReplaceAll(key, "-", "") }

// Query asks the directory for open circles.
type Query struct {
	Q        string // words to search for; empty: browse
	Category string // a category key; empty: all
	Sort     string // relevance (the default with Q), members (the default without), new, trending
	Page     store.Page
}

// Listing is a circle in the directory.
type Listing struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Category    string    `json:"category"`
	MemberCount int       `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
}

const listingColumns = `c.id, c.slug, c.name, c.description, c.category, c.member_count, c.created_at`

// maxOffset bounds how deep pages go.
const maxOffset = 10_000

// Search lists open circles. A search (q) is ranked by relevance: circles
// whose name matches come first, then those whose description or category
// does, each group most popular first (then newest). Without q, circles are
// listed by members, new or trending.
func (s *Service) Search(ctx context.Context, q Query) ([]Listing, string, error) {
	terms := queryTerms(q.Q)
	if strings.TrimSpace(q.Q) != "" && len(terms) == 0 {
		return []Listing{}, "", nil // only punctuation: nothing can match
	}
	sort := q.Sort
	if sort == "" {
		sort = "members"
		if len(terms) > 0 {
			sort = "relevance"
		}
	}
	switch {
	case sort == "relevance" && len(terms) == 0:
		return nil, "", errs.Field("sort", "Sorting by relevance needs a search (q).")
	case sort != "relevance" && sort != "members" && sort != "new" && sort != "trending":
		return nil, "", errs.Field("sort", "Sort by relevance, members, new or trending, not %q.", errs.Clip(sort, 20))
	}
	// The cursor is where to go on: the pass (0: names, 1: the rest) and
	// the offset in it.
	pass, offset := 0, 0
	if len(q.Page.After) > 0 {
		bad := store.BadCursor()
		if len(q.Page.After) != 2 {
			return nil, "", bad
		}
		var err1, err2 error
		pass, err1 = strconv.Atoi(q.Page.After[0])
		offset, err2 = strconv.Atoi(q.Page.After[1])
		if err1 != nil || err2 != nil || pass < 0 || pass > 1 || offset < 0 || offset > maxOffset {
			return nil, "", bad
		}
	}
	category := strings.ToLower(strings.TrimSpace(q.Category))
	if sort != "relevance" {
		return s.browse(ctx, terms, category, sort, offset, q.Page.Limit)
	}
	var out []Listing
	for ; pass < 2; pass, offset = pass+1, 0 {
		want := q.Page.Limit + 1 - len(out)
		got, err := s.matches(ctx, terms, category, pass, offset, want)
		if err != nil {
			return nil, "", err
		}
		out = append(out, got...)
		if len(out) > q.Page.Limit {
			// The page is full and this pass has more.
			n := q.Page.Limit - (len(out) - len(got))
			return out[:q.Page.Limit], store.Cursor(strconv.Itoa(pass), strconv.Itoa(offset+n)), nil
		}
	}
	return out, "", nil
}

// matches returns up to limit circles matching terms in their name (pass
// 0) or elsewhere but not in the name (pass 1), most popular first, from
// offset on.
func (s *Service) matches(ctx context.Context, terms []string, category string, pass, offset, limit int) ([]Listing, error) {
	var rows *store.Rows
	var err error
	if s.db.Engine == store.Postgres {
		tsq := tsQuery(terms)
		where := `x.name @@ to_tsquery('simple', $1)`
		if pass == 1 {
			where = `x.body @@ to_tsquery('simple', $1) AND NOT x.name @@ to_tsquery('simple', $1)`
		}
		args := []any{tsq, limit, offset}
		if category != "" {
			where += ` AND x.cat = $4`
			args = append(args, catToken(category))
		}
		rows, err = s.db.Query(ctx, `SELECT `+listingColumns+` FROM circle_search x JOIN circles c ON c.id = x.circle_id
			WHERE `+where+` ORDER BY x.bucket DESC, x.circle_id DESC LIMIT $2 OFFSET $3`, args...)
	} else {
		fts := ftsQuery(terms)
		match := `{name} : (` + fts + `)`
		if pass == 1 {
			match = `{body} : (` + fts + `) NOT {name} : (` + fts + `)`
		}
		if category != "" {
			match = `(` + match + `) AND {cat} : "` + catToken(category) + `"`
		}
		rows, err = s.db.Query(ctx, `SELECT `+listingColumns+` FROM (SELECT rowid AS k FROM circle_search WHERE circle_search MATCH $1
			ORDER BY rowid DESC LIMIT $2 OFFSET $3) x CROSS JOIN circles c ON c.rowid = (x.k & 4294967295) ORDER BY x.k DESC`, match, limit, offset)
	}
	if err != nil {
		return nil, err
	}
	return scanListings(rows)
}

// browse lists open circles in an order other than relevance, optionally
// only those matching terms.
func (s *Service) browse(ctx context.Context, terms []string, category, sort string, offset, limit int) ([]Listing, string, error) {
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := `c.visibility = 'open' AND c.archived_at IS NULL AND c.shut_at IS NULL`
	if category != "" {
		where += ` AND c.category = ` + arg(category)
	}
	from := ` FROM circles c`
	if len(terms) > 0 {
		if s.db.Engine == store.Postgres {
			from += ` JOIN circle_search x ON x.circle_id = c.id`
			t := arg(tsQuery(terms))
			where += ` AND (x.name @@ to_tsquery('simple', ` + t + `) OR x.body @@ to_tsquery('simple', ` + t + `))`
		} else {
			from = ` FROM circle_search x CROSS JOIN circles c ON c.rowid = (x.rowid & 4294967295)`
			where += ` AND circle_search MATCH ` + arg(`{name body} : (`+ftsQuery(terms)+`)`)
		}
	}
	order := map[string]string{"members": `c.member_count DESC, c.id DESC`, "new": `c.created_at DESC, c.id DESC`, "trending": `c.trend DESC, c.id DESC`}[sort]
	rows, err := s.db.Query(ctx, `SELECT `+listingColumns+from+` WHERE `+where+` ORDER BY `+order+
		` LIMIT `+arg(limit+1)+` OFFSET `+arg(offset), args...)
	if err != nil {
		return nil, "", err
	}
	out, err := scanListings(rows)
	if err != nil || len(out) <= limit {
		return out, "", err
	}
	return out[:limit], store.Cursor("0", strconv.Itoa(offset+limit)), nil
}

func scanListings(rows *store.Rows) ([]Listing, error) {
	defer rows.Close()
	out := []Listing{}
	for rows.Next() {
		var l Listing
		if err := rows.Scan(&l.ID, &l.Slug, &l.Name, &l.Description, &l.Category, &l.MemberCount, &l.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ftsQuery is an FTS5 query for all terms. Terms hold only letters and
// digits, but are quoted all the same.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"`
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is the same query for PostgreSQL's to_tsquery.
func tsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + t + "'"
	}
	return strings.Join(parts, " & ")
}

// Category is one entry of the catalogue, with how many open circles it
// holds.
type Category struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	NameZH  string `json:"name_zh"`
	Circles int    `json:"circles"`
}

// Categories lists the catalogue in its order, with counts of open
// circles (closed ones are not counted: the count would give them away).
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.Query(ctx, `SELECT k.key, k.name, k.name_zh,
		(SELECT COUNT(*) FROM circles c WHERE c.category = k.key AND c.visibility = 'open' AND c.archived_at IS NULL AND c.shut_at IS NULL)
		FROM circle_categories k WHERE NOT k.archived ORDER BY k.position, k.key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.Key, &c.Name, &c.NameZH, &c.Circles); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Category returns one category of the catalogue, without its count
// (archived ones too: circles may still be filed under them).
func (s *Service) Category(ctx context.Context, key string) (Category, error) {
	c := Category{Key: key}
	err := s.db.QueryRow(ctx, `SELECT name, name_zh FROM circle_categories WHERE key = $1`, key).Scan(&c.Name, &c.NameZH)
	if err == store.ErrNoRows {
		return c, errs.E(errs.NotFound, "There is no category %s.", errs.Clip(key, 40))
	}
	return c, err
}

// trendHalfLife is how fast activity fades from the trending order.
const trendHalfLife = 24 * time.Hour

// bumpTrend counts one piece of activity (a join, a post) towards the
// circle's place in the trending order. The stored value is
// log2(decayed count) + t/halfLife, which orders circles by their decayed
// activity at any moment without rewriting every row as time passes.
func bumpTrend(ctx context.Context, tx *store.Tx, circleID string) error {
	var trend float64
	if err := tx.QueryRow(ctx, `SELECT trend FROM circles WHERE id = $1`, circleID).Scan(&trend); err != nil {
		return err
	}
	now := float64(tx.Now.UnixMicro()) / float64(trendHalfLife.Microseconds())
	count := 0.0
	if trend != 0 {
		count = math.Exp2(trend - now) // the decayed count so far
	}
	_, err := tx.Exec(ctx, `UPDATE circles SET trend = $1 WHERE id = $2`, math.Log2(count+1)+now, circleID)
	return err
}

// Activity counts activity in a circle (a post, say) for the trending
// order; the posts part calls it in its own transaction.
func Activity(ctx context.Context, tx *store.Tx, circleID string) error {
	return bumpTrend(ctx, tx, circleID)
}

// PutCategory adds a category to the catalogue or changes one (admins;
// the API checks the role). Archiving hides it from the catalogue and
// from new circles; circles already in it keep it.
func (s *Service) PutCategory(ctx context.Context, actorID string, c Category, position int, archived bool) (Category, error) {
	c.Key = strings.ToLower(strings.TrimSpace(c.Key))
	c.Name, c.NameZH = strings.TrimSpace(c.Name), strings.TrimSpace(c.NameZH)
	switch {
	case !validSlug(c.Key) || len(c.Key) > 30:
		return Category{}, errs.Field("key", "A category key is 3 to 30 characters: letters a–z, digits and hyphens, starting with a letter.")
	case c.Name == "" || len([]rune(c.Name)) > 40 || !printable(c.Name):
		return Category{}, errs.Field("name", "A category needs an English name of at most 40 characters.")
	case c.NameZH == "" || len([]rune(c.NameZH)) > 20 || !printable(c.NameZH):
		return Category{}, errs.Field("name_zh", "A category needs a Chinese name of at most 20 characters.")
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO circle_categories (key, name, name_zh, position, archived, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (key) DO UPDATE SET name = excluded.name, name_zh = excluded.name_zh, position = excluded.position, archived = excluded.archived`,
			c.Key, c.Name, c.NameZH, position, archived, tx.Now)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM circles WHERE category = $1 AND visibility = 'open' AND archived_at IS NULL AND shut_at IS NULL`, c.Key).Scan(&c.Circles); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "circle.category", "circle_category", c.Key, map[string]any{"name": c.Name, "name_zh": c.NameZH, "position": position, "archived": archived})
	})
	return c, err
}
