# IRI node, not public: SSH moved and key-only, firewall, node as an unprivileged user, open-files limit raised.
#
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

sshd {
  port = var.ssh_port
}
