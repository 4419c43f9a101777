# shellcheck shell=bash
# shellcheck disable=SC2034  # the names below are used by the scripts that source this file
# Shared by install.sh and upgrade.sh: where things go, messages, and the one door every change
# goes through (run, put_file, put_text, make_dir), so that --dry-run prints each change instead
# of making it. Sourced, not run.

PREFIX=/opt/hallcall
VENV=$PREFIX/venv
ETC=/etc/hallcall
ENV_FILE=$ETC/hallcall.env
HALL_TOML=$ETC/hall.toml
DATA=/var/lib/hallcall
DB=$DATA/hallcall.db
BACKUPS=/var/backups/hallcall
UNIT_DIR=/etc/systemd/system
USER_UNIT_DIR=/etc/systemd/user
AUTOSTART_DIR=/etc/xdg/autostart
UDEV_RULE=/etc/udev/rules.d/60-hallcall-printers.rules
SERVICE_USER=hallcall
# Debian's own Python: its virtualenv sees Debian's python3-lgpio and python3-pygame (another
# Python on PATH, e.g. pyenv's or /usr/local's, would not).
PYTHON=/usr/bin/python3
ROLE_NAMES=(hub kiosk display buttons central)

DRY_RUN=${DRY_RUN:-0}
CHANGED=0  # set when a file was written: units then need a daemon-reload

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'hallcall: warning: %s\n' "$*" >&2; }
die() {  # die MESSAGE [EXIT_STATUS]
    printf 'hallcall: %s\n' "$1" >&2
    exit "${2:-1}"
}

