#!/usr/bin/env bash
# The lab's pod network, in a network namespace of its own: the pod CIDR lives on the namespace's lo,
# a veth pair joins it to the host, and the host routes the pod CIDR over it. So a real kube-apiserver's
# service proxy (on the host) reaches 10.244.x.y:port, where the lab's forwarder answers for the pod,
# while no host interface carries a 10.x address. Idempotent: it does what is missing and says so.
# Needs root (sudo when not). Undone by scripts/podnet-down.sh, with the same environment.
#   KDRILL_POD_NETNS     the namespace (kdrill-pods); the lab reads the same variable
#   KDRILL_PODNET_CIDR   the pod addresses (10.244.0.0/16)
#   KDRILL_PODNET_LINK   the veth's /30, host end .1 and namespace end .2 (169.254.244.0): link-local, not 10.x
#   KDRILL_PODNET_IF     the host end of the veth (kdpods0; at most 15 characters)
set -euo pipefail
NS=${KDRILL_POD_NETNS:-kdrill-pods}
CIDR=${KDRILL_PODNET_CIDR:-10.244.0.0/16}
LINK=${KDRILL_PODNET_LINK:-169.254.244.0}
HOST_IF=${KDRILL_PODNET_IF:-kdpods0}
NS_IF=pods0
prefix=${LINK%.*}; last=${LINK##*.}
HOST_ADDR=$prefix.$((last + 1)); NS_ADDR=$prefix.$((last + 2))
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
ip() { if [ -n "$SUDO" ]; then sudo ip "$@"; else command ip "$@"; fi; }
say() { echo "podnet-up: $*"; }

case $HOST_ADDR in 10.*) echo "podnet-up: $LINK is a 10.x address; the host end must not be one" >&2; exit 1 ;; esac
# a pod address on the host (the old `ip addr add 10.244.0.0/16 dev lo`) would shadow the route
if ip -4 -o addr show | grep -E "inet ${CIDR%%.*}\." >&2; then
  echo "podnet-up: a host interface carries a ${CIDR%%.*}.x address (above); remove it first (ip addr del …)" >&2
  exit 1
fi

if [ -e "/run/netns/$NS" ]; then say "network namespace $NS exists"; else ip netns add "$NS"; say "added network namespace $NS"; fi
ip -n "$NS" link set lo up

if ip link show "$HOST_IF" >/dev/null 2>&1; then
  say "veth $HOST_IF exists"
else
  ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NS"
  say "added veth $HOST_IF (host) <-> $NS_IF (in $NS)"
fi
ip -n "$NS" link show "$NS_IF" >/dev/null 2>&1 || { echo "podnet-up: $HOST_IF exists but its peer $NS_IF is not in $NS; run scripts/podnet-down.sh" >&2; exit 1; }

addr() { # netns-or-empty, address, device
  local n=${1:+-n $1}
  # shellcheck disable=SC2086
  if ip $n -4 -o addr show dev "$3" | grep -q "inet $2 "; then say "$3${1:+ (in $1)} has $2"; else ip $n addr add "$2" dev "$3"; say "put $2 on $3${1:+ (in $1)}"; fi
}
addr "" "$HOST_ADDR/30" "$HOST_IF"
addr "$NS" "$NS_ADDR/30" "$NS_IF"
# on lo, the whole CIDR is local in the namespace: the forwarder can bind any pod address in it
addr "$NS" "$CIDR" lo
ip link set "$HOST_IF" up
ip -n "$NS" link set "$NS_IF" up

if ip -4 route show exact "$CIDR" | grep -q "via $NS_ADDR dev $HOST_IF "; then
  say "route $CIDR via $NS_ADDR dev $HOST_IF exists"
else
  ip route replace "$CIDR" via "$NS_ADDR" dev "$HOST_IF"
  say "routed $CIDR via $NS_ADDR dev $HOST_IF"
fi
say "ready: $(ip -4 route get "${CIDR%.*}.2" | head -1)"
