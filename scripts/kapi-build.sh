#!/usr/bin/env bash
# Build kube-apiserver + kube-controller-manager v1.20.2 from Debian bookworm's
# `kubernetes` SOURCE package (the orig tarball keeps upstream's vendor/), using
# Debian's golang-1.19. No Go module proxy, no GitHub: only deb.debian.org.
# Output: $OUT/kube-apiserver, $OUT/kube-controller-manager
set -euo pipefail
W=${W:-${XDG_CACHE_HOME:-$HOME/.cache}/kapi-build}   # scratch dir (about 2 GB with the Go cache)
OUT=${OUT:-$W/bin}
mkdir -p "$W" "$OUT"; cd "$W"

# Warm runs skip everything: the binaries are cached outside the repo, keyed by version.
if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -z "${KAPI_REBUILD:-}" ] \
   && command -v etcd >/dev/null && "$OUT/kube-apiserver" --version 2>/dev/null | grep -q v1.20.2; then
  echo "kapi-build: cached binaries in $OUT (KAPI_REBUILD=1 to rebuild)"; exit 0
fi

# 1) toolchain + etcd (Debian bookworm main)
need=; for p in golang-1.19-go etcd-server etcd-client; do dpkg -s $p >/dev/null 2>&1 || need="$need $p"; done
[ -z "$need" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need

# 2) fetch the source package without touching /etc/apt (private deb-src list)
A=$W/apt; mkdir -p $A/lists/partial $A/cache/archives/partial
echo "deb-src http://deb.debian.org/debian bookworm main" > $A/sources.list
APTO="-o Dir::Etc::SourceList=$A/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$A/lists -o Dir::Cache=$A/cache"
if [ ! -d kubernetes-1.20.2 ]; then
  apt-get $APTO update
  apt-get $APTO source --download-only kubernetes=1.20.5+really1.20.2-1.1+deb12u1
  tar xzf kubernetes_1.20.5+really1.20.2.orig.tar.gz      # -> kubernetes-1.20.2/ (with vendor/)
fi
SRC=$W/kubernetes-1.20.2

# 3) Go >=1.18 fix: vendored modern-go/reflect2 v1.0.1 makes json-iterator panic
#    (nil deref in reflect.mapiterinit, e.g. on every custom-resource POST).
#    Swap in reflect2 v1.0.2 from Debian's golang-github-modern-go-reflect2-dev.
R=$SRC/vendor/github.com/modern-go/reflect2
if ! [ -f $R/go_above_118.go ]; then
  (cd $W && apt-get download golang-github-modern-go-reflect2-dev && dpkg -x golang-github-modern-go-reflect2-dev_*.deb r2)
  find $R -maxdepth 1 -name '*.go' -delete; find $R -maxdepth 1 -name '*.s' -delete
  cp $W/r2/usr/share/gocode/src/github.com/modern-go/reflect2/*.go $W/r2/usr/share/gocode/src/github.com/modern-go/reflect2/*.s $R/
fi

# 4) k8s 1.20 builds in GOPATH mode (hack/lib/init.sh sets GO111MODULE=off)
export PATH=/usr/lib/go-1.19/bin:$PATH GO111MODULE=off GOPATH=$W/gopath GOCACHE=$W/gocache CGO_ENABLED=0 GOPROXY=off
mkdir -p $GOPATH/src/k8s.io; ln -sfn $SRC $GOPATH/src/k8s.io/kubernetes
cd $GOPATH/src/k8s.io/kubernetes

# 5) the only generated file not in the tarball: pkg/generated/openapi/zz_generated.openapi.go
if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then
  go build -o $W/openapi-gen k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen
  dirs=$({ grep -rl --include='*.go' -E '^// *\+k8s:openapi-gen=' pkg cmd plugin third_party 2>/dev/null
           grep -Rl --include='*.go' -E '^// *\+k8s:openapi-gen=' vendor/k8s.io/ 2>/dev/null \
             | grep -v -E '^vendor/k8s.io/(code-generator|sample-apiserver|kube-openapi)/'; } \
         | grep -v /testdata/ | xargs -n1 dirname | LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)
  $W/openapi-gen --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r $W/openapi-violations.report
  # sanity: must equal upstream's known-violations list
  diff <(sort $W/openapi-violations.report) <(sort api/api-rules/violation_exceptions.list) >/dev/null \
    || echo "WARN: openapi violation report differs from upstream list"
fi

# 6) build (version stamped so discovery/kubectl report v1.20.2)
V=k8s.io/kubernetes/vendor/k8s.io; LDF="-s -w"
for p in component-base/version client-go/pkg/version; do
  LDF="$LDF -X $V/$p.gitVersion=v1.20.2 -X $V/$p.gitMajor=1 -X $V/$p.gitMinor=20 -X $V/$p.gitTreeState=clean"
  LDF="$LDF -X $V/$p.gitCommit=faecb196815e248d3ecfb03c680a4507229c2a56 -X $V/$p.buildDate=2021-01-13T13:20:00Z"
done
for c in kube-apiserver kube-controller-manager; do
  go build -o "$OUT/$c" -ldflags "$LDF" k8s.io/kubernetes/cmd/$c
done
ls -la "$OUT"; "$OUT/kube-apiserver" --version
