package iota

import (
	"strconv"

	"harden/modules/module"
)

// Reference documents the iota block.
func (m *Module) Reference() module.Reference {
	a := module.Attr
	return module.Reference{
		Summary: "iota-node's fullnode.yaml (IOTA Rebased): JSON-RPC, metrics and gRPC bound to loopback and, behind " +
			"a proxy, the traffic controller told to read the client from X-Forwarded-For. Values are edited in place; " +
			"every other line is kept byte for byte. Null leaves a setting unmanaged.",
		Attributes: []module.AttributeDoc{
			a("config", "string", strconv.Quote(DefaultConfig), "The node's configuration file"),
			a("json_rpc_address", "string", `"127.0.0.1:9000" (null with a container)`, "json-rpc-address"),
			a("metrics_address", "string", `"127.0.0.1:9184" (null with a container)`, "metrics-address"),
			a("grpc_address", "string", `"127.0.0.1:50051" (null with a container)`, "grpc-api-config.address, when the gRPC API is on"),
			a("proxy_hops", "number", "1 with a haproxy block, else unmanaged",
				"policy-config.client-id-source: x-forwarded-for, trusting this many proxies (1 to "+strconv.Itoa(maxHops)+")"),
			a("container", "string", "null", "The Docker container the node runs in (its unit is then null): fullnode.yaml's "+
				"addresses are the container's own and left alone, the host's exposure is the published ports'"),
			a("unit", "string", `"iota-node.service"`, "The node's unit"),
			a("restart", "bool", "false", "Restart the unit after a change"),
		},
	}
}
