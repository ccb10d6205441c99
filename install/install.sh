#!/bin/sh
# Put Dour in place on a Debian machine (docs/install.md). Idempotent: run it again to upgrade.
#
#   install/install.sh                          the site server: user, /etc/dour, /var/lib/dour, /opt/dour
#   install/install.sh --browser kiosk URL      a kiosk PC: Chromium in kiosk mode on URL (the enrolment URL)
#   install/install.sh --browser display URL    a waiting-room display PC, the same
#
# Environment:
#   DESTDIR=/some/dir   install under that root instead of / (tests, staging): no apt, no service started,
#                       the user is created in DESTDIR/etc/passwd, the units enabled under DESTDIR
#   DRY_RUN=1           print what would be done, change nothing
#   PYTHON=python3      the interpreter of the venv
#
# `make install` runs it after fetching the browser assets (npm) the copy needs.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
DRY_RUN=${DRY_RUN:-0}
PYTHON=${PYTHON:-python3}

OPT=/opt/dour
APP=$OPT/app
VENV=$OPT/venv
ETC=/etc/dour
STATE=/var/lib/dour
UNITS=/etc/systemd/system
VENDOR_JS=node_modules/socket.io-client/dist/socket.io.min.js
# What the server needs at run time: the venv, pcscd for badge readers, the fonts of the printed ticket,
# espeak-ng for the spoken calls, sqlite3 for backups (docs/operations.md), nginx for HTTPS in front.
SERVER_PACKAGES="python3 python3-venv pcscd fonts-dejavu-core espeak-ng sqlite3 nginx"
BROWSER_PACKAGES="chromium x11-xserver-utils fonts-dejavu-core"

say() { printf '%s\n' "$*"; }
run() {  # every change goes through here: printed, and skipped by DRY_RUN=1
    say "+ $*"
    [ "$DRY_RUN" = 1 ] || "$@"
}
die() { say "install: $*" >&2; exit 1; }

apt_install() {
    if [ -n "$DESTDIR" ]; then say "(DESTDIR: not installing apt packages $*)"; return; fi
    missing=""
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
    [ -z "$missing" ] && return
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
}

owner_of() {  # user:group as numbers from the target root's passwd (DESTDIR), or by name on the machine
    if [ "$(id -u)" != 0 ]; then  # not root (a DESTDIR for a test): the files stay the caller's
        say "$(id -u):$(id -g)"
    elif [ -n "$DESTDIR" ]; then
        line=$(grep "^$1:" "$DESTDIR/etc/passwd" 2>/dev/null) || { say "unknown"; return; }
        say "$(say "$line" | cut -d: -f3):$(say "$line" | cut -d: -f4)"
    else
        say "$1:$1"
    fi
}

create_user() {  # the system user `dour`, home = the state directory, no login (install/dour.sysusers)
    run install -d -m 0755 "$DESTDIR/etc/sysusers.d"
    run install -m 0644 "$SRC/install/dour.sysusers" "$DESTDIR/etc/sysusers.d/dour.conf"
    if [ -n "$DESTDIR" ]; then
        run install -d -m 0755 "$DESTDIR/etc"
        run systemd-sysusers --root="$DESTDIR" "$DESTDIR/etc/sysusers.d/dour.conf"
    else
        run systemd-sysusers /etc/sysusers.d/dour.conf
    fi
}

copy_code() {  # a fresh copy each time, swapped in whole: an upgrade never leaves a removed module behind
    [ -f "$SRC/$VENDOR_JS" ] || die "$VENDOR_JS is missing: run \`make install\` (it runs npm ci first)"
    run rm -rf "$DESTDIR$APP.new" "$DESTDIR$APP.old"
    run install -d -m 0755 "$DESTDIR$OPT" "$DESTDIR$APP.new" "$DESTDIR$APP.new/$(dirname $VENDOR_JS)"
    say "+ tar -C $SRC … | tar -C $DESTDIR$APP.new -x"
    if [ "$DRY_RUN" != 1 ]; then
        tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./node_modules --exclude=./tests \
            --exclude=./bench --exclude=./test-output --exclude=./var --exclude=./build --exclude=./.ci \
            --exclude='*.egg-info' --exclude=__pycache__ --exclude='*.pyc' --exclude='.*_cache' -cf - . |
            tar -C "$DESTDIR$APP.new" --no-same-owner -xf -
    fi
    run install -m 0644 "$SRC/$VENDOR_JS" "$DESTDIR$APP.new/$VENDOR_JS"
    if [ -d "$DESTDIR$APP" ]; then run mv "$DESTDIR$APP" "$DESTDIR$APP.old"; fi
    run mv "$DESTDIR$APP.new" "$DESTDIR$APP"
    run rm -rf "$DESTDIR$APP.old"
}

