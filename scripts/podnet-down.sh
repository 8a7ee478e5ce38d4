#!/usr/bin/env bash
# Undoes scripts/podnet-up.sh (same environment): the route, the veth and the network namespace. Idempotent:
# what is already gone is left alone, and it says what it removed.
set -uo pipefail
NS=${KDRILL_POD_NETNS:-kdrill-pods}
CIDR=${KDRILL_PODNET_CIDR:-10.244.0.0/16}
HOST_IF=${KDRILL_PODNET_IF:-kdpods0}
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
ip() { if [ -n "$SUDO" ]; then sudo ip "$@"; else command ip "$@"; fi; }
did=
say() { echo "podnet-down: $*"; did=1; }

if [ -n "$(ip -4 route show exact "$CIDR" dev "$HOST_IF" 2>/dev/null)" ]; then ip route del "$CIDR" dev "$HOST_IF" && say "removed route $CIDR dev $HOST_IF"; fi
# deleting one end of a veth deletes the other
if ip link show "$HOST_IF" >/dev/null 2>&1; then ip link del "$HOST_IF" && say "removed veth $HOST_IF"; fi
if [ -e "/run/netns/$NS" ]; then
  # a forwarder left by a lab that was killed: deleting the name would not end it, only orphan it
  pids=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
  if [ -n "${pids// /}" ]; then
    say "stopping processes left in $NS: $pids"
    # shellcheck disable=SC2086
    $SUDO kill $pids 2>/dev/null || true
  fi
  ip netns del "$NS" && say "removed network namespace $NS"
fi
[ -n "$did" ] || echo "podnet-down: nothing to remove ($NS, $HOST_IF, $CIDR are gone)"
exit 0
