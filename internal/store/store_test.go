package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	st, err := db.Migrate(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Applied) != 0 || st.Current != st.Latest {
		t.Fatalf("second migrate applied %d migrations (current %d, latest %d); want none", len(st.Applied), st.Current, st.Latest)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != st.Latest {
		t.Fatalf("schema_migrations has %d rows, want %d", n, st.Latest)
	}
}

func TestTimesRoundTripAtMicrosecond(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CST", 8*3600))
	var expires *time.Time
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ($1, 'test', 'thing', 'x', $2)`, "a1", at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if err := db.QueryRow(ctx, `SELECT at FROM audit_log WHERE id = $1`, "a1").Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := at.UTC().Truncate(time.Microsecond)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("read back %v, want %v in UTC", got, want)
	}
	// A NULL reads as a nil *time.Time.
	if err := db.QueryRow(ctx, `SELECT NULL`).Scan(&expires); err != nil || expires != nil {
		t.Fatalf("NULL time: got %v, %v", expires, err)
	}
}

func TestUniqueViolationIsConflict(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	insert := func() error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
				VALUES ($1, 'same', 'Same', 'x', 'user', $2, $2)`, store.NewID(tx.Now), tx.Now)
			return err
		})
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	if err := insert(); !errs.Is(err, errs.Conflict) {
		t.Fatalf("duplicate insert: got %v (code %q), want code conflict", err, errs.CodeOf(err))
	}
}

func TestCheckAndForeignKeyViolationsAreInvalid(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
			VALUES ('u', 'h', 'H', 'x', 'emperor', 0, 0)`)
		return err
	})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("check violation: got %v, want invalid", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('t', 'nobody', 0, 0, 0)`)
		return err
	})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("foreign key violation: got %v, want invalid", err)
	}
}

func TestTxRollsBackOnErrorAndRunsAfterCommitOnlyOnCommit(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	ran := 0
	err := db.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran++ })
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ('r1', 'a', 't', 'x', 0)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	var n int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n)
	if n != 0 || ran != 0 {
		t.Fatalf("after rollback: %d rows, after-commit ran %d times; want 0 and 0", n, ran)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran++ })
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ('r2', 'a', 't', 'x', 0)`)
		return err
	})
	if err != nil || ran != 1 {
		t.Fatalf("commit: err %v, after-commit ran %d times; want nil and 1", err, ran)
	}
}

func TestTxCarriesInjectedClock(t *testing.T) {
	db := storetest.Open(t)
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	db.Clock = func() time.Time { return fixed }
	db.Tx(context.Background(), func(tx *store.Tx) error {
		if !tx.Now.Equal(fixed) {
			t.Errorf("tx.Now = %v, want %v", tx.Now, fixed)
		}
		return nil
	})
}

func TestReadPoolSeesCommittedWrites(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	for i := range 5 {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ($1, 'a', 't', 'x', $2)`, store.NewID(tx.Now), i)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("after %d commits the read pool sees %d rows (%v)", i+1, n, err)
		}
	}
}

func TestIDsAreUniqueSortableAndUnguessable(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	var ids []string
	for i := range 2000 {
		id := store.NewID(base.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 26 || strings.Trim(id, "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("id %q is not 26 base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids made later do not sort later")
	}
	// Same millisecond: the random part differs.
	if store.NewID(base) == store.NewID(base) {
		t.Fatal("two ids in one millisecond are equal")
	}
}

func TestRebindLeavesLiteralsAlone(t *testing.T) {
	db := storetest.Open(t)
	var s string
	var n int
	err := db.QueryRow(context.Background(), `SELECT '$1 stays', $2 + 0 -- $3 too`+"\n", "unused", 41).Scan(&s, &n)
	if storetest.Engine() == store.Postgres {
		// PostgreSQL infers $1's type only from use; an unused $1 is an error there,
		// so check the engine-independent part: literals are not rewritten.
		err = db.QueryRow(context.Background(), `SELECT '$1 stays', $1::int + 0`, 41).Scan(&s, &n)
	}
	if err != nil || s != "$1 stays" || n != 41 {
		t.Fatalf("got %q, %d, %v", s, n, err)
	}
}

func TestPageCursorRoundTripAndRejectsForgery(t *testing.T) {
	c := store.Cursor("123", "abc")
	p, err := store.ParsePage(c, "5")
	if err != nil || p.Limit != 5 || len(p.After) != 2 || p.After[1] != "abc" {
		t.Fatalf("round trip: %+v, %v", p, err)
	}
	// A cursor changed by hand: the same bytes with the key edited, or a
	// well-formed key without the signature.
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	edited := bytes.Replace(raw, []byte("abc"), []byte("abd"), 1)
	forged := base64.RawURLEncoding.EncodeToString(edited)
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`["123","abc"]`))
	for _, bad := range []string{"%%%", "bm90IGpzb24", store.Cursor(), forged, unsigned} {
		if _, err := store.ParsePage(bad, ""); !errs.Is(err, errs.InvalidCursor) {
			t.Errorf("cursor %q: got %v, want invalid_cursor", bad, err)
		}
	}
	for _, lim := range []string{"0", "101", "x", "-1"} {
		if _, err := store.ParsePage("", lim); !errs.Is(err, errs.Invalid) {
			t.Errorf("limit %q: got %v, want invalid", lim, err)
		}
	}
	items := []int{1, 2, 3}
	got, next := store.NextCursor(store.Page{Limit: 2}, items, func(i int) []string { return []string{"k"} })
	if len(got) != 2 || next == "" {
		t.Fatalf("NextCursor with an extra row: %v %q", got, next)
	}
	if got, next = store.NextCursor(store.Page{Limit: 3}, items, nil); len(got) != 3 || next != "" {
		t.Fatalf("NextCursor on the last page: %v %q", got, next)
	}
}

func TestARememberedCursorIsSignedAgainWithANewSecret(t *testing.T) {
	c := store.Cursor("1700000000000000", "01hkey")
	if again := store.Cursor("1700000000000000", "01hkey"); again != c {
		t.Fatalf("the same key made two cursors: %q, %q", c, again)
	}
	restore := store.UseCursorKey(bytes.Repeat([]byte{7}, 32))
	defer restore()
	if _, err := store.ParsePage(c, ""); !errs.Is(err, errs.InvalidCursor) {
		t.Fatalf("a cursor signed with the old secret: %v", err)
	}
	fresh := store.Cursor("1700000000000000", "01hkey")
	if p, err := store.ParsePage(fresh, ""); err != nil || p.After[1] != "01hkey" {
		t.Fatalf("the cursor made after the secret changed: %+v, %v", p, err)
	}
}

func TestOpenRejectsNonPostgresURL(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{Database: "mysql://root:secret@x/db"})
	if !errs.Is(err, errs.Invalid) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v; want invalid without the password", err)
	}
}

func TestSecretsAreSharedThroughTheDatabase(t *testing.T) {
	db, opts := storetest.OpenWithOptions(t)
	ctx := context.Background()
	if err := db.LoadSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	c := store.Cursor("k", "1")
	// Another process on the same database (here: a fresh key, then the
	// stored one loaded again) accepts the cursor.
	other, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.LoadSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ParsePage(c, ""); err != nil {
		t.Fatalf("a cursor made before the secrets were loaded again: %v", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM server_secrets`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("secrets: %d, %v", n, err)
	}
}
