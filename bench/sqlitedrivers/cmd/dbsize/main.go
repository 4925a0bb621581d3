// Command dbsize prints how much of a SQLite database file each table and
// index takes (from the dbstat virtual table), largest first, optionally
// only those whose names start with -prefix, and their total.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"strings"

	_ "modernc.org/sqlite"
)

func main() {
	path := flag.String("db", "quanzi-data/quanzi.db", "the database file")
	prefix := flag.String("prefix", "", "only tables and indexes whose names start with this")
	flag.Parse()
	db, err := sql.Open("sqlite", "file:"+*path+"?mode=ro")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC`)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			log.Fatal(err)
		}
		if strings.HasPrefix(name, *prefix) {
			fmt.Printf("%-40s %10.1f MiB\n", name, float64(size)/(1<<20))
			total += size
		}
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-40s %10.1f MiB\n", "total", float64(total)/(1<<20))
}
