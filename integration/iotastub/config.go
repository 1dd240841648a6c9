package iotastub

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// NodeConfig is the part of iota-node's fullnode.yaml the stand-in obeys,
// with iota-node's defaults for what the file leaves out.
type NodeConfig struct {
	JSONRPCAddress string `yaml:"json-rpc-address"`
	MetricsAddress string `yaml:"metrics-address"`
	AdminAddress   string `yaml:"admin-interface-address"`
	EnableGRPC     bool   `yaml:"enable-grpc-api"`
	GRPC           struct {
		Address string `yaml:"address"`
	} `yaml:"grpc-api-config"`
	P2P struct {
		ListenAddress string `yaml:"listen-address"`
	} `yaml:"p2p-config"`
	Policy *struct {
		ClientIDSource yaml.Node `yaml:"client-id-source"`
	} `yaml:"policy-config"`
}

// LoadConfig reads a fullnode.yaml.
func LoadConfig(path string) (NodeConfig, error) {
	c := NodeConfig{JSONRPCAddress: "0.0.0.0:9000", MetricsAddress: "0.0.0.0:9184", AdminAddress: "127.0.0.1:1337"}
	c.GRPC.Address = "0.0.0.0:50051"
	c.P2P.ListenAddress = "0.0.0.0:8084"
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ProxyHops is the x-forwarded-for hop count policy-config names (0:
// socket-addr, or no policy-config).
func (c NodeConfig) ProxyHops() int {
	if c.Policy == nil {
		return 0
	}
	var v struct {
		Hops int `yaml:"x-forwarded-for"`
	}
	if c.Policy.ClientIDSource.Kind == yaml.MappingNode && c.Policy.ClientIDSource.Decode(&v) == nil {
		return v.Hops
	}
	return 0
}

// Template is crates/iota-config/data/fullnode-template.yaml as an
// operator starts from it (JSON-RPC and metrics on every address), with
// the gRPC API turned on: the configuration the system tests harden.
const Template = `# Update this value to the location you want IOTA to store its database
db-path: "/opt/iota/db"

network-address: "/dns/localhost/tcp/8080/http"
metrics-address: "0.0.0.0:9184"
# this address is also used for web socket connections
json-rpc-address: "0.0.0.0:9000"
enable-grpc-api: true

p2p-config:
  external-address: /dns/node.example/udp/8084 # UPDATE THIS

genesis:
  genesis-file-location: "/opt/iota/config/genesis.blob"
`
