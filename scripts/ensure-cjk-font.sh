#!/usr/bin/env bash
# Share posters (core/posters.py) draw Chinese text with a CJK font from the machine, never one
# downloaded at run time: Debian's fonts-noto-cjk (Noto Sans CJK, SIL Open Font Licence).
# Install it when it is missing and we can (root + apt); otherwise say what to do.
set -euo pipefail
FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
if [ -n "${POSTER_FONT:-}" ] && [ -f "$POSTER_FONT" ]; then exit 0; fi
if [ -f "$FONT" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's fonts-noto-cjk for the share posters..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends fonts-noto-cjk >/dev/null
  exit 0
fi
echo "No CJK font for the share posters: run 'sudo apt-get install fonts-noto-cjk' (or set POSTER_FONT)" >&2
exit 1
