#!/bin/sh
# /usr/local/bin/dour: the `dour` command on the site's configuration, as the dour user, from its state
# directory, so that a database or cache file it creates belongs to the server (installed by install/install.sh).
export DOUR_CONFIG="${DOUR_CONFIG:-/etc/dour/site.toml}"
cd /var/lib/dour || exit 1
if [ "$(id -un)" = dour ]; then
    exec /opt/dour/venv/bin/dour "$@"
fi
if [ "$(id -u)" = 0 ]; then
    exec runuser -u dour -- env DOUR_CONFIG="$DOUR_CONFIG" /opt/dour/venv/bin/dour "$@"
fi
exec sudo -u dour env DOUR_CONFIG="$DOUR_CONFIG" /opt/dour/venv/bin/dour "$@"
