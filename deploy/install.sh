#!/usr/bin/env bash
# Install hallcall on a Raspberry Pi (Raspberry Pi OS Bookworm or Trixie, 64-bit) for the roles
# it plays in the hall. Safe to run again: it converges on what the options say (a role left out
# is switched off), and it never overwrites the hall's config. deploy/README.md is the guide.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() {
    cat <<'EOF'
usage: sudo deploy/install.sh --roles ROLES [options]

  --roles LIST           what this Pi does, comma-separated: hub, kiosk, display, buttons,
                         central (hub,buttons: the hub drives the call keys wired to its own
                         GPIO; central: the city's server the halls forward to, on a server)
  --hub-url URL          the hub, e.g. http://192.168.1.10:8080 (default on the hub's own Pi:
                         http://127.0.0.1:PORT)
  --kiosk-token TOKEN    the kiosk's device token from the hub's hall.toml (role kiosk)
  --buttons-token TOKEN  the call keys' device token from the hub's hall.toml (role buttons)
  --display-token TOKEN  the display's device token (role display; optional: the board reads
                         without one, but the hall's staff then see it as never connected)
  --printer URL          the kiosk's ticket printer: usb://VID:PID, serial:///dev/ttyUSB0,
                         tcp://HOST:9100, file:///dev/usb/lp0 or dummy: (role kiosk)
  --printer-mode MODE    text (printers with a Chinese font) or image (any printer); default text
  --paper MM             58 or 80 (default 80)
  --window ID            the display is the small screen above window ID (default: hall board)
  --announce             the display also speaks each call
  --size WxH             the screen's size for the display or kiosk (default: the program's)
  --audio OUT            hdmi (HDMI0), jack (3.5 mm; not on a Pi 5) or auto (default auto)
  --audio-device PCM     an ALSA device instead, e.g. default:CARD=Device for a USB sound card
  --screen MODE          kms (the console, no desktop), desktop (autostart in the desktop) or
                         auto (desktop if the Pi boots to one, else kms); default auto
  --desktop-user NAME    the desktop's user for --screen desktop (default: the sudo user or the
                         user with uid 1000)
  --port N               the hub's port (default 8080)
  --listen ADDR          the hub's address to listen on (default 0.0.0.0: the whole LAN)
  --keep-days N          keep nightly backups N days (default 7)
  --hub-workers N        run the hub as N processes (1-16, default 1): 2-4 on a Pi 4 or 5 for a
                         very busy hall; each takes ~60 MB
  --central-db URL       the central's PostgreSQL database, postgresql+psycopg://USER:PASS@HOST/DB
                         (role central; default: Debian's PostgreSQL installed on this machine
                         with a database hallcall_central of the user hallcall, over its socket)
  --central-port N       the central's port (default 8090)
  --central-listen ADDR  the central's address to listen on (default 0.0.0.0: the halls reach it)
  --pygame HOW           apt, source, wheel or auto (default auto: Debian's python3-pygame when
                         it is 2.5 or newer, else built from source for kms, else PyPI's wheel)
  --wheels DIR           install Python packages from this folder only (no internet)
  --source DIR           the hallcall source (default: the folder this script is in)
  --no-start             install and enable, but start nothing (e.g. before moving the SD card)
  --dry-run              print every action and change nothing (needs neither root nor a Pi)
  -h, --help             this text
EOF
}

# --- options -------------------------------------------------------------------------------

ROLES="" HUB_URL="" KIOSK_TOKEN="" BUTTONS_TOKEN="" DISPLAY_TOKEN="" PRINTER="" PRINTER_MODE=text PAPER=80
WINDOW="" ANNOUNCE=0 SIZE="" AUDIO=auto AUDIO_DEVICE="" SCREEN=auto DESKTOP_USER="" PORT=8080
LISTEN=0.0.0.0 KEEP_DAYS=7 HUB_WORKERS=1 PYGAME=auto WHEELS="" SOURCE="" NO_START=0
CENTRAL_DB="" CENTRAL_PORT=8090 CENTRAL_LISTEN=0.0.0.0
GIVEN=" "  # the options given, to reject those that do not fit the roles

usage_error() { die "$1 (see --help)" 2; }

