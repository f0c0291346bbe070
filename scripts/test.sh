#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run every test.
# Used by README (command 2) and by .ci/run. Safe to run again: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need_apt+=(qpdf)
command -v gs >/dev/null 2>&1 || need_apt+=(ghostscript)
# PostgreSQL + PostGIS for the PostGIS store's tests: tests/pg_cluster.py initdb's and starts its own
# throwaway cluster (never the system one) and stops it at the end of the run.
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need_apt+=(postgresql-15-postgis-3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [[ " ${need_apt[*]} " == *" postgresql "* ]]; then
    # Installing the server would create and start Debian's own cluster (port 5432): the tests never use
    # it, so it is not created; they start and stop their own.
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/ipgrid-tests.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "==> pip install -e .[test]"
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

echo "==> ruff check"
python3 -m ruff check .

echo "==> vulture (dead code)"
python3 -m vulture dashboard loaders geodata streamlit_app.py kiosk.py scripts/vulture_whitelist.py --min-confidence 60

echo "==> mypy"
python3 -m mypy loaders dashboard geodata streamlit_app.py kiosk.py

echo "==> pytest"
python3 -m pytest -q "$@"
