#!/usr/bin/env bash
# The web page is tested in a real headless Chromium driven by Playwright. Playwright's own browser
# download needs the internet, so the tests use Debian's chromium package instead; install it when
# missing (needs root or sudo, as on the CI machine). Set AGGREGATOR_CHROMIUM to use another binary.
# The app speaks Chinese too: a CJK font (Debian's fonts-wqy-microhei, 5 MB) is installed with the
# browser so Chinese text renders in the tests' screenshots instead of empty boxes.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
want=()
if ! { [ -n "${AGGREGATOR_CHROMIUM:-}" ] && [ -x "${AGGREGATOR_CHROMIUM}" ]; } \
   && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  want+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
  want+=(fonts-wqy-microhei)
elif ! command -v fc-list >/dev/null 2>&1; then
  want+=(fonts-wqy-microhei)
fi
if [ ${#want[@]} -eq 0 ]; then exit 0; fi
echo "installing Debian's ${want[*]} for the browser tests" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${want[@]}" >/dev/null
