# IRI node in a Docker container with a public API: everything in iri-node-docker, plus HAProxy on the host in front of the API the container publishes on loopback.
#
# For a node run as a container named var.container that publishes its API
# on loopback only and its gossip port on every address, for example:
#
#   docker run -d --name iri --restart unless-stopped \
#     --user "$(id -u iri):$(id -g iri)" \
#     -v /var/lib/iri:/iri/data -v /var/lib/iri/iri.ini:/iri/conf/iri.ini:ro \
#     -p 127.0.0.1:14265:14265 -p 15600:15600 \
#     iotaledger/iri:v1.8.6 --remote -c /iri/conf/iri.ini
#
# (the same in a compose file: ports "127.0.0.1:14265:14265" and
# "15600:15600", restart: unless-stopped). --remote makes the node listen
# on every address inside the container, where Docker's port publishing
# reaches it; loopback is the only address that publishes it on the host.
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

variable "container" {
  description = "The Docker container that runs the IRI node."
  default     = "iri"
}

variable "restart_docker" {
  description = "Restart docker.service so the container gets a new open-files limit at once (only when every running container comes back: a restart policy, or live-restore)."
  default     = false
}

variable "nofile" {
  description = "Open-files limit of the node (the default 4096 is what attackers exhausted)."
  default     = 65535
}

# The node's data belongs to an unprivileged system user; the container runs
# as that user (--user, or user: in a compose file).
user "iri" {
  home     = "/var/lib/iri"
  data_dir = "/var/lib/iri"
}

# Raise the open-files limit where it reaches the node's process: the Docker
# daemon's default-ulimits (/etc/docker/daemon.json), checked in the
# container's main process. A container's own nofile ulimit wins over it.
limits {
  nofile    = var.nofile
  container = var.container
  user      = null
  restart   = var.restart_docker
}

# The commands that let a stranger reconfigure the node or burn its CPU are
# refused to remote callers. API_HOST is the container's (--remote).
iri {
  path     = "/var/lib/iri/iri.ini"
  port     = 14265
  api_host = null
  unit     = null
  remote_limit_api = [
    "addNeighbors", "getNeighbors", "removeNeighbors", "attachToTangle", "interruptAttachingToTangle",
  ]
}

# HAProxy in front of the node's API on port 14267: only well-formed JSON API
# calls with the X-IOTA-API-Version header reach the node; the commands the
# iri block limits are refused here too; per-address rate and connection
# limits; the heavy getTransactionsToApprove gets its own tiny backend so it
# cannot starve the rest. HAProxy reaches the node at 127.0.0.1:14265, where
# the container publishes its API: the node's own port is reachable only
# through the proxy.
haproxy {
  port = 14267
  allowed_commands = [
    "getNodeInfo", "getNodeAPIConfiguration", "getTips", "findTransactions", "getTrytes",
    "getInclusionStates", "getBalances", "getTransactionsToApprove", "wereAddressesSpentFrom",
    "checkConsistency", "broadcastTransactions", "storeTransactions",
  ]
}

# Packet filter (nftables table "inet harden"): SSH (following the sshd
# block, rate limited per source), the node's gossip port and HAProxy's
# public port, with a per-address connection cap in the kernel; everything
# else inbound dropped. A port a container publishes passes only where the
# profile opens it, also for containers started later: the node's API
# (14265) stays closed to the world even if it is published on every
# address.
firewall {
  public_api_max_connections = 32
  # Addresses or CIDR prefixes whose packets are dropped before anything else:
  # deny_sources = ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
  # If set, new SSH connections only from these (your admin addresses):
  # ssh_allow_sources = ["192.0.2.10"]
}

# Keys only, no root login, modern algorithms, on a port of its own.
sshd {
  port = var.ssh_port
}
