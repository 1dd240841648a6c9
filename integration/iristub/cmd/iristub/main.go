// Command iristub serves the IRI API stand-in on a loopback address, for
// trying the proxy by hand: curl its /debug to watch connections pile up.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"

	"harden/integration/iristub"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:14265", "address to listen on")
	workers := flag.Int("workers", 4, "worker pool size")
	slow := flag.Duration("slow", 0, "how long getTransactionsToApprove with a reference holds a worker (default 5s)")
	flag.Parse()
	s := iristub.New(iristub.Options{Workers: *workers, SlowReference: *slow})
	if err := s.Listen(*addr); err != nil {
		log.Fatal(err)
	}
	log.Printf("IRI stand-in on %s (GET /debug for counters)", s.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	s.Close()
}
