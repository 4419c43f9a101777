#!/usr/bin/env bash
# Upgrade hallcall on a Pi that install.sh set up, to the code in SOURCE (default: the folder
# this script is in), with the roles and settings install.sh recorded:
#   1. back up the database (online: the hub keeps serving),
#   2. install the new code into the virtualenv, and refresh the installed unit files,
#   3. stop the hub with SIGTERM (every acknowledged ticket is already committed to disk),
#   4. migrate the database (Alembic), 5. start the hub and wait until /api/health answers
#      with the new version, 6. restart the Pi's other hallcall services.
# Kiosks retry an unanswered ticket with the same Idempotency-Key for 20 s, so the few seconds
# the hub is away lose no ticket and make none twice. deploy/README.md has the details.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() {
    cat <<'EOF'
usage: sudo deploy/upgrade.sh [--dry-run] [--wheels DIR] [--settings FILE] [SOURCE]

  SOURCE           the new hallcall source folder (default: the folder this script is in)
  --wheels DIR     install Python packages from this folder only (no internet)
  --settings FILE  the settings install.sh wrote (default /etc/hallcall/hallcall.env)
  --dry-run        print every action and change nothing
EOF
}

SOURCE="" WHEELS=""
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --dry-run) DRY_RUN=1; shift ;;
        --wheels | --settings)
            (($# >= 2)) || die "$1 needs a value (see --help)" 2
            if [[ $1 == --wheels ]]; then WHEELS=$2; else ENV_FILE=$2; fi
            shift 2 ;;
        --wheels=*) WHEELS=${1#*=}; shift ;;
        --settings=*) ENV_FILE=${1#*=}; shift ;;
        -*) die "unknown option: $1 (see --help)" 2 ;;
        *) [[ -z $SOURCE ]] || die "one SOURCE folder, not '$SOURCE' and '$1'" 2
           SOURCE=$1; shift ;;
    esac
done

SOURCE=${SOURCE:-$(dirname "$HERE")}
[[ -f $SOURCE/setup.cfg && -f $SOURCE/hallcall/cli.py ]] ||
    die "$SOURCE: not a hallcall source folder (no setup.cfg, hallcall/cli.py)" 2
SOURCE=$(cd "$SOURCE" && pwd)
if [[ -n $WHEELS && ! -d $WHEELS ]]; then die "--wheels $WHEELS: no such folder" 2; fi
[[ -r $ENV_FILE ]] || die "$ENV_FILE: not found or not readable: install with deploy/install.sh first (and run this as root)"
if ((!DRY_RUN)) && ((EUID != 0)); then
    die "run it as root: sudo $0 ... (or try it with --dry-run)"
fi
if ((!DRY_RUN)) && ! systemd_running; then
    die "systemd is not running here: an upgrade stops and starts services (install.sh works in a chroot)"
fi

ROLES=$(env_value HALLCALL_ROLES)
[[ -n $ROLES ]] || die "$ENV_FILE has no HALLCALL_ROLES: run deploy/install.sh again"
EXTRAS=$(env_value HALLCALL_EXTRAS)
PYGAME=$(env_value HALLCALL_PYGAME)
SCREEN=$(env_value HALLCALL_SCREEN)
DESKTOP_USER=$(env_value HALLCALL_DESKTOP_USER)
PORT=$(env_value HALLCALL_PORT)
LISTEN=$(env_value HALLCALL_LISTEN)
KEEP_DAYS=$(env_value HALLCALL_BACKUP_KEEP_DAYS)
NEW_VERSION=$(source_version "$SOURCE")

say "hallcall upgrade to $NEW_VERSION$( ((DRY_RUN)) && printf ' — dry run: nothing is changed')"
note "roles:  $ROLES"
note "source: $SOURCE"

as_service_user() {  # the database's files stay the service user's, never root's
    run runuser -u "$SERVICE_USER" -- "$@"
}

# --- 1. backup ---------------------------------------------------------------------------

if has_role hub; then
    say "1. backup of the database (the hub keeps running)"
    if [[ -f $DB ]] || ((DRY_RUN)); then
        as_service_user "$VENV/bin/hallcall" backup --db "$DB" --to "$BACKUPS" --keep-days "${KEEP_DAYS:-7}"
    else
        note "no database yet at $DB: nothing to back up"
    fi
fi

# --- 2. new code -------------------------------------------------------------------------

say "2. the new code into $VENV"
install_code "$SOURCE" "$EXTRAS" "$PYGAME" "$WHEELS"

