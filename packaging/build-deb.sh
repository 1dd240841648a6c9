#!/bin/sh
# Builds harden_<version>_<arch>.deb with dpkg-deb, reproducibly: the same
# commit and toolchain give the same bytes (SOURCE_DATE_EPOCH is the last
# commit's time; every file gets that mtime; dpkg-deb sorts the entries).
#
#   packaging/build-deb.sh [OUTDIR]          (default OUTDIR: dist)
#
# Environment:
#   VERSION     package and binary version (default: from git, as the Makefile)
#   BIN         a prebuilt static harden binary (default: built here)
#   GOARCH      target architecture when building here (default: go env GOARCH)
#   MAINTAINER  the Maintainer field
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
out=${1:-dist}
maintainer=${MAINTAINER:-harden maintainers <harden@users.noreply.invalid>}

if [ -z "${VERSION:-}" ]; then
	VERSION=$(git describe --tags --match 'v*' 2>/dev/null | sed 's/^v//')
	[ -n "$VERSION" ] || VERSION="0.1.0+git$(git rev-list --count HEAD).$(git rev-parse --short=12 HEAD)"
fi
# Debian spelling of the version: "1.2.0-3-gabc" (git describe) becomes
# 1.2.0+git3.abc, which sorts after 1.2.0; any other "-" becomes "~" (a
# pre-release sorts before the release) so the package stays native.
debversion=$(printf '%s' "$VERSION" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+git\1.\2/; s/-/~/g')

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
goarch=${GOARCH:-$(go env GOARCH)}
case $goarch in
amd64 | arm64 | riscv64 | ppc64le | s390x) arch=$goarch ;;
386) arch=i386 ;;
arm) arch=armhf ;;
*) echo "build-deb: no Debian architecture for GOARCH=$goarch" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

# The binary for the package, and one that runs here to write the man page
# and the default profile (the same one unless cross-building).
if [ -z "${BIN:-}" ]; then
	BIN=$work/harden
	CGO_ENABLED=0 GOARCH=$goarch go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X harden/agent/cli.Version=$VERSION" -o "$BIN" ./agent/cmd/harden
fi
native=$BIN
if [ "$goarch" != "$(go env GOHOSTARCH)" ]; then
	native=$work/harden-native
	CGO_ENABLED=0 GOARCH= go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X harden/agent/cli.Version=$VERSION" -o "$native" ./agent/cmd/harden
fi
go build -trimpath -buildvcs=false -o "$work/debmeta" ./packaging/debmeta

date_rfc2822=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
date_day=$(date -u +%Y-%m-%d -d "@$SOURCE_DATE_EPOCH")
subst() {
	sed -e "s|@VERSION@|$debversion|g" -e "s|@ARCH@|$arch|g" -e "s|@MAINTAINER@|$maintainer|g" \
		-e "s|@COMMIT@|$commit|g" -e "s|@DATE@|$date_rfc2822|g" "$@"
}

install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/etc/harden" "$root/lib/systemd/system" \
	"$root/usr/share/doc/harden" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides" \
	"$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions"
install -m 0755 "$BIN" "$root/usr/bin/harden"
"$native" profiles show iri-node >"$root/etc/harden/profile.hcl"
chmod 0644 "$root/etc/harden/profile.hcl"
for unit in harden-drift.service harden-drift.timer harden-pending-rollback.service; do
	install -m 0644 "packaging/systemd/$unit" "$root/lib/systemd/system/$unit"
done
"$work/debmeta" man -bin "$native" -version "$VERSION" -date "$date_day" >"$work/harden.1"
# Shell completion, generated from the verbs' flag sets.
"$native" completion bash >"$root/usr/share/bash-completion/completions/harden"
"$native" completion zsh >"$root/usr/share/zsh/vendor-completions/_harden"
gzip -9n <"$work/harden.1" >"$root/usr/share/man/man1/harden.1.gz"
"$work/debmeta" copyright -bin "$BIN" -header packaging/debian/copyright.in >"$root/usr/share/doc/harden/copyright"
subst packaging/debian/changelog.in | gzip -9n >"$root/usr/share/doc/harden/changelog.gz"
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/harden"
chmod 0644 "$root/usr/share/doc/harden/copyright" "$root/usr/share/doc/harden/changelog.gz" \
	"$root/usr/share/man/man1/harden.1.gz" "$root/usr/share/bash-completion/completions/harden" \
	"$root/usr/share/zsh/vendor-completions/_harden"

for script in postinst prerm postrm; do
	install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done
echo /etc/harden/profile.hcl >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | LC_ALL=C sort | sed 's|^\./||' |
	xargs md5sum) >"$root/DEBIAN/md5sums"
installed_size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
subst -e "s|@INSTALLED_SIZE@|$installed_size|g" packaging/debian/control.in >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

# Reproducible: group-writable bits off whatever the umask, one mtime.
chmod -R g-w,o-w "$root"
find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/harden_${debversion}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