while (($#)); do
    opt=$1
    case $opt in
        --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
        -h | --help) usage; exit 0 ;;
        --dry-run) DRY_RUN=1; shift; continue ;;
        --announce) ANNOUNCE=1; GIVEN+="$opt "; shift; continue ;;
        --no-start) NO_START=1; shift; continue ;;
        --roles | --hub-url | --kiosk-token | --buttons-token | --display-token | --printer | \
            --printer-mode | \
            --paper | --window | --size | --audio | --audio-device | --screen | --desktop-user | \
            --port | --listen | --keep-days | --hub-workers | --pygame | --wheels | --source | \
            --central-db | --central-port | --central-listen)
            (($# >= 2)) || usage_error "$opt needs a value"
            val=$2
            GIVEN+="$opt "
            shift 2 ;;
        *) usage_error "unknown option: $opt" ;;
    esac
    case $opt in
        --roles) ROLES=$val ;;
        --hub-url) HUB_URL=$val ;;
        --kiosk-token) KIOSK_TOKEN=$val ;;
        --buttons-token) BUTTONS_TOKEN=$val ;;
        --display-token) DISPLAY_TOKEN=$val ;;
        --printer) PRINTER=$val ;;
        --printer-mode) PRINTER_MODE=$val ;;
        --paper) PAPER=$val ;;
        --window) WINDOW=$val ;;
        --size) SIZE=$val ;;
        --audio) AUDIO=$val ;;
        --audio-device) AUDIO_DEVICE=$val ;;
        --screen) SCREEN=$val ;;
        --desktop-user) DESKTOP_USER=$val ;;
        --port) PORT=$val ;;
        --listen) LISTEN=$val ;;
        --keep-days) KEEP_DAYS=$val ;;
        --hub-workers) HUB_WORKERS=$val ;;
        --pygame) PYGAME=$val ;;
        --wheels) WHEELS=$val ;;
        --source) SOURCE=$val ;;
        --central-db) CENTRAL_DB=$val ;;
        --central-port) CENTRAL_PORT=$val ;;
        --central-listen) CENTRAL_LISTEN=$val ;;
    esac
done
given() { [[ $GIVEN == *" $1 "* ]]; }

# --- checking the input: all of it before any change -----------------------------------------

[[ -n $ROLES ]] || usage_error "--roles is required: which of hub, kiosk, display, buttons, central this Pi plays"
declare -A seen=()
IFS=, read -r -a role_list <<<"$ROLES"
normalized=()
for role in "${role_list[@]}"; do
    case $role in
        hub | kiosk | display | buttons | central) ;;
        "") usage_error "--roles $ROLES: an empty role" ;;
        *) usage_error "--roles: unknown role '$role' (the roles are hub, kiosk, display, buttons, central)" ;;
    esac
    [[ -n ${seen[$role]:-} ]] && continue
    seen[$role]=1
done
for role in "${ROLE_NAMES[@]}"; do
    [[ -n ${seen[$role]:-} ]] && normalized+=("$role")
done
ROLES=$(IFS=,; printf '%s' "${normalized[*]}")

if has_role kiosk && has_role display; then
    usage_error "--roles: a kiosk and a display each need the whole screen: give each its own Pi"
fi
for opt in --kiosk-token --printer --printer-mode --paper; do
    if given "$opt" && ! has_role kiosk; then usage_error "$opt is for the kiosk role"; fi
done
for opt in --window --announce --audio --audio-device --display-token; do
    if given "$opt" && ! has_role display; then usage_error "$opt is for the display role"; fi
done
for opt in --port --listen --keep-days --hub-workers; do
    if given "$opt" && ! has_role hub; then usage_error "$opt is for the hub role"; fi
done
for opt in --central-db --central-port --central-listen; do
    if given "$opt" && ! has_role central; then usage_error "$opt is for the central role"; fi
done
if given --size && ! has_role kiosk && ! has_role display; then
    usage_error "--size is for the kiosk or display role"
fi
if given --buttons-token && { ! has_role buttons || has_role hub; }; then
    usage_error "--buttons-token is for the buttons role on a Pi without the hub (the hub drives its own keys)"
fi

# Every value below ends up in /etc/hallcall/hallcall.env and on a command line: only characters
# that need no quoting anywhere are accepted.
TOKEN_RE='^[A-Za-z0-9._~+/=-]{8,200}$'
if has_role kiosk; then
    [[ -n $KIOSK_TOKEN ]] || usage_error "the kiosk role needs --kiosk-token (its device token in the hub's hall.toml)"
    [[ $KIOSK_TOKEN =~ $TOKEN_RE ]] || usage_error "--kiosk-token: 8 to 200 letters, digits or ._~+/=- (make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
    [[ -n $PRINTER ]] || usage_error "the kiosk role needs --printer (e.g. usb://04b8:0202; dummy: for none)"
    [[ $PRINTER =~ ^(usb|serial|tcp|file|cups|dummy):[A-Za-z0-9._~:/?\&=%+@,-]*$ ]] ||
        usage_error "--printer $PRINTER: not a printer URL (usb://VID:PID, serial:///dev/ttyUSB0, tcp://HOST:9100, file:///PATH, cups://QUEUE, dummy:)"
    [[ $PRINTER_MODE == text || $PRINTER_MODE == image ]] || usage_error "--printer-mode: text or image, not '$PRINTER_MODE'"
    [[ $PAPER == 58 || $PAPER == 80 ]] || usage_error "--paper: 58 or 80, not '$PAPER'"
fi
if has_role buttons && ! has_role hub; then
    [[ -n $BUTTONS_TOKEN ]] || usage_error "the buttons role needs --buttons-token (its device token in the hub's hall.toml)"
    [[ $BUTTONS_TOKEN =~ $TOKEN_RE ]] || usage_error "--buttons-token: 8 to 200 letters, digits or ._~+/=-"
fi
if [[ -n $DISPLAY_TOKEN && ! $DISPLAY_TOKEN =~ $TOKEN_RE ]]; then
    usage_error "--display-token: 8 to 200 letters, digits or ._~+/=-"
