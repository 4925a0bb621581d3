// Command hello is the smallest useful net/http JSON server, used by
// bench/raw-limits.sh to measure the HTTP ceiling of the machine with wrk.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
)

var body = []byte(`{"hello":"world"}` + "\n")

func main() {
	port := flag.Int("port", 8089, "TCP port to listen on (127.0.0.1 only)")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*port))
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
