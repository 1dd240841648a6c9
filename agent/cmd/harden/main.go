// Command harden converges a Debian/Ubuntu VPS running an IOTA node to a
// hardened state described by an HCL profile. See `harden --help`.
package main

import (
	"os"

	"harden/agent/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
