# iota-node (IOTA Rebased) in its official Docker layout with a public JSON-RPC: iota-public-fullnode with the node in a container publishing its JSON-RPC and metrics on loopback.
#
# For the node run from the official image the way docker/fullnode's
# compose file runs it, with the host's /opt/iota mounted at the same
# paths, its JSON-RPC and metrics published on loopback only and its
# peer-to-peer port on every address, for example:
#
#   docker run -d --name iota-node --restart unless-stopped \
#     --user "$(id -u iota):$(id -g iota)" \
#     -v /opt/iota/config:/opt/iota/config:ro -v /opt/iota/db:/opt/iota/db \
#     -p 127.0.0.1:9000:9000 -p 127.0.0.1:9184:9184 -p 8084:8084/udp \
#     iotaledger/iota-node:mainnet \
#     /usr/local/bin/iota-node --config-path /opt/iota/config/fullnode.yaml
#
# (in the compose file: ports "127.0.0.1:9000:9000", "127.0.0.1:9184:9184"
# and "8084:8084/udp" instead of the four on every address; TCP 8080 serves
# nothing on a full node, drop it). Inside the container the node listens
# on every address, where Docker publishes from; loopback is the only
# address that publishes JSON-RPC and metrics on the host.
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

variable "container" {
  description = "The Docker container that runs iota-node."
  default     = "iota-node"
}

variable "restart_docker" {
  description = "Restart docker.service so the container gets a new open-files limit and fullnode.yaml at once (only when every running container comes back: a restart policy, or live-restore)."
  default     = false
}

variable "api_port" {
  description = "Public port of the JSON-RPC gateway (the container publishes the node's 9000 on loopback)."
  default     = 9002
}

variable "nofile" {
  description = "Open-files limit of the node (soft and hard; iota-node raises its soft limit to the hard one and gives each RocksDB an eighth)."
  default     = 1048576
}

# The node's files belong to an unprivileged system user; the container
# runs as that user (--user, or user: in the compose file). Its key pairs
# are readable by that user alone.
user "iota" {
  home         = "/opt/iota"
  data_dir     = "/opt/iota"
  private_dirs = ["/opt/iota/key-pairs"]
}

# The node raises its soft open-files limit to the hard one; in a container
# that is the Docker daemon's default-ulimits (/etc/docker/daemon.json),
# checked in the container's main process. A container's own nofile ulimit
# wins over it.
limits {
  nofile    = var.nofile
  container = var.container
  user      = null
  restart   = var.restart_docker
}

# fullnode.yaml, mounted into the container: its addresses are the
# container's own and stay on every address; the plan warns when the host
# listens on the node's ports beyond loopback (a port published on every
# address). Behind the gateway the node's traffic controller takes the
# client from X-Forwarded-For (policy-config: client-id-source:
# x-forwarded-for: 1); the container reads the file when it starts.
iota {
  config    = "/opt/iota/config/fullnode.yaml"
  container = var.container
}

# HAProxy's JSON-RPC gateway on var.api_port in front of the port the
# container publishes on 127.0.0.1:9000: a strict reading of every body, a
# method allowlist (every method but the transaction builder, unsafe_*),
# batches refused as iota-node refuses them, dev-inspect and dry-run on a
# backend of their own (one at a time, one per client in flight, 10 a
# minute per client), per-address rate and connection limits, a 256 KiB
# body cap, CORS for any origin, X-Forwarded-For set to the one address
# HAProxy saw.
haproxy {
  api  = "iota-json-rpc"
  port = var.api_port
  # Browsers of these origins only (default: any):
  # cors_origins = ["https://wallet.example.org"]
}

# Packet filter (nftables table "inet harden"): SSH (following the sshd
# block, rate limited per source), the node's peer-to-peer port (UDP 8084)
# and the gateway's port, with a per-address connection cap in the kernel;
# everything else inbound dropped. A port a container publishes passes
# only where the profile opens it, also for containers started later:
# JSON-RPC 9000 and metrics 9184 stay closed to the world even if they are
# published on every address.
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
