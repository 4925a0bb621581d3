// Command trivial opens an in-memory database with exactly one SQLite driver,
// chosen by build tag (mattn, ncruces, or modernc: the default), and prints the SQLite
// version and whether FTS5 works. It exists to compare binary sizes:
//
//	go build -tags modernc -o /tmp/trivial-modernc ./cmd/trivial
package main

import (
	"database/sql"
	"fmt"
	"log"
)

func main() {
	db, err := sql.Open(driverName, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		log.Fatal(err)
	}
	fts := "yes"
	if _, err := db.Exec("CREATE VIRTUAL TABLE t USING fts5(body)"); err != nil {
		fts = "no"
	}
	fmt.Printf("driver=%s sqlite_version=%s fts5=%s\n", label, v, fts)
}