# The unit files, udev rule and autostart entries of this Pi's roles (as install.sh chose them),
# as the new release has them. The settings stay in $ENV_FILE.
UNITS=()  # the services to restart after the hub
if has_role buttons && ! has_role hub; then UNITS+=(hallcall-buttons.service); fi
# The central migrates its own schema when it starts: a restart is its whole upgrade.
if has_role central; then UNITS+=(hallcall-central.service); fi
for role in kiosk display; do
    if has_role "$role" && [[ $SCREEN == kms ]]; then UNITS+=("hallcall-$role.service"); fi
done
for unit in "${UNITS[@]}"; do
    put_file "$HERE/systemd/$unit" "$UNIT_DIR/$unit" 0644 root:root
done
if has_role hub; then
    for unit in hallcall-hub.service hallcall-backup.service hallcall-backup.timer; do
        put_file "$HERE/systemd/$unit" "$UNIT_DIR/$unit" 0644 root:root
    done
fi
for role in kiosk display; do
    if has_role "$role" && [[ $SCREEN == desktop ]]; then
        put_file "$HERE/systemd/user/hallcall-$role.service" "$USER_UNIT_DIR/hallcall-$role.service" 0644 root:root
        put_file "$HERE/desktop/hallcall-$role.desktop" "$AUTOSTART_DIR/hallcall-$role.desktop" 0644 root:root
        put_file "$HERE/desktop/hallcall-desktop" "$PREFIX/bin/hallcall-desktop" 0755 root:root
    fi
done
if has_role kiosk; then
    put_file "$HERE/udev/60-hallcall-printers.rules" "$UDEV_RULE" 0644 root:root
fi
put_file "$HERE/sdl-drivers.py" "$PREFIX/sdl-drivers.py" 0644 root:root
if ((CHANGED)) && { systemd_running || ((DRY_RUN)); }; then
    run systemctl daemon-reload
fi

# --- 3-5. the hub: stop, migrate, start, health --------------------------------------------

unit_active() { systemctl is-active --quiet "$1"; }

wait_healthy() {  # wait_healthy URL VERSION SECONDS: /api/health answers with VERSION
    "$VENV/bin/python" - "$@" <<'PY'
import json, sys, time, urllib.request
url, version, deadline = sys.argv[1], sys.argv[2], time.monotonic() + float(sys.argv[3])
seen = "no answer"
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            seen = json.load(response).get("version")
        if seen == version:
            sys.exit(0)
    except (OSError, ValueError) as exc:
        seen = str(exc)
    time.sleep(0.5)
print(f"hallcall: {url} did not answer with version {version} (last: {seen})", file=sys.stderr)
sys.exit(1)
PY
}

if has_role hub; then
    host=$LISTEN
    if [[ -z $host || $host == 0.0.0.0 || $host == :: ]]; then host=127.0.0.1; fi
    [[ $host == *:* ]] && host="[$host]"
    health="http://$host:${PORT:-8080}/api/health"
    was_active=1
    if ((!DRY_RUN)) && ! unit_active hallcall-hub.service; then
        was_active=0
        note "hallcall-hub was not running: it is migrated, not started"
    fi
    say "3. stop the hub (SIGTERM: it finishes what it is answering; every ticket is on disk)"
    run systemctl stop hallcall-hub.service
    say "4. migrate the database"
    if ! as_service_user "$VENV/bin/hallcall" migrate --config "$HALL_TOML" --db "$DB"; then
        die "the migration failed; the hub is stopped. To go back: install the previous release with its deploy/upgrade.sh, copy the newest file of $BACKUPS over $DB (as in deploy/README.md, Restore), then: systemctl start hallcall-hub"
    fi
    if ((was_active)); then
        say "5. start the hub and wait for $health"
        run systemctl start hallcall-hub.service
        if ((DRY_RUN)); then
            printf '[dry-run] wait until %s answers with version %s (60 s at most)\n' "$health" "$NEW_VERSION"
        elif ! wait_healthy "$health" "$NEW_VERSION" 60; then
            die "the hub did not come back: journalctl -u hallcall-hub -n 50"
        fi
    fi
fi

# --- 6. the other roles --------------------------------------------------------------------

say "6. restart the other hallcall services"
for unit in "${UNITS[@]}"; do
    run systemctl restart "$unit"
done
if [[ $SCREEN == desktop && -n $DESKTOP_USER ]]; then
    for role in kiosk display; do
        if has_role "$role"; then
            # The desktop user's own service manager (systemd 248+: --machine=USER@).
            run_soft systemctl --user --machine="$DESKTOP_USER@" restart "hallcall-$role.service"
        fi
    done
fi

say "done: hallcall $NEW_VERSION$( ((DRY_RUN)) && printf ' (dry run: nothing was changed)')"
