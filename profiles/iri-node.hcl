# IRI node, not public: SSH moved and key-only, firewall, node as an unprivileged user, open-files limit raised, API limited.
#
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

variable "node_unit" {
  description = "The systemd unit that runs the IRI node."
  default     = "iri.service"
}

variable "restart_node" {
  description = "Restart the node's unit so a new user, limit or API setting takes effect at once."
  default     = false
}

variable "nofile" {
  description = "Open-files limit of the node (the default 4096 is what attackers exhausted)."
  default     = 65535
}

# The node runs as an unprivileged system user that owns its data, inside a
# sandbox (PrivateTmp, PrivateDevices, ProtectSystem=full, ProtectHome,
# NoNewPrivileges).
user "iri" {
  home             = "/var/lib/iri"
  data_dir         = "/var/lib/iri"
  unit             = var.node_unit
  run_unit_as_user = true
  restart          = var.restart_node
}

# Raise the open-files limit where it reaches the node's process: systemd
# services ignore limits.conf.
limits {
  nofile  = var.nofile
  unit    = var.node_unit
  user    = "iri"
  restart = var.restart_node
}

# The commands that let a stranger reconfigure the node or burn its CPU are
# refused to remote callers.
iri {
  path    = "/var/lib/iri/iri.ini"
  port    = 14265
  unit    = var.node_unit
  restart = var.restart_node
  remote_limit_api = [
    "addNeighbors", "getNeighbors", "removeNeighbors", "attachToTangle", "interruptAttachingToTangle",
  ]
}

# Packet filter (nftables table "inet harden"): SSH (following the sshd
# block, rate limited per source), the node's gossip port; everything else
# inbound dropped. The node's API is not public on this profile.
firewall {
  public_api_port = null
  # Addresses or CIDR prefixes whose packets are dropped before anything else:
  # deny_sources = ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
  # More of them from a blocklist feed, one address or prefix a line:
  # deny_sources_file = "/etc/harden/deny-sources.list"
  # If set, new SSH connections only from these (your admin addresses):
  # ssh_allow_sources = ["192.0.2.10"]
}

# Keys only, no root login, modern algorithms, on a port of its own; AllowUsers
# admits the administrators found (a key and sudo). CIS, dev-sec and ssh-audit
# SSH controls pass (README: By the book).
sshd {
  port = var.ssh_port
}