fi
if [[ -n $WINDOW && ! $WINDOW =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
    usage_error "--window: a window id from hall.toml (letters, digits, ._-), not '$WINDOW'"
fi
if [[ -n $SIZE && ! $SIZE =~ ^[1-9][0-9]{2,4}x[1-9][0-9]{2,4}$ ]]; then
    usage_error "--size must look like 1920x1080, not '$SIZE'"
fi
case $AUDIO in hdmi | jack | auto) ;; *) usage_error "--audio: hdmi, jack or auto, not '$AUDIO'" ;; esac
if [[ -n $AUDIO_DEVICE && ! $AUDIO_DEVICE =~ ^[A-Za-z0-9_:=,.-]{1,100}$ ]]; then
    usage_error "--audio-device: an ALSA device name such as default:CARD=Device, not '$AUDIO_DEVICE'"
fi
if [[ -n $AUDIO_DEVICE ]] && given --audio; then usage_error "--audio and --audio-device: give one"; fi
case $SCREEN in kms | desktop | auto) ;; *) usage_error "--screen: kms, desktop or auto, not '$SCREEN'" ;; esac
case $PYGAME in apt | source | wheel | auto) ;; *) usage_error "--pygame: apt, source, wheel or auto, not '$PYGAME'" ;; esac
if ! [[ $PORT =~ ^[0-9]{4,5}$ ]] || ((PORT < 1024 || PORT > 65535)); then
    usage_error "--port: 1024 to 65535 (the hub runs without privileges), not '$PORT'"
fi
[[ $LISTEN =~ ^[0-9A-Fa-f.:]{2,45}$ ]] || usage_error "--listen: an IP address such as 0.0.0.0, not '$LISTEN'"
if ! [[ $KEEP_DAYS =~ ^[0-9]{1,4}$ ]] || ((KEEP_DAYS < 1)); then
    usage_error "--keep-days: a whole number of days, 1 or more"
