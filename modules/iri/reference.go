package iri

import (
	"strconv"

	"harden/modules/module"
)

// Reference documents the iri block.
func (m *Module) Reference() module.Reference {
	a := module.Attr
	return module.Reference{
		Summary: "The [IRI] section of the node's ini file: REMOTE_LIMIT_API, API_HOST, PORT and any other key the " +
			"profile names; every other line and comment is kept byte for byte. Null leaves a key unmanaged.",
		Attributes: []module.AttributeDoc{
			a("path", "string", `"/var/lib/iri/iri.ini"`, "The node's ini file"),
			a("remote_limit_api", "list(string)", module.HCLList(DefaultRemoteLimitAPI),
				"REMOTE_LIMIT_API: commands IRI refuses to remote callers (a haproxy block refuses them too)"),
			a("api_host", "string", `"127.0.0.1" with a haproxy block, else unmanaged`, "API_HOST: where the API listens"),
			a("port", "number", strconv.Itoa(defaultPort), "PORT: the API port"),
			a("settings", "map(string)", "{}", "Any other [IRI] key and its value"),
			a("owner", "string", `"iri"`, "The file's owner, when the user exists or a user block makes it"),
			a("unit", "string", `"iri.service"`, "The node's unit"),
			a("restart", "bool", "false", "Restart the unit after a change"),
		},
	}
}
