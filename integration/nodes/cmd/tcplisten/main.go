// Command tcplisten listens on the TCP ports given as arguments and greets
// every connection with "tcplisten PORT\n", so a client can tell that it
// reached this listener and not something else. The system tier starts it
// inside a VPS (whose minimal image has no nc, socat or python) to prove
// that a port the firewall drops does have a listener behind it.
package main

import (
	"fmt"
	"log"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: tcplisten PORT...")
	}
	for _, port := range os.Args[1:] {
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			log.Fatal(err)
		}
		go serve(ln, port)
	}
	select {}
}

func serve(ln net.Listener, port string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(c, "tcplisten %s\n", port)
		c.Close()
	}
}