fi
if ! [[ $HUB_WORKERS =~ ^[0-9]{1,2}$ ]] || ((10#$HUB_WORKERS < 1 || 10#$HUB_WORKERS > 16)); then
    usage_error "--hub-workers: 1 to 16 processes, not '$HUB_WORKERS'"
fi
HUB_WORKERS=$((10#$HUB_WORKERS))

# The central's settings: its database URL goes into the environment file (it may hold a
# password), so it too must need no quoting there.
if has_role central; then
    if ! [[ $CENTRAL_PORT =~ ^[0-9]{4,5}$ ]] || ((CENTRAL_PORT < 1024 || CENTRAL_PORT > 65535)); then
        usage_error "--central-port: 1024 to 65535 (the central runs without privileges), not '$CENTRAL_PORT'"
    fi
    [[ $CENTRAL_LISTEN =~ ^[0-9A-Fa-f.:]{2,45}$ ]] || usage_error "--central-listen: an IP address such as 0.0.0.0, not '$CENTRAL_LISTEN'"
    if has_role hub && ((CENTRAL_PORT == PORT)); then
        usage_error "--central-port $CENTRAL_PORT: the hub listens there already (--port)"
    fi
    if [[ -n $CENTRAL_DB ]] && ! [[ $CENTRAL_DB =~ ^postgresql(\+psycopg)?://[A-Za-z0-9._~:/?\&=%+@,-]+$ ]]; then
        usage_error "--central-db: a PostgreSQL URL such as postgresql+psycopg://hallcall:PASSWORD@db.example/hallcall_central (letters, digits and ._~:/?&=%+@,- only), not '$CENTRAL_DB'"
    fi
fi
CENTRAL_LOCAL_DB=0
if has_role central && [[ -z $CENTRAL_DB ]]; then
    CENTRAL_LOCAL_DB=1  # Debian's PostgreSQL here; the service user reaches it by its socket
    CENTRAL_DB="postgresql+psycopg:///hallcall_central?host=/var/run/postgresql"
fi

NEEDS_HUB=0
if has_role kiosk || has_role display || has_role buttons; then NEEDS_HUB=1; fi
if has_role hub; then
    : "${HUB_URL:=http://127.0.0.1:$PORT}"
elif [[ -z $HUB_URL ]] && ((NEEDS_HUB)); then
    usage_error "--hub-url is required when the hub is on another Pi (e.g. http://192.168.1.10:8080)"
elif [[ -n $HUB_URL ]] && ((!NEEDS_HUB)); then
    usage_error "--hub-url is for a kiosk, display or call keys (the central needs none: the halls call it)"
fi
if [[ -n $HUB_URL ]]; then
    [[ $HUB_URL =~ ^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$ || $HUB_URL =~ ^https?://\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?/?$ ]] ||
        usage_error "--hub-url must look like http://192.168.1.10:8080, not '$HUB_URL'"
fi
HUB_URL=${HUB_URL%/}

SOURCE=${SOURCE:-$(dirname "$HERE")}
[[ -f $SOURCE/setup.cfg && -f $SOURCE/hallcall/cli.py && -f $SOURCE/server/halls/demo.toml ]] ||
    usage_error "--source $SOURCE: not a hallcall source folder (no setup.cfg, hallcall/cli.py)"
SOURCE=$(cd "$SOURCE" && pwd)
if [[ -n $WHEELS && ! -d $WHEELS ]]; then usage_error "--wheels $WHEELS: no such folder"; fi

SCREEN_ROLE=""
has_role kiosk && SCREEN_ROLE=kiosk
has_role display && SCREEN_ROLE=display

# --- what this machine is ----------------------------------------------------------------

CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"' || true)
MODEL=""
if [[ -r /proc/device-tree/model ]]; then MODEL=$(tr -d '\0' </proc/device-tree/model); fi

if [[ -n $SCREEN_ROLE ]]; then
    desktop_found=""
    for session in /usr/bin/labwc /usr/bin/wayfire /usr/bin/startlxde-pi /usr/bin/lxsession; do
        [[ -x $session ]] && desktop_found=$session && break
    done
    boots_to_desktop=0
    [[ $(readlink -f /etc/systemd/system/default.target 2>/dev/null) == */graphical.target ]] && boots_to_desktop=1
    if [[ $SCREEN == auto ]]; then
        if [[ -n $desktop_found ]] && ((boots_to_desktop)); then SCREEN=desktop; else SCREEN=kms; fi
    fi
    if [[ $SCREEN == desktop ]]; then
        if [[ -z $DESKTOP_USER ]]; then
            if [[ -n ${SUDO_USER:-} && ${SUDO_USER:-} != root ]]; then
                DESKTOP_USER=$SUDO_USER
            else
                DESKTOP_USER=$(getent passwd 1000 | cut -d: -f1 || true)
            fi
        fi
        [[ -n $DESKTOP_USER ]] || usage_error "--screen desktop: no desktop user found; name it with --desktop-user"
        id -u "$DESKTOP_USER" >/dev/null 2>&1 || usage_error "--desktop-user $DESKTOP_USER: no such user"
        [[ $(id -u "$DESKTOP_USER") != 0 ]] || usage_error "--desktop-user: the desktop runs as an ordinary user, not root"
        [[ -n $desktop_found ]] || warn "no desktop (labwc, wayfire or LXDE) is installed: the $SCREEN_ROLE starts once one is and the Pi boots to it"
    elif given --desktop-user; then
        usage_error "--desktop-user is for --screen desktop"
    fi
    if [[ $MODEL == *"Raspberry Pi 5"* && $AUDIO == jack ]]; then
        usage_error "--audio jack: a Raspberry Pi 5 has no 3.5 mm jack; use --audio hdmi or a USB sound card with --audio-device"
    fi
    if [[ $SCREEN == desktop && ( $AUDIO != auto || -n $AUDIO_DEVICE ) ]]; then
        warn "--screen desktop: sound goes where the desktop's volume menu says (PipeWire); --audio and --audio-device are not used"
    fi
fi

if [[ $PYGAME == auto && -n $SCREEN_ROLE ]]; then
    candidate=$(apt-cache policy python3-pygame 2>/dev/null | sed -n 's/^ *Candidate: *//p' || true)
    if [[ -n $candidate && $candidate != "(none)" ]] && dpkg --compare-versions "$candidate" ge 2.5; then
        PYGAME=apt  # Trixie: Debian's pygame, built against Debian's SDL (KMSDRM included)
    elif [[ $SCREEN == kms ]]; then
        PYGAME=source  # Bookworm: Debian's pygame is 2.1; PyPI's wheels have no KMSDRM driver
    else
        PYGAME=wheel  # PyPI's wheel draws through X11 or Wayland, which a desktop has
    fi
fi
[[ -n $SCREEN_ROLE ]] || PYGAME=none

if ((!DRY_RUN)) && ((EUID != 0)); then
    die "run it as root: sudo $0 ... (or try it with --dry-run)"
fi
if ((!DRY_RUN)); then
    if [[ -x $PYTHON ]] && ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        die "hallcall needs Python 3.11 or newer (Raspberry Pi OS Bookworm or Trixie)"
    fi
fi

# --- the plan ------------------------------------------------------------------------------

PACKAGES=(python3 python3-venv python3-pip ca-certificates sqlite3)
EXTRAS=()
if has_role hub; then
    PACKAGES+=(curl)
fi
if has_role central; then
    EXTRAS+=(pg)  # psycopg 3 (binary wheels for aarch64 and x86-64)
    ((CENTRAL_LOCAL_DB)) && PACKAGES+=(postgresql)
fi
if has_role kiosk || has_role display; then
    PACKAGES+=(fonts-noto-cjk libsdl2-2.0-0 libsdl2-image-2.0-0 libsdl2-mixer-2.0-0 libsdl2-ttf-2.0-0)
fi
if has_role kiosk; then
    PACKAGES+=(libusb-1.0-0 usbutils)  # usbutils: lsusb, to find a printer's ids
    EXTRAS+=(kiosk)
fi
if has_role display; then
    PACKAGES+=(espeak-ng alsa-utils)
    EXTRAS+=(display)
fi
if has_role buttons; then
    PACKAGES+=(python3-lgpio)  # Raspberry Pi OS's; PyPI has no lgpio wheel for every Python
    EXTRAS+=(buttons)
fi
if [[ $SCREEN == kms && -n $SCREEN_ROLE ]]; then
    # SDL's KMSDRM driver draws through EGL/OpenGL ES on the Pi's V3D GPU.
    PACKAGES+=(libgl1-mesa-dri libegl1 libgles2 libgbm1)
fi
case $PYGAME in
    apt) PACKAGES+=(python3-pygame) ;;
    source) PACKAGES+=(build-essential pkg-config python3-dev libsdl2-dev libsdl2-image-dev
        libsdl2-mixer-dev libsdl2-ttf-dev libfreetype-dev libportmidi-dev libjpeg-dev libpng-dev) ;;
esac
EXTRAS_CSV=$(IFS=,; printf '%s' "${EXTRAS[*]}")

# The service user's groups: GPIO, printers (USB: lp; serial: dialout), sound, screen, touch.
GROUPS_WANTED=(gpio lp dialout audio video input render)
# The central alone (a city's server) touches no device.
[[ $ROLES == central ]] && GROUPS_WANTED=()
USER_GROUPS=()
for group in "${GROUPS_WANTED[@]}"; do
    if getent group "$group" >/dev/null; then
        USER_GROUPS+=("$group")
    elif [[ $group == gpio ]] && has_role buttons; then
        warn "there is no group gpio: is this Raspberry Pi OS? The call keys need access to /dev/gpiochip*"
    fi
done

HUB_ARGS=""
has_role hub && has_role buttons && HUB_ARGS="--buttons"
((HUB_WORKERS > 1)) && HUB_ARGS+="${HUB_ARGS:+ }--workers $HUB_WORKERS"
KIOSK_ARGS="--printer-mode $PRINTER_MODE --paper $PAPER${SIZE:+ --size $SIZE}"
DISPLAY_ARGS=""
[[ -n $WINDOW ]] && DISPLAY_ARGS+=" --window $WINDOW"
((ANNOUNCE)) && DISPLAY_ARGS+=" --announce"
[[ -n $SIZE ]] && DISPLAY_ARGS+=" --size $SIZE"
DISPLAY_ARGS=${DISPLAY_ARGS# }
SDL_VIDEO="" SDL_AUDIO="" ALSA_DEVICE=""
if [[ $SCREEN == kms && -n $SCREEN_ROLE ]]; then
    SDL_VIDEO=kmsdrm
    if has_role display; then
        SDL_AUDIO=alsa  # no sound server on a console Pi: straight to the ALSA device
        case $AUDIO in
            hdmi) ALSA_DEVICE="default:CARD=vc4hdmi0" ;;
            jack) ALSA_DEVICE="default:CARD=Headphones" ;;
        esac
        [[ -n $AUDIO_DEVICE ]] && ALSA_DEVICE=$AUDIO_DEVICE
    fi
fi

# Which unit runs each role here ("" = none).
declare -A UNIT=([hub]="" [kiosk]="" [display]="" [buttons]="" [central]="")
has_role hub && UNIT[hub]=hallcall-hub.service
has_role central && UNIT[central]=hallcall-central.service
if has_role buttons && ! has_role hub; then UNIT[buttons]=hallcall-buttons.service; fi
if [[ -n $SCREEN_ROLE && $SCREEN == kms ]]; then UNIT[$SCREEN_ROLE]=hallcall-$SCREEN_ROLE.service; fi

say "hallcall install${CODENAME:+ on $CODENAME}${MODEL:+ ($MODEL)}$( ((DRY_RUN)) && printf ' — dry run: nothing is changed')"
note "roles:    $ROLES$(has_role hub && has_role buttons && printf ' (the hub drives the call keys wired to this Pi)')"
((HUB_WORKERS > 1)) && note "workers:  the hub runs as $HUB_WORKERS processes on port $PORT"
note "source:   $SOURCE"
[[ -n $SCREEN_ROLE ]] && note "screen:   $SCREEN ($SCREEN_ROLE)${DESKTOP_USER:+, desktop user $DESKTOP_USER}; pygame: $PYGAME"
has_role display && note "sound:    ${ALSA_DEVICE:-the default output}"
[[ -n $HUB_URL ]] && note "hub:      $HUB_URL"
has_role central && note "central:  port $CENTRAL_PORT on $CENTRAL_LISTEN; database: $( ((CENTRAL_LOCAL_DB)) && printf 'PostgreSQL on this machine (hallcall_central)' || printf 'given by --central-db')"

# --- Debian packages -------------------------------------------------------------------------

say "Debian packages"
if ((!DRY_RUN)) && ! systemd_running; then
    note "(systemd is not running here, e.g. a chroot: units are enabled, not started)"
fi
run env DEBIAN_FRONTEND=noninteractive apt-get update -q
# Every package must be in this system's package sources: say which are not, before apt does.
available=$(LC_ALL=C apt-cache policy "${PACKAGES[@]}" 2>/dev/null |
    awk '/^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
         /^  Candidate:/ { if ($2 != "(none)") print name }' || true)
missing=()
for package in "${PACKAGES[@]}"; do
    grep -qx -- "$package" <<<"$available" || missing+=("$package")
done
if ((${#missing[@]})); then
    why="not in this system's package sources: ${missing[*]}"
    [[ " ${missing[*]} " == *" python3-lgpio "* ]] && why+=" (python3-lgpio comes from Raspberry Pi OS's own archive: the call keys need Raspberry Pi OS)"
    if ((DRY_RUN)); then warn "$why"; else die "$why"; fi
fi
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"

# --- the service user ----------------------------------------------------------------------

say "user $SERVICE_USER (groups: ${USER_GROUPS[*]:-none})"
if ! getent passwd "$SERVICE_USER" >/dev/null; then
    run useradd --system --user-group --home-dir "$DATA" --no-create-home \
        --shell /usr/sbin/nologin --comment "hallcall queue system" "$SERVICE_USER"
fi
if ((${#USER_GROUPS[@]})); then
    add_to_groups "$SERVICE_USER" "${USER_GROUPS[@]}"
fi
if [[ $SCREEN == desktop && -n $SCREEN_ROLE ]]; then
    # The desktop user runs the kiosk or display: it reads the settings (group hallcall) and
    # reaches the printer (lp, dialout).
    desktop_groups=("$SERVICE_USER")
    for group in lp dialout audio video input render; do
        getent group "$group" >/dev/null && desktop_groups+=("$group")
    done
    add_to_groups "$DESKTOP_USER" "${desktop_groups[@]}"
fi

# --- folders, code -------------------------------------------------------------------------

say "folders"
make_dir "$ETC" 0750 "root:$SERVICE_USER"
make_dir "$DATA" 0750 "$SERVICE_USER:$SERVICE_USER"
has_role hub && make_dir "$BACKUPS" 0750 "$SERVICE_USER:$SERVICE_USER"
make_dir "$PREFIX" 0755 root:root

say "Python: $VENV"
install_code "$SOURCE" "$EXTRAS_CSV" "$PYGAME" "$WHEELS"
if [[ $SCREEN == kms && -n $SCREEN_ROLE ]]; then
    if ((DRY_RUN)); then
        printf '[dry-run] check that pygame'"'"'s SDL has the KMSDRM video driver: %s\n' \
            "$(quote_cmd "$VENV/bin/python" "$HERE/sdl-drivers.py")"
    elif ! "$VENV/bin/python" "$HERE/sdl-drivers.py"; then
        die "the installed pygame's SDL has no KMSDRM driver, so it cannot draw on the console: use --pygame source (or apt on Trixie), or --screen desktop"
    fi
fi

# --- the central's database ----------------------------------------------------------------

if ((CENTRAL_LOCAL_DB)); then
    say "PostgreSQL: the database hallcall_central of the user $SERVICE_USER"
    # Peer authentication over the socket: the service user is the database's owner, with no
    # password anywhere. Made once; a second run finds both and changes nothing.
    if ((DRY_RUN)); then
        printf '[dry-run] make the PostgreSQL user %s and its database hallcall_central unless they exist\n' "$SERVICE_USER"
    else
        if systemd_running; then run systemctl enable --now postgresql.service; fi
        pg_has() { runuser -u postgres -- psql -qtAX -c "$1" | grep -qx 1; }
        pg_has "SELECT 1 FROM pg_roles WHERE rolname = '$SERVICE_USER'" ||
            run runuser -u postgres -- createuser "$SERVICE_USER"
        pg_has "SELECT 1 FROM pg_database WHERE datname = 'hallcall_central'" ||
            run runuser -u postgres -- createdb --owner "$SERVICE_USER" hallcall_central
    fi
fi

# --- configuration -------------------------------------------------------------------------

say "configuration in $ETC"
if has_role hub; then
    if [[ -e $HALL_TOML ]]; then
        note "kept: $HALL_TOML (a hall's config is never overwritten)"
    else
        put_file "$SOURCE/server/halls/demo.toml" "$HALL_TOML" 0640 "root:$SERVICE_USER"
        note "$HALL_TOML is the demo hall: give it the hall's own services, windows, tokens and passwords"
    fi
fi
{
    printf '# hallcall settings of this Pi, written by deploy/install.sh: run it again to change them.\n'
    printf '# It holds device tokens: root:%s, mode 0640.\n' "$SERVICE_USER"
    printf 'HALLCALL_ROLES="%s"\n' "$ROLES"
    printf 'HALLCALL_EXTRAS="%s"\n' "$EXTRAS_CSV"
    printf 'HALLCALL_SCREEN="%s"\n' "$([[ -n $SCREEN_ROLE ]] && printf '%s' "$SCREEN")"
    printf 'HALLCALL_PYGAME="%s"\n' "$PYGAME"
    printf 'HALLCALL_DESKTOP_USER="%s"\n' "$([[ $SCREEN == desktop ]] && printf '%s' "$DESKTOP_USER")"
    printf 'HALLCALL_HUB_URL="%s"\n' "$HUB_URL"
    if has_role hub; then
        printf 'HALLCALL_LISTEN="%s"\n' "$LISTEN"
        printf 'HALLCALL_PORT="%s"\n' "$PORT"
        printf 'HALLCALL_HUB_ARGS="%s"\n' "$HUB_ARGS"
        printf 'HALLCALL_BACKUP_KEEP_DAYS="%s"\n' "$KEEP_DAYS"
    fi
    if has_role kiosk; then
        printf 'HALLCALL_KIOSK_TOKEN="%s"\n' "$KIOSK_TOKEN"
        printf 'HALLCALL_PRINTER="%s"\n' "$PRINTER"
        printf 'HALLCALL_KIOSK_ARGS="%s"\n' "$KIOSK_ARGS"
    fi
    if has_role display; then
        printf 'HALLCALL_DISPLAY_ARGS="%s"\n' "$DISPLAY_ARGS"
        # Read by `hallcall display` itself: never on a command line that ps shows.
        [[ -n $DISPLAY_TOKEN ]] && printf 'HALLCALL_DISPLAY_TOKEN="%s"\n' "$DISPLAY_TOKEN"
    fi
    if [[ -n $BUTTONS_TOKEN ]]; then
        printf 'HALLCALL_BUTTONS_TOKEN="%s"\n' "$BUTTONS_TOKEN"
    fi
    if has_role central; then
        printf 'HALLCALL_CENTRAL_LISTEN="%s"\n' "$CENTRAL_LISTEN"
        printf 'HALLCALL_CENTRAL_PORT="%s"\n' "$CENTRAL_PORT"
        # Read by `hallcall central` itself: never on a command line that ps shows.
        printf 'HALLCALL_CENTRAL_DB="%s"\n' "$CENTRAL_DB"
    fi
    [[ -n $SDL_VIDEO ]] && printf 'SDL_VIDEODRIVER="%s"\n' "$SDL_VIDEO"
    [[ -n $SDL_AUDIO ]] && printf 'SDL_AUDIODRIVER="%s"\n' "$SDL_AUDIO"
    [[ -n $ALSA_DEVICE ]] && printf 'AUDIODEV="%s"\n' "$ALSA_DEVICE"
    true
} | put_text "$ENV_FILE" 0640 "root:$SERVICE_USER" secret

# --- units, udev, autostart ----------------------------------------------------------------

say "systemd units, udev rule, autostart"
for role in "${ROLE_NAMES[@]}"; do
    unit=hallcall-$role.service
    if [[ ${UNIT[$role]} == "$unit" ]]; then
        put_file "$HERE/systemd/$unit" "$UNIT_DIR/$unit" 0644 root:root
    elif [[ -e $UNIT_DIR/$unit ]]; then
        note "$unit: not a role of this Pi (any more): disabled and removed"
        if systemd_running || ((DRY_RUN)); then
            run_soft systemctl disable --now "$unit"
        else
            run_soft systemctl disable "$unit"
        fi
        remove_path "$UNIT_DIR/$unit"
        if [[ $role == kiosk || $role == display ]] && [[ $SCREEN != kms || -z $SCREEN_ROLE ]]; then
            run_soft systemctl enable getty@tty1.service  # the console login comes back
        fi
    fi
done
if has_role hub; then
    put_file "$HERE/systemd/hallcall-backup.service" "$UNIT_DIR/hallcall-backup.service" 0644 root:root
    put_file "$HERE/systemd/hallcall-backup.timer" "$UNIT_DIR/hallcall-backup.timer" 0644 root:root
elif [[ -e $UNIT_DIR/hallcall-backup.timer ]]; then
    run_soft systemctl disable hallcall-backup.timer
    remove_path "$UNIT_DIR/hallcall-backup.timer"
    remove_path "$UNIT_DIR/hallcall-backup.service"
fi
udev_changed=0
REBOOT_FOR=""
if has_role kiosk; then
    before=$CHANGED
    CHANGED=0
    put_file "$HERE/udev/60-hallcall-printers.rules" "$UDEV_RULE" 0644 root:root
    udev_changed=$CHANGED
    CHANGED=$((before | CHANGED))
else
    remove_path "$UDEV_RULE"
fi
put_file "$HERE/sdl-drivers.py" "$PREFIX/sdl-drivers.py" 0644 root:root
for role in kiosk display; do
    if [[ $SCREEN == desktop && $SCREEN_ROLE == "$role" ]]; then
        put_file "$HERE/systemd/user/hallcall-$role.service" "$USER_UNIT_DIR/hallcall-$role.service" 0644 root:root
        put_file "$HERE/desktop/hallcall-$role.desktop" "$AUTOSTART_DIR/hallcall-$role.desktop" 0644 root:root
        put_file "$HERE/desktop/hallcall-desktop" "$PREFIX/bin/hallcall-desktop" 0755 root:root
    else
        remove_path "$USER_UNIT_DIR/hallcall-$role.service"
        remove_path "$AUTOSTART_DIR/hallcall-$role.desktop"
    fi
done

if [[ $SCREEN == kms && -n $SCREEN_ROLE ]] &&
    [[ $(readlink -f /etc/systemd/system/default.target 2>/dev/null) == */graphical.target ]]; then
    warn "this Pi boots to the desktop, which holds the screen: switching it to boot to the console"
    run systemctl set-default multi-user.target
    REBOOT_FOR="the desktop to make way for the $SCREEN_ROLE"
fi
# The kiosk or display takes tty1 (Conflicts=getty@tty1.service). With the login prompt's getty
# also enabled there, both would be queued at boot and systemd would drop one of the two.
GETTY_LINK=/etc/systemd/system/getty.target.wants/getty@tty1.service
if [[ $SCREEN == kms && -n $SCREEN_ROLE ]] && { [[ -e $GETTY_LINK ]] || ((DRY_RUN)); }; then
    run systemctl disable getty@tty1.service
fi

# --- enable and start ----------------------------------------------------------------------

say "services"
ENABLE=()
for role in "${ROLE_NAMES[@]}"; do
    [[ -n ${UNIT[$role]} ]] && ENABLE+=("${UNIT[$role]}")
done
has_role hub && ENABLE+=(hallcall-backup.timer)
LIVE=0
if systemd_running || ((DRY_RUN)); then LIVE=1; fi
if ((LIVE)); then
    run systemctl daemon-reload
    if has_role kiosk && ((udev_changed)); then
        run_soft udevadm control --reload
        run_soft udevadm trigger --subsystem-match=usb --action=change
    fi
fi
if ((${#ENABLE[@]})); then
    run systemctl enable "${ENABLE[@]}"
fi

hub_may_start() {
    # The hub refuses to serve the public demo tokens beyond loopback; starting it would only
    # fill the journal with that refusal until the hall's own tokens are in hall.toml.
    if ((DRY_RUN)); then
        printf '[dry-run] start the hub only if %s passes check-config and has no public demo tokens\n' "$HALL_TOML"
        return 0
    fi
    "$VENV/bin/hallcall" check-config "$HALL_TOML" || return 1
    # Judged by the hall the hub will run: the database's once it holds one (hall.toml then
    # only seeds a new database), else the file's.
    "$VENV/bin/python" - "$HALL_TOML" "$LISTEN" /var/lib/hallcall/hallcall.db <<'PY'
import os
import sys
from hallcall.server.config import load_config, parse_config
from hallcall.server.wsgi import DemoTokensExposed, check_exposure
hall = None
if os.path.exists(sys.argv[3]):
    from hallcall.server.store import Store
    from hallcall.server.web.serialize import event_json
    try:
        store = Store.open_existing(sys.argv[3], event_json)
    except Exception:  # an older schema: the upgrade seeds the database from the file
        store = None
    if store is not None:
        try:
            with store.read(load_config(sys.argv[1])) as tx:
                stored = tx.hall_config()
            hall = parse_config(stored[1]) if stored else None
        finally:
            store.close()
try:
    check_exposure(hall or load_config(sys.argv[1]), sys.argv[2], False)
except DemoTokensExposed as exc:
    print(f"hallcall: the hub is not started: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

STARTED=()
if ((NO_START)); then
    note "--no-start: nothing started; the services start at the next boot"
elif ((LIVE)); then
    for unit in "${ENABLE[@]}"; do
        case $unit in
            hallcall-hub.service)
                if hub_may_start; then
                    run systemctl restart "$unit"
                    STARTED+=("$unit")
                else
                    note "hallcall-hub: enabled, not started: edit $HALL_TOML, then: sudo systemctl restart hallcall-hub"
                fi ;;
            hallcall-backup.timer) run systemctl start "$unit" ;;
            *) run systemctl restart "$unit"; STARTED+=("$unit") ;;
        esac
    done
fi

# --- what next -----------------------------------------------------------------------------

say "done$( ((DRY_RUN)) && printf ' (dry run: nothing was changed)')"
if has_role hub; then
    note "hall config: $HALL_TOML; check it with: $VENV/bin/hallcall check-config $HALL_TOML"
    note "the hub: $HUB_URL/ (from other Pis: http://<this Pi's address>:$PORT/)"
    note "backups: nightly into $BACKUPS (systemctl list-timers hallcall-backup.timer)"
fi
if has_role central; then
    note "the central: http://<this machine's address>:$CENTRAL_PORT/ (the city overview); the halls' [central] url"
    note "its health: curl http://127.0.0.1:$CENTRAL_PORT/api/central/health"
fi
if [[ $SCREEN == desktop && -n $SCREEN_ROLE ]]; then
    note "the $SCREEN_ROLE starts when $DESKTOP_USER's desktop starts: reboot (or log out and in) now"
fi
if [[ -n $REBOOT_FOR ]]; then
    note "reboot now for $REBOOT_FOR: sudo reboot"
fi
if has_role kiosk && [[ $PRINTER == usb://* ]]; then
    note "printer test: sudo -u $SERVICE_USER $VENV/bin/hallcall print-test --printer '$PRINTER'"
fi
note "status: systemctl status 'hallcall-*'   logs: journalctl -u hallcall-<role> -f"
