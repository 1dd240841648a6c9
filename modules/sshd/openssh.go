package sshd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	debversion "github.com/knqyf263/go-deb-version"

	"harden/modules/host"
	"harden/modules/internal/dpkg"
)

// serverPackage is the Debian package that installs sshd.
const serverPackage = "openssh-server"

// installed is the OpenSSH a plan is for, as Read found it.
type installed struct {
	// Package is openssh-server's version in the package database; "" when
	// the database does not list it as installed.
	Package string `json:"package,omitempty"`
	// Release names the lists the plan uses: "OpenSSH 10.0".
	Release string `json:"release"`
	// Queried: the names came from `ssh -Q`, the tables lacking the version.
	Queried bool `json:"queried,omitempty"`
	// Warning says why the lists may not be the installed OpenSSH's own.
	Warning string `json:"warning,omitempty"`

	rel *release
}

// note tells the plan's reader which OpenSSH the algorithms were chosen for.
func (o installed) note() string { return "algorithms chosen for " + o.installedHere() }

// installedHere says what the machine has, for error messages.
func (o installed) installedHere() string {
	if o.Package == "" {
		return o.Release + " (assumed: " + serverPackage + " is not in the package database)"
	}
	return o.Release + ", installed as " + serverPackage + " " + o.Package
}

// detectOpenSSH finds the installed OpenSSH from dpkg's status database (a
// file read; under -root the image's own) and takes its lists from the
// tables. Only a version the tables lack makes it ask the live binary
// (`ssh -Q`, four commands) for the names it knows, so a machine with a
// known release plans with one command, `sshd -T`.
func (m *Module) detectOpenSSH(ctx context.Context, h *host.Host) installed {
	status, err := h.ReadFile(dpkg.StatusPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.Logger().Debug("sshd: read the package database: " + err.Error())
	}
	return m.openSSHOf(ctx, h, status, h.Offline(), h.Path(dpkg.StatusPath))
}

// validatorOpenSSH is the OpenSSH of the machine harden runs on, whose
// sshd validates an image's config under -root (the image's own binaries
// are never run): its own package database, outside the root.
func (m *Module) validatorOpenSSH(ctx context.Context, h *host.Host) installed {
	status, err := os.ReadFile(m.validatorStatus)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.Logger().Debug("sshd: read this machine's package database: " + err.Error())
	}
	return m.openSSHOf(ctx, h, status, false, m.validatorStatus)
}

// openSSHOf reads a package database's openssh-server. offline: the
// database is an image's, whose binaries cannot be asked.
func (m *Module) openSSHOf(ctx context.Context, h *host.Host, status []byte, offline bool, statusPath string) installed {
	pkg, found := dpkg.Lookup(status, serverPackage)
	if !found || !pkg.Installed() {
		return m.unlisted(ctx, h, offline, statusPath)
	}
	rel, exact := releaseForPackage(pkg.Version)
	o := installed{Package: pkg.Version, Release: rel.String(), rel: rel}
	if exact {
		return o
	}
	o.Warning = fmt.Sprintf("%s %s is not a release harden has tables for (%s)", serverPackage, pkg.Version, span())
	if offline {
		o.Warning += "; planning with " + rel.String() + "'s lists"
		return o
	}
	return m.queried(ctx, h, o)
}

// unlisted is the OpenSSH of a machine whose package database does not
// list openssh-server (built from source, or not installed yet).
func (m *Module) unlisted(ctx context.Context, h *host.Host, offline bool, statusPath string) installed {
	if offline {
		rel := releases[0]
		return installed{Release: rel.String(), rel: rel,
			Warning: fmt.Sprintf("%s is not installed according to %s: algorithms chosen for %s, the oldest "+
				"release harden knows, whose names every later release accepts", serverPackage, statusPath, rel)}
	}
	rel := releases[len(releases)-1]
	o := installed{Release: rel.String(), rel: rel,
		Warning: serverPackage + " is not in the package database"}
	return m.queried(ctx, h, o)
}

// queried replaces o's names with what the live `ssh -Q` lists; the
// compiled-in defaults stay those of o's nearest table, cut to those names.
func (m *Module) queried(ctx context.Context, h *host.Host, o installed) installed {
	known := map[string][]string{}
	for _, q := range algoQueries {
		out, err := h.Run(ctx, m.sshBinary, "-Q", q.query)
		if err != nil {
			o.Warning += fmt.Sprintf("; ssh -Q %s failed, planning with %s's lists: %v", q.query, o.rel, err)
			return o
		}
		known[q.key] = strings.Fields(string(out))
	}
	o.Warning += fmt.Sprintf("; names from ssh -Q, compiled-in defaults assumed as in %s", o.rel)
	o.rel = o.rel.withKnown(known)
	o.Release, o.Queried = o.rel.String(), true
	return o
}

// withKnown is r with other names (what a binary lists) and its defaults
// cut to them.
func (r *release) withKnown(known map[string][]string) *release {
	out := &release{Version: r.Version, Build: "names from ssh -Q", known: known, defaults: map[string][]string{}}
	for _, key := range algoKeys {
		for _, a := range r.defaults[key] {
			if out.knows(key, a) {
				out.defaults[key] = append(out.defaults[key], a)
			}
		}
	}
	return out
}

// upstreamRE takes the upstream release out of a package's upstream
// version: "9.2" of "9.2p1".
var upstreamRE = regexp.MustCompile(`^[0-9]+\.[0-9]+`)

// releaseForPackage finds the tables of a package version such as
// "1:9.2p1-2+deb12u10". exact is false when the tables lack its release:
// then r is the newest release not newer than it (the oldest for an older
// one, or for a version that cannot be read).
func releaseForPackage(pkgVersion string) (r *release, exact bool) {
	v, err := debversion.NewVersion(pkgVersion)
	if err != nil {
		return releases[0], false
	}
	upstream := upstreamRE.FindString(v.Version())
	if r, ok := releaseByVersion(upstream); ok {
		return withDistroBuild(r, v), true
	}
	r = releases[0]
	if up, err := debversion.NewVersion(upstream); err == nil {
		for _, cand := range releases {
			if c, _ := debversion.NewVersion(cand.Version); !c.GreaterThan(up) {
				r = cand
			}
		}
	}
	return r, false
}

// withDistroBuild applies a distribution's change to its release when the
// package is that build or a later one.
func withDistroBuild(r *release, pkg debversion.Version) *release {
	for _, b := range distroBuilds {
		since, err := debversion.NewVersion(b.since)
		if err != nil || b.upstream != r.Version || pkg.LessThan(since) {
			continue
		}
		r = r.apply(b.change)
		r.Build = b.name + " since " + b.since
	}
	return r
}
