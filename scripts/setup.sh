#!/usr/bin/env bash
# Set up officeflow in ./.venv on a Debian machine with Python 3.11.
#   bash scripts/setup.sh          the tool itself
#   bash scripts/setup.sh --test   plus test tools, LibreOffice (headless) and CJK fonts
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi

if [ "$want_test" = 1 ]; then
    # LibreOffice renders PDFs (training copies) and proves templates open cleanly;
    # Noto CJK gives it Chinese glyphs (without it PDFs show boxes).
    missing=()
    command -v soffice >/dev/null || missing+=(libreoffice-writer-nogui libreoffice-calc-nogui)
    fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
    # Symbols and emoji the document fonts lack print in Symbola instead of as boxes.
    fc-list 2>/dev/null | grep -qi "Symbola" || missing+=(fonts-symbola)
    command -v pdftoppm >/dev/null || missing+=(poppler-utils)
    # A throwaway PostgreSQL cluster for the multi-host ledger tests (Debian keeps initdb off PATH).
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    # A real browser for the portal's page tests.
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [ "$want_test" = 1 ]; then
    .venv/bin/python -m pip install -q -e ".[test,postgres,portal]"
else
    .venv/bin/python -m pip install -q -e .
fi
echo "officeflow is installed in .venv ($(.venv/bin/officeflow --version))"
