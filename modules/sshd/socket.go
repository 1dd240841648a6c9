package sshd

import (
	"bytes"
	"context"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"harden/modules/host"
	"harden/modules/module"
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
	// Generator: Ubuntu's sshd-socket-generator is installed; it writes
	// ListenStream= from sshd_config's Port/ListenAddress on every
	// daemon-reload (/run/systemd/generator/ssh.socket.d/addresses.conf).
	Generator bool `json:"generator,omitempty"`
}

// socketGenerators are where Ubuntu installs sshd-socket-generator.
var socketGenerators = []string{"/usr/lib/systemd/system-generators/sshd-socket-generator",
	"/lib/systemd/system-generators/sshd-socket-generator"}

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
	for _, g := range socketGenerators {
		st.Generator = st.Generator || h.Exists(g)
	}
	return st, nil
}

// socketChanges plans ssh.socket's ports when systemd holds the listening
// socket (socket activation) and it is not on the desired ports. The socket
// is never masked: socket activation stays, on the new ports.
//
// Where Ubuntu's sshd-socket-generator is installed, it derives the socket's
// ports from sshd_config on every daemon-reload. harden then writes no drop-in
// of its own (one would only hide the generator's, and the two would drift
// apart on the operator's next edit of sshd_config) and removes one it wrote
// before; the move is a daemon-reload and a socket restart once sshd_config
// holds the new Port lines.
func (m *Module) socketChanges(st *State) []module.Change {
	ports, managed := m.want["port"]
	if !st.Socket.Activated || !managed {
		return nil
	}
	jobs := unitJobs{DaemonReload: true, MoveSocket: true}
	if st.Offline {
		jobs = unitJobs{} // systemd reads the files at boot
	}
	moved := !sameValues("port", ports, socketPorts(st.Socket.Listen))
	if !st.Socket.Generator {
		if !moved {
			return nil
		}
		ch := fileChange(socketDropInPath, st.Socket.DropIn, renderSocketDropIn(ports), false)
		ch.Fields = []module.Field{listenField(st, strings.Join(ports, " "))}
		setJobs(&ch, jobs)
		ch.Warnings = []string{"ssh.socket is in use: the port moves with the socket's ListenStream=, not with sshd_config alone"}
		return []module.Change{ch}
	}
	var out []module.Change
	if st.Socket.DropIn != "" {
		ch := module.Change{Module: "sshd", Address: "sshd.file[" + socketDropInPath + "]", Action: module.Delete,
			Before: st.Socket.DropIn, Data: &fileEdit{Path: socketDropInPath, Delete: true}}
		setJobs(&ch, jobs)
		ch.Warnings = []string{"sshd-socket-generator sets ssh.socket's ports from sshd_config: harden's own drop-in goes"}
		out = append(out, ch)
		moved = true // what the socket listens on now may be the drop-in's
	}
	if moved {
		out = append(out, module.Change{Module: "sshd", Address: "sshd.socket[" + socketUnit + "]",
			Action: module.Update, Fields: []module.Field{listenField(st, strings.Join(generatorListen(ports), " "))},
			Effects: jobs.effects(), Data: jobs})
	}
	return out
}

func listenField(st *State, after string) module.Field {
	return module.Field{Name: "ListenStream", Before: strings.Join(st.Socket.Listen, " "), After: after}
}

// generatorListen is what sshd-socket-generator writes for ports with
// sshd's default AddressFamily (any) and no ListenAddress: one IPv4 and one
// IPv6 wildcard address per port.
func generatorListen(ports []string) []string {
	var out []string
	for _, p := range ports {
		out = append(out, "0.0.0.0:"+p, "[::]:"+p)
	}
	return out
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

// socketPorts are the distinct ports of ListenStream= values, in order.
func socketPorts(listen []string) []string {
	var out []string
	for _, l := range listen {
		if n, ok := listenPort(l); ok && !slices.Contains(out, strconv.Itoa(n)) {
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
