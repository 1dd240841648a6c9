// Command iotastub stands in for iota-node where the stand-in's behaviour
// is what a test judges: started as `iotastub --config-path
// /opt/iota/config/fullnode.yaml` (iota-node's own flag, so it can replace
// /opt/iota/bin/iota-node under the upstream unit), it binds what the file
// says: JSON-RPC (json-rpc-address), its counters as JSON on
// metrics-address/metrics, the admin interface, gRPC when enable-grpc-api
// is true (TCP listeners that greet and close), and the peer-to-peer UDP
// port (each datagram echoed). Like iota-node it raises its soft
// open-files limit to the hard limit at start.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"harden/integration/iotastub"
)

func main() {
	config := flag.String("config-path", "/opt/iota/config/fullnode.yaml", "the node's fullnode.yaml")
	workers := flag.Int("workers", 2, "worker threads")
	devInspect := flag.Duration("dev-inspect", 2*time.Second, "how long a dev-inspect call holds a worker")
	flag.Parse()
	c, err := iotastub.LoadConfig(*config)
	if err != nil {
		log.Fatal(err)
	}
	raiseOpenFiles()
	s := iotastub.New(iotastub.Options{Workers: *workers, DevInspect: *devInspect, ProxyHops: c.ProxyHops()})
	if err := s.Listen(c.JSONRPCAddress); err != nil {
		log.Fatal(err)
	}
	log.Printf("JSON-RPC on %s (client id: x-forwarded-for %d hops, 0 = socket address)", s.Addr(), c.ProxyHops())
	metrics := http.NewServeMux()
	metrics.HandleFunc("GET /metrics", s.StatsHandler)
	serve(c.MetricsAddress, metrics)
	greet(c.AdminAddress, "admin")
	if c.EnableGRPC {
		greet(c.GRPC.Address, "grpc")
	}
	echo(c.P2P.ListenAddress)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}

// raiseOpenFiles does what iota-node's typed-store does at start
// (fdlimit::raise_fd_limit): soft limit up to the hard one.
func raiseOpenFiles() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			log.Printf("raise open-files limit: %v", err)
		}
	}
}

func serve(addr string, h http.Handler) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	go (&http.Server{Handler: h, ReadHeaderTimeout: time.Minute}).Serve(ln)
	log.Printf("metrics on %s", addr)
}

// greet listens on addr and writes one line naming the service to every
// connection.
func greet(addr, name string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s on %s", name, addr)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "iotastub %s\n", name)
			c.Close()
		}
	}()
}

// echo answers every UDP datagram on addr with itself.
func echo(addr string) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("p2p (UDP echo) on %s", addr)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
}
