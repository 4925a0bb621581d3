// Command fsyncloop measures how many 4 KiB write+fdatasync pairs per second
// the disk under -dir sustains. It runs -runs rounds and prints each and the
// median.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"quanzi/bench/sqlitedrivers"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "directory on the disk to measure")
	dur := flag.Duration("d", 5*time.Second, "duration of one round")
	runs := flag.Int("runs", 3, "number of rounds")
	flag.Parse()

	var rates []float64
	for i := range *runs {
		r, err := sqlitedrivers.SyncLoop(*dir, *dur)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("round %d: %.0f fdatasync/s\n", i+1, r)
		rates = append(rates, r)
	}
	slices.Sort(rates)
	fmt.Printf("median: %.0f fdatasync/s\n", rates[len(rates)/2])
}
