# IRI node with a public API: everything in iri-node, plus HAProxy in front of the node's API.
#
# Override any variable with -var NAME=VALUE or -var-file FILE.

variable "ssh_port" {
  description = "Port sshd listens on (and the firewall opens)."
  default     = 2222
}

sshd {
  port = var.ssh_port
}
