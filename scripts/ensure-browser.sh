#!/usr/bin/env bash
# The web page is tested in a real headless Chromium driven by Playwright. Playwright's own browser
# download needs the internet, so the tests use Debian's chromium package instead; install it when
# missing (needs root or sudo, as on the CI machine). Set AGGREGATOR_CHROMIUM to use another binary.
set -euo pipefail
if [ -n "${AGGREGATOR_CHROMIUM:-}" ] && [ -x "${AGGREGATOR_CHROMIUM}" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing Debian's chromium for the browser tests" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
