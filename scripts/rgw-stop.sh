#!/usr/bin/env bash
# Stop the daemons started by start-rgw.sh, by the PIDs in their pid files. Add --wipe to delete the data dir.
set -uo pipefail
BASE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${RGW_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kdrill-rgw}"
for name in client.rgw.a osd.0 mon.a; do          # reverse start order
  f="$DIR/run/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { echo "$name ($pid) ignored TERM, sending KILL"; kill -KILL "$pid"; }
    echo "stopped $name ($pid)"
  fi
  rm -f "$f"
done
[ "${1:-}" = "--wipe" ] && rm -rf "$DIR" && echo "wiped $DIR"
exit 0