build_venv() {  # its own venv; pip runs again only when the dependencies changed (setup.cfg, pyproject.toml)
    stamp="$DESTDIR$VENV/.installed-$(cat "$SRC/setup.cfg" "$SRC/pyproject.toml" | cksum | cut -d' ' -f1)"
    [ -x "$DESTDIR$VENV/bin/python" ] || run "$PYTHON" -m venv "$DESTDIR$VENV"
    if [ ! -f "$stamp" ]; then
        run "$DESTDIR$VENV/bin/pip" install -q -e "$DESTDIR$APP"
        run rm -f "$DESTDIR$VENV"/.installed-*
        run touch "$stamp"
    else
        say "(venv up to date: $stamp)"
    fi
    run "$DESTDIR$VENV/bin/pybabel" -q compile -d "$DESTDIR$APP/core/translations"
    run rm -rf "$DESTDIR$APP/build"
}

configure() {  # /etc/dour/site.toml from the example, never overwritten; the state directory
    owner=$(owner_of dour)
    run install -d -m 0750 -o "$(id -u)" -g "${owner#*:}" "$DESTDIR$ETC"
    if [ -e "$DESTDIR$ETC/site.toml" ]; then
        say "(kept $DESTDIR$ETC/site.toml)"
    else
        run install -m 0640 -o "$(id -u)" -g "${owner#*:}" "$SRC/docs/site.example.toml" \
            "$DESTDIR$ETC/site.toml"
    fi
    run install -d -m 0750 -o "${owner%:*}" -g "${owner#*:}" "$DESTDIR$STATE"
    # The `dour` command for people: as the dour user (files it creates stay the server's), on the site file.
    run install -d -m 0755 "$DESTDIR/usr/local/bin"
    run install -m 0755 "$SRC/install/dour-command.sh" "$DESTDIR/usr/local/bin/dour"
}

server_units() {  # every unit of systemd/ but the browsers' (those run on the kiosk and display PCs)
    for path in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
        case "${path##*/}" in
            dour-kiosk.service|dour-display.service) ;;
            *) if [ -e "$path" ]; then say "${path##*/}"; fi ;;
        esac
    done
}

install_units() {  # $@: unit names to install; those with an [Install] section are enabled
    run install -d -m 0755 "$DESTDIR$UNITS"
    enable=""
    for unit in "$@"; do
        run install -m 0644 "$SRC/systemd/$unit" "$DESTDIR$UNITS/$unit"
        if grep -q '^\[Install\]' "$SRC/systemd/$unit"; then enable="$enable $unit"; fi
    done
    set -- $enable
    if [ -n "$DESTDIR" ]; then
        run systemctl --root="$DESTDIR" enable "$@"
    elif [ -d /run/systemd/system ]; then
        run systemctl daemon-reload
        run systemctl enable "$@"
        run systemctl try-restart "$@"  # an upgrade: what ran runs the new code; a first install: nothing
    else
        run systemctl enable "$@"  # no running systemd (a container): only the symlinks
    fi
}

install_server() {
    apt_install $SERVER_PACKAGES
    create_user
    [ "$(owner_of dour)" != unknown ] || [ "$DRY_RUN" = 1 ] || die "the dour user was not created"
    copy_code
    build_venv
    configure
    install_units $(server_units)
    say "Dour installed. Next: edit $ETC/site.toml, then \`systemctl start dour dour-sync\`" \
        "(docs/install.md)."
}

install_browser() {  # $1: kiosk | display, $2: the enrolment URL printed by `dour device add`
    role=$1 url=$2
    case "$url" in
        http://*|https://*) ;;
        *) die "the URL must be the enrolment URL (https://…/enrol?token=…)" ;;
    esac
    apt_install $BROWSER_PACKAGES
    if [ -z "$DESTDIR" ] && ! id "$role" >/dev/null 2>&1; then
        run adduser --disabled-password --gecos "Dour $role" "$role"  # the graphical session's user
    fi
    run install -d -m 0755 "$DESTDIR$ETC"
    say "+ write $DESTDIR$ETC/$role.env (mode 0600: the URL holds the device's token)"
    if [ "$DRY_RUN" != 1 ]; then
        (umask 077 && printf 'DOUR_URL=%s\n' "$url" > "$DESTDIR$ETC/$role.env")
    fi
    if [ -d "$DESTDIR/etc/lightdm" ]; then  # log the user in at boot, X without screen saver or power saving
        run install -d -m 0755 "$DESTDIR/etc/lightdm/lightdm.conf.d"
        say "+ write $DESTDIR/etc/lightdm/lightdm.conf.d/50-dour-$role.conf"
        [ "$DRY_RUN" = 1 ] || printf '[Seat:*]\nautologin-user=%s\nxserver-command=X -s 0 -dpms\n' "$role" \
            > "$DESTDIR/etc/lightdm/lightdm.conf.d/50-dour-$role.conf"
    fi
    install_units "dour-$role.service"
    say "Browser installed: reboot, or \`systemctl restart dour-$role\` once the $role user's session runs."
}

case "${1:-}" in
    "") install_server ;;
    --browser)
        [ $# -eq 3 ] || die "usage: $0 --browser kiosk|display URL"
        case "$2" in
            kiosk|display) install_browser "$2" "$3" ;;
            *) die "--browser takes kiosk or display" ;;
        esac
        ;;
    -h|--help) sed -n '2,15p' "$0" ;;
    *) die "unknown argument $1 (see --help)" ;;
esac
