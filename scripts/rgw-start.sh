#!/usr/bin/env bash
# Minimal single-node Ceph (1 mon, 1 OSD, no mgr) + RADOS Gateway (beast) on 127.0.0.1,
# everything under $RGW_DIR; auth none (no cephx); no systemd; works as root or any user.
# Debian 12 packages: radosgw ceph-mon ceph-osd ceph-common (16.2.15).
#   start-rgw.sh          wipe $RGW_DIR and build a fresh cluster + S3 user
#   start-rgw.sh --keep   restart the daemons of an existing $RGW_DIR (after stop-rgw.sh)
# env: RGW_DIR (default ./cluster beside this script), RGW_PORT (7480), MON_PORT (3300),
#      OSD_STORE (memstore | bluestore), S3_ACCESS_KEY, S3_SECRET_KEY
set -euo pipefail

BASE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${RGW_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kdrill-rgw}"
RGW_PORT="${RGW_PORT:-7480}"
MON_PORT="${MON_PORT:-3300}"          # msgr2 only, no v1 port
OSD_STORE="${OSD_STORE:-memstore}"    # memstore: RAM (saved on clean stop) | bluestore: sparse file $DIR/osd/0/block
AK="${S3_ACCESS_KEY:-TESTACCESSKEY0000001}"
SK="${S3_SECRET_KEY:-testsecretkey0000000000000000000000000001}"
T0=$(date +%s%N)
el() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }
die() { echo "start-rgw: $*" >&2; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

export CEPH_CONF="$DIR/ceph.conf"
if ls "$DIR"/run/*.pid >/dev/null 2>&1; then die "pid files exist in $DIR/run: run stop-rgw.sh first"; fi

if [ "${1:-}" = "--keep" ]; then
  [ -f "$CEPH_CONF" ] || die "no $CEPH_CONF to restart"
  RGW_PORT=$(sed -n 's/^rgw frontends = beast endpoint=127.0.0.1:\([0-9]*\)$/\1/p' "$CEPH_CONF")
  MON_PORT=$(sed -n 's/^mon host = v2:127.0.0.1:\([0-9]*\)$/\1/p' "$CEPH_CONF")
fi
for p in "$MON_PORT" "$RGW_PORT"; do port_busy "$p" && die "127.0.0.1:$p is already in use"; done

if [ "${1:-}" != "--keep" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"/{mon/a,osd/0,rgw,run,log}
  FSID=$(uuidgen)
  cat > "$CEPH_CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
keyring = /dev/null
# single OSD: 1 replica, few PGs, no redundancy warnings, no autoscaler (there is no mgr)
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
mon allow pool delete = true
# each osdmap change (osd boot, every pool RGW creates) waits one paxos round, 1 s by default
paxos propose interval = 0.05
paxos min wait = 0.01
# no ceph-mgr is run: MGR_DOWN is only raised after this grace; auth is none so the global_id warning is moot
mon mgr mkfs grace = 315360000
mon warn on insecure global id reclaim allowed = false

[mon]
mon data = $DIR/mon/\$id
mon cluster log file = $DIR/log/mon-cluster.log

[osd]
osd data = $DIR/osd/\$id
osd objectstore = $OSD_STORE
# memstore keeps objects in RAM (capped here) and writes them to osd data only on a clean
# (non-fast) shutdown; with the default fast shutdown a restart finds an empty OSD
memstore device bytes = 2147483648
osd fast shutdown = false
# bluestore: sparse 8 GiB file instead of a block device, small cache target
bluestore block create = true
bluestore block size = 8589934592
osd memory target = 939524096
osd class load list = *
osd class default list = *

[client.rgw.a]
# radosgw's built-in defaults are auth_client_required=cephx and ms_mon_client_mode=secure;
# with auth none the mon handshake then fails (-13) forever unless both are overridden here
auth client required = none
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw thread pool size = 64
EOF
  # --- monitor ---
  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -i a --mkfs --monmap "$DIR/monmap" --keyring /dev/null
fi

ceph-mon -i a                            # daemonizes; pid in $DIR/run/mon.a.pid
echo "mon started ($(el))"

# --- OSD ---
if [ "${1:-}" != "--keep" ]; then
  OSD_UUID=$(uuidgen)
  OSD_ID=$(ceph --connect-timeout 30 osd new "$OSD_UUID")
  [ "$OSD_ID" = 0 ] || die "unexpected osd id $OSD_ID"
  ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>"$DIR/log/osd-mkfs.err"
fi
ceph-osd -i 0 2>>"$DIR/log/osd-start.err"  # daemonizes; pid in $DIR/run/osd.0.pid
for i in $(seq 1 240); do
  ceph --connect-timeout 10 osd stat 2>/dev/null | grep -q ' 1 up' && break; sleep 0.25
done
ceph osd stat | grep -q ' 1 up' || die "OSD did not come up (see $DIR/log/osd.0.log)"
echo "osd up ($(el))"

# --- RADOS Gateway ---
timeout 60 radosgw -n client.rgw.a      # daemonizes once connected; pid in $DIR/run/client.rgw.a.pid
for i in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 0.25
done
curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" || die "RGW did not answer (see $DIR/log/client.rgw.a.log)"
echo "rgw answering on http://127.0.0.1:$RGW_PORT ($(el))"

# --- S3 user with fixed keys ---
if [ "${1:-}" != "--keep" ]; then
  radosgw-admin user create --uid=tester --display-name="Tester" \
    --access-key="$AK" --secret-key="$SK" >"$DIR/log/user-create.json"
  echo "user tester created ($(el)); access key $AK"
fi
echo "health: $(ceph health)"