# quote_cmd ARGS...: the command as one line a person can paste into a shell.
quote_cmd() {
    local out="" arg
    for arg in "$@"; do
        if [[ ! $arg =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
            arg="'${arg//\'/\'\\\'\'}'"
        fi
        out+="${out:+ }$arg"
    done
    printf '%s' "$out"
}

# run CMD ARGS...: print the command; run it unless this is a dry run.
run() {
    if ((DRY_RUN)); then
        printf '[dry-run] %s\n' "$(quote_cmd "$@")"
        return 0
    fi
    printf '+ %s\n' "$(quote_cmd "$@")"
    "$@"
}

# run_soft CMD ARGS...: like run, but a failure is only a warning (e.g. udev not running).
run_soft() {
    run "$@" || warn "'$(quote_cmd "$@")' failed (status $?); carrying on"
}

systemd_running() { [[ -d /run/systemd/system ]]; }

# owner_of PATH: "user:group mode" of an existing path, empty if it does not exist.
state_of() { stat -c '%U:%G %a' "$1" 2>/dev/null || true; }

# make_dir PATH MODE OWNER:GROUP
make_dir() {
    local path=$1 mode=$2 owner=$3
    if [[ "$(state_of "$path")" == "$owner ${mode#0}" && -d $path ]]; then
        return 0
    fi
    run install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
}

# put_file SOURCE DEST MODE OWNER:GROUP: install a copy of SOURCE unless DEST is the same.
put_file() {
    local src=$1 dest=$2 mode=$3 owner=$4
    if [[ -f $dest && -r $dest ]] && cmp -s "$src" "$dest" &&
        [[ "$(state_of "$dest")" == "$owner ${mode#0}" ]]; then
        note "unchanged: $dest"
        return 0
    fi
    CHANGED=1
    run install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest"
}

# put_text DEST MODE OWNER:GROUP [secret]: write standard input to DEST (atomically: a file
# beside it, then rename), unless DEST already holds exactly that. With "secret", lines whose
# name ends in _TOKEN are printed masked.
put_text() {
    local dest=$1 mode=$2 owner=$3 secret=${4:-} content tmp line
    content=$(cat)
    if [[ -f $dest && -r $dest ]] && [[ "$(cat "$dest")" == "$content" ]] &&
        [[ "$(state_of "$dest")" == "$owner ${mode#0}" ]]; then
        note "unchanged: $dest"
        return 0
    fi
    CHANGED=1
    if ((DRY_RUN)); then
        printf '[dry-run] write %s (%s %s):\n' "$dest" "$mode" "$owner"
        while IFS= read -r line; do
            # Tokens, and the central's database URL (it may hold a password).
            if [[ $secret == secret && $line =~ ^([A-Z_]*_TOKEN|HALLCALL_CENTRAL_DB)=\"(.*)\"$ ]]; then
                line="${BASH_REMATCH[1]}=<hidden: ${#BASH_REMATCH[2]} characters>"
            fi
            printf '    | %s\n' "$line"
        done <<<"$content"
        return 0
    fi
    printf '+ write %s (%s %s)\n' "$dest" "$mode" "$owner"
    # (install -d would also reset the mode of an existing folder)
    [[ -d "$(dirname "$dest")" ]] || mkdir -p "$(dirname "$dest")"
    tmp=$(mktemp "$dest.XXXXXX")  # 0600: nobody reads a secret before its mode is set
    printf '%s\n' "$content" >"$tmp"
    chown "$owner" "$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
}

# remove_path PATH: delete a file this installer put there once.
remove_path() {
    if [[ -e $1 || -L $1 ]]; then
        CHANGED=1
        run rm -f "$1"
    fi
}

# env_value NAME [FILE]: a value from the settings file install.sh wrote (NAME="value" lines,
# read as data, never executed).
env_value() {
    local name=$1 file=${2:-$ENV_FILE} line
    [[ -r $file ]] || return 0
    while IFS= read -r line; do
        if [[ $line =~ ^${name}=\"(.*)\"$ ]]; then
            printf '%s' "${BASH_REMATCH[1]}"
            return 0
        fi
    done <"$file"
}

has_role() {  # has_role ROLE: is ROLE in the comma-separated $ROLES?
    [[ ",$ROLES," == *",$1,"* ]]
}

# --- the virtualenv and the code in it -----------------------------------------------------

STAGE=""
cleanup_stage() {
    if [[ -n $STAGE && -d $STAGE ]]; then rm -rf "$STAGE"; fi
}

# venv_ok: the virtualenv exists, was made from Debian's Python as it is now (not an older
# one, before an OS upgrade), and sees Debian's packages.
venv_ok() {
    [[ -x $VENV/bin/python && -f $VENV/pyvenv.cfg ]] || return 1
    grep -qx 'home = /usr/bin' "$VENV/pyvenv.cfg" || return 1
    grep -qx 'include-system-site-packages = true' "$VENV/pyvenv.cfg" || return 1
    local ours theirs
    ours=$("$VENV/bin/python" -c 'import sys; print(sys.version_info[:2])' 2>/dev/null) || return 1
    theirs=$("$PYTHON" -c 'import sys; print(sys.version_info[:2])')
    [[ $ours == "$theirs" ]]
}

# install_code SOURCE EXTRAS PYGAME WHEELS: make or keep the virtualenv, then pip-install the
# project from a clean copy of SOURCE with the extras (comma-separated). PYGAME=source builds
# pygame against Debian's SDL first; WHEELS is a folder to install from instead of PyPI.
install_code() {
    local source=$1 extras=$2 pygame=$3 wheels=$4 target
    local pip_opts=() no_binary=(--no-binary pygame)
    if [[ -n $wheels ]]; then
        pip_opts+=(--no-index --find-links "$wheels")
        no_binary=()  # the folder holds a pygame wheel built on a Pi (see deploy/README.md)
    fi
    if venv_ok; then
        note "kept: $VENV"
    else
        # --system-site-packages: Debian's python3-lgpio (and python3-pygame on Trixie) are
        # seen from the venv. --clear: a venv of an older Python (after an OS upgrade) is redone.
        run "$PYTHON" -m venv --clear --system-site-packages "$VENV"
    fi
    if [[ $pygame == source ]]; then
        if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" "$HERE/sdl-drivers.py" >/dev/null 2>&1; then
            note "kept: pygame with SDL's KMSDRM driver"
        else
            # PyPI's pygame wheels bundle an SDL without KMSDRM; built from source, pygame
            # links Debian's SDL, which has it. Takes several minutes on a Pi 4.
            run "$VENV/bin/python" -m pip install "${pip_opts[@]}" --force-reinstall --no-deps \
                "${no_binary[@]}" 'pygame>=2.5'
        fi
    fi
    # Built from a copy: never writes build/ or *.egg-info into SOURCE (which may be a read-only
    # USB stick), and never picks up files a previous build left there.
    if ((DRY_RUN)); then
        target="<copy of $source>"
        printf '[dry-run] copy %s to a temporary folder (without .git, build, dist, *.egg-info)\n' "$source"
    else
        STAGE=$(mktemp -d /tmp/hallcall-source.XXXXXX)
        trap cleanup_stage EXIT
        printf '+ copy %s to %s\n' "$source" "$STAGE"
        tar -C "$source" --exclude=./.git --exclude=./build --exclude=./dist \
            --exclude='*.egg-info' --exclude=__pycache__ --exclude=./var --exclude=./.pytest_cache \
            --exclude=./.hypothesis --exclude=./hallcall-demo -cf - . | tar -C "$STAGE" -xf -
        target=$STAGE
    fi
    run "$VENV/bin/python" -m pip install "${pip_opts[@]}" "$target${extras:+[$extras]}"
}

# source_version SOURCE: the version the source folder declares (server/__init__.py).
source_version() {
    sed -n 's/^__version__ *= *"\(.*\)"/\1/p' "$1/server/__init__.py"
}

# add_to_groups USER GROUP...: add USER to those of the groups it is not in yet.
add_to_groups() {
    local user=$1 group missing=()
    shift
    for group in "$@"; do
        if ! id -nG "$user" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
            missing+=("$group")
        fi
    done
    if ((${#missing[@]})); then
        run usermod -a -G "$(IFS=,; printf '%s' "${missing[*]}")" "$user"
    else
        note "$user: already in ${*}"
    fi
}
