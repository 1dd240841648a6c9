# iota-node (IOTA Rebased) full node with a public JSON-RPC: everything in iota-fullnode, plus HAProxy's JSON-RPC gateway in front of the node.
#
# For the node installed the upstream way: /opt/iota/bin/iota-node run by
# iota-node.service with --config-path /opt/iota/config/fullnode.yaml.
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

variable "node_unit" {
  description = "The systemd unit that runs iota-node."
  default     = "iota-node.service"
}

variable "restart_node" {
  description = "Restart the node's unit so a new user, limit or address takes effect at once."
  default     = false
}

variable "api_port" {
  description = "Public port of the JSON-RPC gateway (the node itself keeps 9000 on loopback)."
  default     = 9002
}

variable "nofile" {
  description = "Open-files limit of the node (soft and hard; iota-node raises its soft limit to the hard one and gives each RocksDB an eighth)."
  default     = 1048576
}

# The node runs as an unprivileged system user that owns /opt/iota, inside
# a sandbox (PrivateTmp, PrivateDevices, ProtectSystem=full, ProtectHome,
# NoNewPrivileges). Its key pairs are readable by that user alone.
user "iota" {
  home             = "/opt/iota"
  data_dir         = "/opt/iota"
  private_dirs     = ["/opt/iota/key-pairs"]
  unit             = var.node_unit
  run_unit_as_user = true
  restart          = var.restart_node
}

# The upstream unit sets no LimitNOFILE: the node gets systemd's default
# hard limit (524288 on Debian 12) and raises its soft limit to it. The
# drop-in makes the limit explicit, and the plan checks the live process.
limits {
  nofile  = var.nofile
  unit    = var.node_unit
  user    = "iota"
  restart = var.restart_node
}

# fullnode.yaml: JSON-RPC (9000), metrics (9184) and gRPC (50051, when
# enabled) bound to 127.0.0.1; the plan warns of anything the node's file
# or the live listen table still binds on more than loopback. Behind the
# gateway the node's traffic controller takes the client from
# X-Forwarded-For (policy-config: client-id-source: x-forwarded-for: 1).
iota {
  config  = "/opt/iota/config/fullnode.yaml"
  unit    = var.node_unit
  restart = var.restart_node
}

# HAProxy's JSON-RPC gateway on var.api_port in front of the node's
# 127.0.0.1:9000: a strict reading of every body, a method allowlist
# (every method but the transaction builder, unsafe_*), batches refused as
# iota-node refuses them, dev-inspect and dry-run on a backend of their own
# (one at a time, one per client in flight, 10 a minute per client),
# per-address rate and connection limits, a 256 KiB body cap, CORS for any
# origin, X-Forwarded-For set to the one address HAProxy saw.
haproxy {
  api  = "iota-json-rpc"
  port = var.api_port
  # Browsers of these origins only (default: any):
  # cors_origins = ["https://wallet.example.org"]
}

# Packet filter (nftables table "inet harden"): SSH (following the sshd
# block, rate limited per source), the node's peer-to-peer port (UDP 8084)
# and the gateway's port, with a per-address connection cap in the kernel;
# everything else inbound dropped: JSON-RPC 9000, metrics 9184, gRPC 50051
# and the admin interface 1337 answer on loopback only.
firewall {
  gossip_tcp_port            = null
  gossip_udp_port            = 8084
  public_api_max_connections = 32
  # Addresses or CIDR prefixes whose packets are dropped before anything else:
  # deny_sources = ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
  # More of them from a blocklist feed, one address or prefix a line:
  # deny_sources_file = "/etc/harden/deny-sources.list"
  # If set, new SSH connections only from these (your admin addresses):
  # ssh_allow_sources = ["192.0.2.10"]
}

# Keys only, no root login, modern algorithms, on a port of its own.
sshd {
  port = var.ssh_port
}
