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

// The directory lists open circles only. Closed and archived circles are
// not in the search index at all, so no query, count or ranking can reveal
// them.

// Terms splits text into search terms the same way for the index and for
// queries, and for both engines: runs of letters and digits become
// lower-case words; runs of Chinese, Japanese or Korean characters, which
// have no spaces between words, become their single characters and every
// overlapping pair ("健身房" → 健 身 房 健身 身房), so a query of one or
// two characters, or a longer one, matches inside longer text.
func Terms(text string) []string {
	var out []string
	var word []rune
	var cjk []rune
	flushWord := func() {
		if len(word) > 0 {
			out = append(out, strings.ToLower(string(word)))
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

// index puts a circle into the search index, or takes it out if it is
// closed or archived.
func (s *Service) index(ctx context.Context, tx *store.Tx, circleID string) error {
	var name, desc, category, catName, catZH, visibility string
	var archived *time.Time
	err := tx.QueryRow(ctx, `SELECT c.name, c.description, c.category, k.name, k.name_zh, c.visibility, c.archived_at
		FROM circles c JOIN circle_categories k ON k.key = c.category WHERE c.id = $1`, circleID).
		Scan(&name, &desc, &category, &catName, &catZH, &visibility, &archived)
	if err != nil {
		return err
	}
	listed := visibility == Open && archived == nil
	// The name counts three times and the category once, so a match in the
	// name ranks first.
	body := strings.Join(Terms(strings.Repeat(name+" ", 3)+desc+" "+catName+" "+catZH+" "+category), " ")
	if tx.Engine() == store.Postgres {
		if _, err := tx.Exec(ctx, `DELETE FROM circle_search WHERE circle_id = $1`, circleID); err != nil || !listed {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO circle_search (circle_id, body) VALUES ($1, to_tsvector('simple', $2))`, circleID, body)
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM circle_search WHERE rowid = (SELECT rowid FROM circles WHERE id = $1)`, circleID); err != nil || !listed {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO circle_search (rowid, body) SELECT rowid, $1 FROM circles WHERE id = $2`, body, circleID)
	return err
}

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

// Search lists open circles matching q. Pages go by offset: a ranking by
// relevance has no stable key to continue from.
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
	if sort == "relevance" && len(terms) == 0 {
		return nil, "", errs.Field("sort", "Sorting by relevance needs a search (q).")
	}
	offset := 0
	if len(q.Page.After) == 1 {
		n, err := strconv.Atoi(q.Page.After[0])
		if err != nil || n < 0 || n > 10_000 {
			return nil, "", errs.E(errs.InvalidCursor, "The cursor is not one this server gave out; start again from the first page.")
		}
		offset = n
	} else if len(q.Page.After) != 0 {
		return nil, "", errs.E(errs.InvalidCursor, "The cursor is not one this server gave out; start again from the first page.")
	}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := `c.visibility = 'open' AND c.archived_at IS NULL`
	if q.Category != "" {
		where += ` AND c.category = ` + arg(strings.ToLower(q.Category))
	}
	from := ` FROM circles c`
	order := ""
	pg := s.db.Engine == store.Postgres
	if len(terms) > 0 {
		if pg {
			from += ` JOIN circle_search x ON x.circle_id = c.id`
			where += ` AND x.body @@ to_tsquery('simple', ` + arg(tsQuery(terms)) + `)`
		} else {
			from += ` JOIN circle_search x ON x.rowid = c.rowid`
			where += ` AND circle_search MATCH ` + arg(ftsQuery(terms))
		}
	}
	switch sort {
	case "relevance":
		if pg {
			order = `ts_rank(x.body, to_tsquery('simple', ` + arg(tsQuery(terms)) + `)) DESC, c.member_count DESC, c.id`
		} else {
			order = `bm25(circle_search) ASC, c.member_count DESC, c.id`
		}
	case "members":
		order = `c.member_count DESC, c.id`
	case "new":
		order = `c.created_at DESC, c.id`
	case "trending":
		order = `c.trend DESC, c.id`
	default:
		return nil, "", errs.Field("sort", "Sort by relevance, members, new or trending, not %q.", truncate(sort, 20))
	}
	limit := arg(q.Page.Limit + 1)
	off := arg(offset)
	rows, err := s.db.Query(ctx, `SELECT c.id, c.slug, c.name, c.description, c.category, c.member_count, c.created_at`+from+
		` WHERE `+where+` ORDER BY `+order+` LIMIT `+limit+` OFFSET `+off, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []Listing{}
	for rows.Next() {
		var l Listing
		if err := rows.Scan(&l.ID, &l.Slug, &l.Name, &l.Description, &l.Category, &l.MemberCount, &l.CreatedAt); err != nil {
			return nil, "", err
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Page.Limit {
		out = out[:q.Page.Limit]
		next = store.Cursor(strconv.Itoa(offset + q.Page.Limit))
	}
	return out, next, nil
}

// ftsQuery is an FTS5 query for all terms, the last one also as a prefix
// (results as one types). Terms hold only letters and digits, but are
// quoted all the same.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"`
		if i == len(terms)-1 && !isCJK([]rune(t)[0]) {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is the same query for PostgreSQL's to_tsquery.
func tsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + t + "'"
		if i == len(terms)-1 && !isCJK([]rune(t)[0]) {
			parts[i] += ":*"
		}
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
		(SELECT COUNT(*) FROM circles c WHERE c.category = k.key AND c.visibility = 'open' AND c.archived_at IS NULL)
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
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM circles WHERE category = $1 AND visibility = 'open' AND archived_at IS NULL`, c.Key).Scan(&c.Circles); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, "circle.category", "circle_category", c.Key, map[string]any{"name": c.Name, "name_zh": c.NameZH, "position": position, "archived": archived})
	})
	return c, err
}
