package limits

import (
	"strconv"

	"harden/modules/module"
)

// Reference documents the limits block.
func (m *Module) Reference() module.Reference {
	a := module.Attr
	return module.Reference{
		Summary: "The node's open-files limit where it reaches the process: a systemd drop-in with LimitNOFILE= " +
			"for the unit (services ignore limits.conf), a limits.d file for the user's logins, or Docker's " +
			"default-ulimits for a node in a container. The plan checks the running process's own limit and says " +
			"when the environment caps it lower.",
		Attributes: []module.AttributeDoc{
			a("nofile", "number", "65535", "Open files, soft and hard ("+strconv.Itoa(minNofile)+" to "+strconv.Itoa(maxNofile)+")"),
			a("unit", "string", `"iri.service"`, "The node's unit; null: no drop-in"),
			a("user", "string", `"iri"`, "The user whose logins get the limit; null: no limits.d file"),
			a("container", "string", "none", "The node's Docker container: the limit goes to /etc/docker/daemon.json (unit is then none)"),
			a("restart", "bool", "false", "Restart the unit (or docker.service) so the process gets the new limit"),
		},
	}
}
