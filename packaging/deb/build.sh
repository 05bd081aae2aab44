#!/bin/sh
# make deb: dist/bianmin_<version>_<arch>.deb (docs/packaging.md).
#
# 1. wheels of the project and its dependencies (pip wheel, with the project's own venv);
# 2. a venv made with the target's Python (/usr/bin/python3, Debian 12: 3.11) in the staging
#    root, the wheels installed with --no-index, then moved to its real path: the scripts'
#    shebangs and pyvenv.cfg say /opt/bianmin, and the build fails if the staging path is
#    left anywhere;
# 3. lean: no .pyc (postinst compiles them), no tests, no pip, no Qt developer tools;
# 4. the units, udev rules, sysusers and tmpfiles entries, /etc/bianmin/site.toml (from
#    `bianmin config defaults`), the maintainer scripts; dpkg-deb builds it as root:root.
set -eu
umask 022
start=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-$top/.venv/bin/python}     # the build side: pip
TARGET_PYTHON=${TARGET_PYTHON:-/usr/bin/python3}
build=$top/build/deb
stage=$build/root
wheels=$build/wheels
prefix=/opt/bianmin
venv=$stage$prefix

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$top/kiosk/__init__.py")
arch=$(dpkg --print-architecture)
pyver=$("$TARGET_PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
[ -n "$version" ] || { echo "no __version__ in kiosk/__init__.py" >&2; exit 1; }
deb=$top/dist/bianmin_${version}_${arch}.deb
echo "building bianmin $version for $arch (Python $pyver)"

step() { echo "== $1 ($(( $(date +%s) - start )) s)"; }

step "wheels"
mkdir -p "$wheels" "$top/dist"
rm -f "$wheels"/bianmin-*.whl
"$PYTHON" -m pip wheel --quiet --prefer-binary --wheel-dir "$wheels" "$top"

step "venv"
rm -rf "$stage"
mkdir -p "$stage"
"$TARGET_PYTHON" -m venv --without-pip "$venv"
"$PYTHON" -m pip --python "$venv/bin/python" install --quiet --no-index --no-compile \
    --find-links "$wheels" bianmin

step "relocate"
# Scripts pip wrote start with #!<staging>/opt/bianmin/bin/python; the venv's own files
# name its directory. Text files only: binaries never hold the path.
grep -rlI --null -F "$stage" "$venv" | xargs -0 -r sed -i "s|$stage$prefix|$prefix|g"
rm -f "$venv"/bin/activate* "$venv"/bin/Activate.ps1
find "$venv" -name direct_url.json -path '*.dist-info/*' -delete
if grep -rl -F "$stage" "$venv" >/dev/null; then
    echo "the staging path is left in:" >&2
    grep -rl -F "$stage" "$venv" >&2
    exit 1
fi

step "lean"
site=$venv/lib/python$pyver/site-packages
find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +
find "$venv" -name '*.pyc' -delete
# Test suites of the dependencies (numpy's, pandas-like), never run on a site.
find "$site" -type d -name tests -prune -exec rm -rf {} +
find "$venv" \( -name .gitignore -o -name .gitattributes -o -name .gitkeep \) -delete
# pip and setuptools: sqlite-utils and python-escpos declare them, for their own install
# commands and build steps; nothing on a site imports them.
rm -rf "$site"/pip "$site"/pip-*.dist-info "$site"/setuptools "$site"/setuptools-*.dist-info \
    "$site"/_distutils_hack "$site"/distutils-precedence.pth "$site"/pkg_resources
# Qt's developer tools and headers, never run on a site (the screens are Qt Widgets).
pyside=$site/PySide6
rm -rf "$pyside"/include "$pyside"/typesystems "$pyside"/glue "$pyside"/scripts \
    "$pyside"/Qt/libexec "$pyside"/designer "$pyside"/assistant "$pyside"/linguist \
    "$pyside"/lrelease "$pyside"/lupdate "$pyside"/qmlformat "$pyside"/qmllint \
    "$pyside"/qmlls "$pyside"/Qt/qml
# The dependencies' own commands (uvicorn, sqlite-utils, qr, ...): a site runs bianmin only.
find "$venv/bin" -mindepth 1 ! -name bianmin ! -name python ! -name 'python3*' -exec rm -f {} +
# Nothing under site-packages is run as a program: libraries and modules are 0644.
find "$venv/lib" -type f -perm /111 -exec chmod a-x {} +
# The screens use QtCore, QtGui and QtWidgets only (kiosk/ui/qt.py): drop QML, Quick,
# Designer, Help, Lottie and the rest, their Python modules, then every plugin left without
# its libraries. A library the kept modules need makes the build fail.
for name in Qml Quick Labs Lottie Designer Help UiTools Test Sql Xml Concurrent \
        WaylandCompositor WaylandEgl WlShell; do
    rm -f "$pyside"/Qt/lib/libQt6"$name"*.so* "$pyside"/Qt"$name"*.abi3.so "$pyside"/Qt"$name"*.pyi
done
rm -f "$pyside"/libpyside6qml*.so*
find "$pyside" -name '*.so*' -type f | while read -r elf; do
    if ldd "$elf" 2>/dev/null | grep -q 'libQt6[A-Za-z]*\.so[.0-9]* => not found'; then
        case "$elf" in
            "$pyside"/Qt/plugins/*) rm -f "$elf" ;;
            *) echo "$elf lacks a library:" >&2; ldd "$elf" | grep 'not found' >&2; exit 1 ;;
        esac
    fi
done
# Byte-compile once here to prove it works on the site (postinst does it there), then drop.
"$venv/bin/python" -m compileall -q -j 0 "$venv/lib" >/dev/null
find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +

step "files"
install -D -m 0755 "$here/bianmin" "$stage/usr/bin/bianmin"
install -D -m 0755 "$here/store-upgrade" "$stage/usr/lib/bianmin/store-upgrade"
mkdir -p "$stage/usr/share/man/man1"
gzip -9n < "$here/bianmin.1" > "$stage/usr/share/man/man1/bianmin.1.gz"
for unit in "$here"/../systemd/*.service "$here"/../systemd/*.timer; do
    install -D -m 0644 "$unit" "$stage/lib/systemd/system/$(basename "$unit")"
done
install -D -m 0644 "$here/../udev/70-bianmin.rules" "$stage/lib/udev/rules.d/70-bianmin.rules"
install -D -m 0644 "$here/../sysusers.d/bianmin.conf" "$stage/usr/lib/sysusers.d/bianmin.conf"
install -D -m 0644 "$here/../tmpfiles.d/bianmin.conf" "$stage/usr/lib/tmpfiles.d/bianmin.conf"
install -D -m 0644 "$here/../desktop/bianmin-counter.desktop" \
    "$stage/usr/share/applications/bianmin-counter.desktop"
mkdir -p "$stage/etc/bianmin"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m kiosk.cli config defaults \
    > "$stage/etc/bianmin/site.toml"
doc=$stage/usr/share/doc/bianmin
install -D -m 0644 "$here/copyright" "$doc/copyright"
for page in packaging.md cli.md configuration.md sync-protocol.md sync.md; do
    install -m 0644 "$top/docs/$page" "$doc/$page"
done
date=$(date -R -u -d "@$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)")
printf 'bianmin (%s) stable; urgency=medium\n\n  * Built from the project (docs/packaging.md).\n\n -- Bianmin project <bianmin@example.org>  %s\n' \
    "$version" "$date" | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/bianmin"

step "control"
mkdir -p "$stage/DEBIAN"
for script in preinst postinst prerm postrm; do
    sed "s/@VERSION@/$version/g" "$here/$script" > "$stage/DEBIAN/$script"
    chmod 0755 "$stage/DEBIAN/$script"
done
echo /etc/bianmin/site.toml > "$stage/DEBIAN/conffiles"
size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
    "$here/control.in" > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
    | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

step "dpkg-deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$stage" "$deb" >/dev/null
end=$(date +%s)
echo "built $deb: $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes), installed size" \
    "$((size / 1024)) MiB, in $((end - start)) s"
