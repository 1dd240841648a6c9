// Package registry lists harden's modules in engine order: the order plan
// shows them and apply runs them. The order matters: the node's user exists
// before its limits and config refer to it, HAProxy fronts the API before
// the firewall opens its port, and the firewall opens a new SSH port before
// sshd moves to it.
package registry

import (
	"harden/modules/firewall"
	"harden/modules/haproxy"
	"harden/modules/iota"
	"harden/modules/iri"
	"harden/modules/limits"
	"harden/modules/module"
	"harden/modules/sshd"
	"harden/modules/user"
)

// Factories returns every module's factory, in engine order.
func Factories() []module.Factory {
	return []module.Factory{
		user.Factory,
		limits.Factory,
		iri.Factory,
		iota.Factory,
		haproxy.Factory,
		firewall.Factory,
		sshd.Factory,
	}
}
