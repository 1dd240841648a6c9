package netaddr

import "testing"

func TestHostPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:14265", ""},
		{"[::1]:14265", ""},
		{"localhost:14265", ""},
		{"iri.node-1.example:80", ""},
		{"localhost", "is not host:port"},
		{"localhost:", "is not host:port"},
		{":14265", "is not host:port"},
		{"localhost:0", "has no port from 1 to 65535"},
		{"localhost:65536", "has no port from 1 to 65535"},
		{"localhost:014265", "has no port from 1 to 65535"},
		{"localhost:+80", "has no port from 1 to 65535"},
		{"::1:14265", "needs its IPv6 address in brackets, such as [::1]:14265"},
		{"[127.0.0.1]:14265", "has no IPv6 address inside its brackets"},
		{"[fe80::1%eth0]:14265", "has no IPv6 address inside its brackets"},
		{"300.1.1.1:14265", "is not an IPv4 address"},
		{"127.000.0.1:14265", "is not an IPv4 address"},
		{"localhost\n    stats admin if TRUE\n    server x localhost:14265", "is neither an IP address nor a host name"},
		{"iri#x:14265", "is neither an IP address nor a host name"},
		{"-iri:14265", "is neither an IP address nor a host name"},
		{"iri node:14265", "is neither an IP address nor a host name"},
	}
	for _, tt := range tests {
		got := ""
		if err := HostPort(tt.in); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("HostPort(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHost(t *testing.T) {
	for _, ok := range []string{"127.0.0.1", "::1", "0.0.0.0", "node.example", "localhost"} {
		if err := Host(ok); err != nil {
			t.Errorf("Host(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a..b", "a_b", "1.2.3", "node.example\nPORT = 1", "a#b", ".a"} {
		if Host(bad) == nil {
			t.Errorf("Host(%q) accepted", bad)
		}
	}
}

func TestZoneRefused(t *testing.T) {
	for _, s := range []string{"fe80::1%eth0", "fe80::1%a\nstats admin if TRUE"} {
		if _, err := IP(s); err != ErrZone {
			t.Errorf("IP(%q) = %v, want ErrZone", s, err)
		}
		if err := IPOrPrefix(s); err != ErrZone {
			t.Errorf("IPOrPrefix(%q) = %v, want ErrZone", s, err)
		}
	}
	for _, s := range []string{"10.0.0.0/8", "2001:db8::/32", "203.0.113.7", "::"} {
		if err := IPOrPrefix(s); err != nil {
			t.Errorf("IPOrPrefix(%q): %v", s, err)
		}
	}
}
