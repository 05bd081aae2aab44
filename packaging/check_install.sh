#!/bin/sh
# make deb-check: the package on a clean Debian 12 (docs/packaging.md, "Checking").
#
#  1. lintian on the .deb (no errors allowed);
#  2. a minimal Debian 12 root made with debootstrap (cached as a tarball: the second run
#     unpacks it), the .deb installed in it with apt, so its Depends come from the mirror;
#  3. inside it, what a site runs first: bianmin --version, bianmin doctor list --json,
#     bianmin store init, bianmin store check, Qt drawing Chinese text off screen;
#  4. an upgrade (the same package renumbered) that backs the store up and migrates it, then
#     the downgrade back over a store the "newer" version marked with a newer schema: the
#     backup is restored and the store checks ok; a purge keeps the site's data.
# Prints the package size and the time of each step. Needs root and the Debian mirror; no
# systemd runs in the root, which the maintainer scripts must cope with.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$top/kiosk/__init__.py")
arch=$(dpkg --print-architecture)
deb=$top/dist/bianmin_${version}_${arch}.deb
suite=bookworm
mirror=${BIANMIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${BIANMIN_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
cache=${BIANMIN_DEB_CACHE:-$top/build/deb-cache}
tarball=$cache/$suite-minbase-$arch.tar

[ "$(id -u)" = 0 ] || { echo "make deb-check needs root (debootstrap, chroot)" >&2; exit 2; }
for tool in debootstrap lintian; do
    command -v "$tool" >/dev/null || {
        echo "$tool is missing: sh packaging/system-deps.sh installs it" >&2; exit 2; }
done
[ -f "$deb" ] || sh "$here/deb/build.sh"

root=$(mktemp -d "${TMPDIR:-/tmp}/bianmin-root.XXXXXX")
cleanup() {
    for mount in "$root/var/cache/apt/archives" "$root/proc" "$root/sys" "$root/dev/pts"; do
        if mountpoint -q "$mount" 2>/dev/null; then umount -l "$mount"; fi
    done
    rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
began=$(now)
report=""
# step NAME COMMAND...: run it, print its time, keep the line for the summary
step() {
    name=$1
    shift
    echo "== $name"
    t=$(now)
    "$@"
    took=$(echo "$(now) $t" | awk '{printf "%.1f", $1 - $2}')
    echo "   $name: ${took} s"
    report="$report$(printf '%-34s %8s s' "$name" "$took")
"
}
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@"; }

bootstrap() {
    if [ -f "$tarball" ]; then
        tar -C "$root" -xpf "$tarball"
    else
        mkdir -p "$cache"
        debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
            || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
        tar -C "$root" -cpf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    fi
    chmod 0755 "$root"  # the root's /: mktemp made it 0700, which locks out every other user
}

prepare() {
    cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
    # No daemon may start in a chroot (the maintainer scripts see no systemd anyway).
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    # The cache is a bind mount apt's sandbox user cannot write into.
    echo 'APT::Sandbox::User "root";' > "$root/etc/apt/apt.conf.d/99bianmin-check"
    mkdir -p "$cache/archives/partial" "$root/dev/pts"
    mount -t proc proc "$root/proc"
    mount -t devpts devpts "$root/dev/pts" 2>/dev/null || true  # only for apt's log
    mount -t sysfs sysfs "$root/sys"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    cp "$deb" "$root/tmp/"
    in_root apt-get update -qq
}

install_deb() { in_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

# The same package under the next version number: an upgrade to install over the first.
renumber() {
    rm -rf "$root/tmp/next"
    dpkg-deb -R "$deb" "$root/tmp/next"
    sed -i "s/^Version: .*/Version: $version+next1/" "$root/tmp/next/DEBIAN/control"
    sed -i "s/^VERSION=.*/VERSION=$version+next1/" "$root/tmp/next/DEBIAN/postinst"
    dpkg-deb --root-owner-group -Znone -b "$root/tmp/next" "$root/tmp/next.deb" >/dev/null
    rm -rf "$root/tmp/next"
}

as_newer_schema() {
    in_root /opt/bianmin/bin/python -c '
import sqlite3
from offline_store import migrations
db = sqlite3.connect("/var/lib/bianmin/store.sqlite")
db.execute(f"PRAGMA user_version = {migrations.latest() + 1}")
db.commit()'
}

qt_offscreen() {
    in_root env QT_QPA_PLATFORM=offscreen /opt/bianmin/bin/python -c '
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("便民服务 𠀀 取号")
label.resize(400, 80)
assert label.grab().save("/tmp/qt.png"), "could not render"
import cv2, numpy, pyzbar.pyzbar, zxingcpp, pypdfium2  # the imaging stack loads too
print("Qt", app.platformName(), "ok")'
}

# What `sudo bianmin setup` does on a kiosk PC once the technician presses Write: the
# wizard's own model, run as root in the root, with the real systemctl (which, in a chroot,
# enables and disables units and skips starting them).
setup_kiosk() {
    in_root /opt/bianmin/bin/python - <<'PY'
import pwd
import stat
from pathlib import Path

from kiosk.setup_wizard import services
from kiosk.setup_wizard.model import SetupModel
from kiosk.setup_wizard.ports import Answers, PcAnswers, SiteAnswers

model = SetupModel(Path("/etc/bianmin/site.toml"), Path("/var/lib/bianmin"), discover=list,
                   cameras=list, inputs=list)
answers = Answers(site=SiteAnswers(code="XC-0101", name="西村便民服务站", township="城关镇",
                                   village="西村"), pc=PcAnswers(screen="kiosk"))
written = model.write(answers)
assert written.ok, written
for outcome in model.apply(answers):
    print("  ", "ok" if outcome.ok else "FAILED", outcome.words)
    assert outcome.ok, outcome
env = Path("/etc/bianmin/kiosk.env")
assert stat.S_IMODE(env.stat().st_mode) == 0o600 and env.stat().st_uid == 0
assert model._local_role(services.read_env(env)["BIANMIN_TOKEN"]) == "kiosk"
wants = Path("/etc/systemd/system/graphical.target.wants")
assert (wants / "bianmin-kiosk.service").is_symlink()
assert not (wants / "bianmin-display.service").exists()
config = Path("/etc/bianmin/site.toml").stat()
assert stat.S_IMODE(config.st_mode) == 0o640, oct(config.st_mode)
bianmin = pwd.getpwnam("bianmin")
assert config.st_gid == bianmin.pw_gid
for path in Path("/var/lib/bianmin").rglob("*"):
    assert path.lstat().st_uid == bianmin.pw_uid, f"{path} is not the services' own"
print("   kiosk.env 0600, bianmin-kiosk enabled, the store is bianmin's")
PY
}

# Every library Qt's wayland and xcb platform plugins load is there with the Depends alone
# (the root has no Recommends): the screens under cage, on a Wayland or an X11 desktop.
qt_platforms() {
    # shellcheck disable=SC2016  # expanded by the root's shell
    in_root sh -c '
for qt in /opt/bianmin/lib/python3.*/site-packages/PySide6/Qt; do :; done
missing=0
for lib in $qt/plugins/platforms/libqwayland*.so $qt/plugins/platforms/libqxcb.so \
        $qt/plugins/wayland-*/*.so $qt/plugins/xcbglintegrations/*.so \
        $qt/lib/libQt6WaylandClient.so.6 $qt/lib/libQt6XcbQpa.so.6; do
    gone=$(ldd "$lib" | grep "not found") || true
    if [ -n "$gone" ]; then echo "   $(basename "$lib"): $gone"; missing=1; fi
done
[ "$missing" = 0 ] && echo "   wayland and xcb: every library found"
exit "$missing"'
}

# A village point's counter PC: the agent's desktop account, a counter token, window 1,
# agent mode; then the account opens the counter as the desktop entry does (off screen: no
# station runs in the root, so it draws the screen that says so and exits 1).
setup_counter() {
    in_root useradd --create-home --shell /bin/sh xiaoli
    in_root /opt/bianmin/bin/python - <<'PY'
import grp
import stat
from pathlib import Path

from kiosk.setup_wizard.model import SetupModel
from kiosk.setup_wizard.ports import Answers, PcAnswers, SiteAnswers

model = SetupModel(Path("/etc/bianmin/site.toml"), Path("/var/lib/bianmin"), discover=list,
                   cameras=list, inputs=list)
answers = Answers(site=SiteAnswers(code="XC-0101", name="西村便民服务站", township="城关镇",
                                   village="西村"),
                  pc=PcAnswers(screen="counter", window="1", counter_mode="agent",
                               desktop_user="xiaoli"))
assert model.write(answers).ok
for outcome in model.apply(answers):
    print("  ", "ok" if outcome.ok else "FAILED", outcome.words)
    assert outcome.ok, outcome
env = Path("/etc/bianmin/counter.env").stat()
assert stat.S_IMODE(env.st_mode) == 0o640 and env.st_gid == grp.getgrnam("bianmin").gr_gid
assert "xiaoli" in grp.getgrnam("bianmin").gr_mem
assert not Path("/etc/systemd/system/graphical.target.wants/bianmin-kiosk.service").exists()
PY
    status=0
    in_root setpriv --reuid=xiaoli --regid=xiaoli --init-groups env HOME=/home/xiaoli \
        QT_QPA_PLATFORM=offscreen bianmin counter --screenshot /tmp/counter.png \
        --screenshot-after 1 >/dev/null 2>"$root/tmp/counter.err" || status=$?
    if [ "$status" != 1 ] || [ ! -s "$root/tmp/counter.png" ]; then
        echo "   the counter did not open as xiaoli (exit $status):" >&2
        cat "$root/tmp/counter.err" >&2
        return 1
    fi
    echo "   xiaoli opened the counter of window 1 (no station in the root: exit 1, screen drawn)"
}

store_ok() { in_root bianmin store check >/dev/null && echo "   store check: ok"; }
backups() { in_root ls /var/lib/bianmin/backups; }

step "lintian" lintian --fail-on error "$deb"
if [ -f "$tarball" ]; then bootstrap_name="debootstrap (cached tarball)"
else bootstrap_name="debootstrap (cold)"; fi
step "$bootstrap_name" bootstrap
step "apt-get update in the root" prepare
step "download the Depends" in_root apt-get install -y -qq --download-only \
    --no-install-recommends "/tmp/$(basename "$deb")"
step "install the .deb (apt)" install_deb "/tmp/$(basename "$deb")"
step "bianmin --version" in_root bianmin --version
step "bianmin doctor list --json" in_root bianmin doctor list --json
step "bianmin store init" in_root bianmin store init
step "bianmin store check" in_root bianmin store check
step "Qt offscreen + imaging imports" qt_offscreen
step "Qt platform plugins (ldd)" qt_platforms
step "bianmin setup: a kiosk PC" setup_kiosk
step "bianmin setup: a counter PC" setup_counter
step "renumber the package (+next1)" renumber
step "upgrade to +next1" install_deb /tmp/next.deb
step "store after the upgrade" store_ok
backups
step "mark the store newer (as +next1 would)" as_newer_schema
step "downgrade to $version" install_deb --allow-downgrades "/tmp/$(basename "$deb")"
step "store after the downgrade" store_ok
backups
step "purge (the site's data stays)" in_root apt-get purge -y -qq bianmin
in_root test -f /var/lib/bianmin/store.sqlite
echo "   /var/lib/bianmin/store.sqlite is still there"
in_root test ! -e /etc/bianmin/kiosk.env
in_root test ! -e /etc/bianmin/counter.env
echo "   /etc/bianmin/kiosk.env and counter.env (the screens' tokens) are gone"

total=$(echo "$(now) $began" | awk '{printf "%.0f", $1 - $2}')
echo
echo "bianmin $version ($arch): package $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes)," \
    "installed $(dpkg-deb -f "$deb" Installed-Size | awk '{printf "%.0f MiB", $1 / 1024}')"
printf '%s' "$report"
echo "total: $total s"
