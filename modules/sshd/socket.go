package sshd

import (
	"bytes"
	"context"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"harden/modules/host"
)

// socketState is ssh.socket as far as the port goes. With socket
// activation (Ubuntu 22.10 and later) systemd owns the listening socket, so
// sshd's Port alone does not move it: the socket's ListenStream= does.
type socketState struct {
	// Activated: ssh.socket is enabled or active.
	Activated bool `json:"activated"`
	// Listen is the effective ListenStream= list (unit file + drop-ins).
	Listen []string `json:"listen,omitempty"`
	// DropIn is the current text of harden's drop-in ("" when absent).
	DropIn string `json:"drop_in,omitempty"`
}

// Unit file directories, most important first; drop-in directories are
// merged by file name, the first directory's copy of a name winning.
var (
	socketUnitDirs   = []string{"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}
	socketDropInDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/run/systemd/generator",
		"/lib/systemd/system", "/usr/lib/systemd/system"}
)

// readSocket reads ssh.socket's unit files under the host's root.
func readSocket(ctx context.Context, h *host.Host) (socketState, error) {
	var st socketState
	enabled, err := h.Systemd().IsEnabled(ctx, socketUnit)
	if err != nil {
		h.Logger().Debug("sshd: is-enabled ssh.socket: " + err.Error())
	}
	st.Activated = enabled
	if !h.Offline() {
		if v, err := h.Systemd().Property(ctx, socketUnit, "ActiveState"); err == nil && v == "active" {
			st.Activated = true
		}
	}
	var files []string
	for _, dir := range socketUnitDirs {
		if p := path.Join(dir, socketUnit); h.Exists(p) {
			files = append(files, p)
			break
		}
	}
	byName := map[string]string{}
	var names []string
	for _, dir := range socketDropInDirs {
		matches, err := h.Glob(path.Join(dir, socketUnit+".d", "*.conf"))
		if err != nil {
			return st, err
		}
		for _, m := range matches {
			if _, seen := byName[path.Base(m)]; !seen {
				byName[path.Base(m)] = m
				names = append(names, path.Base(m))
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, byName[n])
	}
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			return st, err
		}
		opts, err := unit.DeserializeOptions(bytes.NewReader(data))
		if err != nil {
			return st, err
		}
		for _, o := range opts {
			if o.Section == "Socket" && o.Name == "ListenStream" {
				if o.Value == "" {
					st.Listen = nil
				} else {
					st.Listen = append(st.Listen, o.Value)
				}
			}
		}
	}
	if data, err := h.ReadFile(socketDropInPath); err == nil {
		st.DropIn = string(data)
	}
	return st, nil
}

// listenPort is the port of a ListenStream= value: "22", "0.0.0.0:22",
// "[::]:22". Paths (unix sockets) have none.
func listenPort(v string) (int, bool) {
	if i := strings.LastIndex(v, ":"); i >= 0 {
		v = v[i+1:]
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func socketPorts(listen []string) []string {
	var out []string
	for _, l := range listen {
		if n, ok := listenPort(l); ok {
			out = append(out, strconv.Itoa(n))
		}
	}
	return out
}

// renderSocketDropIn writes the ListenStream= drop-in for the ports. The
// empty ListenStream= clears the unit's own list; one dual-stack socket per
// port (BindIPv6Only=both) replaces Ubuntu's separate IPv4/IPv6 pair.
func renderSocketDropIn(ports []string) string {
	opts := []*unit.UnitOption{unit.NewUnitOption("Socket", "ListenStream", "")}
	for _, p := range ports {
		opts = append(opts, unit.NewUnitOption("Socket", "ListenStream", p))
	}
	opts = append(opts, unit.NewUnitOption("Socket", "BindIPv6Only", "both"))
	body, _ := io.ReadAll(unit.Serialize(opts))
	return "# Written by harden: the ports sshd listens on under socket activation.\n" + string(body)
}
