#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for the Kubernetes backend's tests.
#
#   scripts/test-cluster.sh build   build (once) and cache kube-apiserver, kube-controller-manager,
#                                   kube-scheduler and kubectl v1.20 from Debian's source package
#   scripts/test-cluster.sh up      build if needed, then start etcd, the three control-plane
#                                   binaries (RBAC on) and our node agent; prints the kubeconfig path
#   scripts/test-cluster.sh down    stop everything `up` started and remove its state
#   scripts/test-cluster.sh status  exit 0 when the cluster is up and its node is Ready
#
# Paths (docs/kubernetes.md):
#   WHARF_K8S_CACHE   binaries and their build, kept between runs  (default ~/.cache/wharf-k8s)
#   WHARF_K8S_STATE   the running cluster: certificates, etcd data, logs, kubeconfigs
#                     (default /tmp/wharf-k8s); the admin kubeconfig is $WHARF_K8S_STATE/admin.kubeconfig
# Needs root (network namespaces and veth pairs for pods), Debian's apt sources, and Node 20.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${WHARF_K8S_CACHE:-${HOME:-/root}/.cache/wharf-k8s}"
STATE="${WHARF_K8S_STATE:-/tmp/wharf-k8s}"
BIN="$CACHE/bin"
APISERVER_PORT="${WHARF_K8S_API_PORT:-16443}"
ETCD_PORT="${WHARF_K8S_ETCD_PORT:-12379}"
# The pods' network: a bridge on the host, one veth pair and network namespace per pod.
POD_BRIDGE="wharf-k8s0"
POD_CIDR="10.244.0.0/24"
POD_GATEWAY="10.244.0.1"
SERVICE_CIDR="10.96.0.0/24"
NODE_NAME="wharf-node-1"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

log() { printf 'test-cluster: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

# A private apt configuration whose only sources are the machine's own Debian sources as deb-src,
# so `apt-get source` works without touching the system's lists.
private_apt() {
  local dir="$CACHE/apt"
  mkdir -p "$dir/parts" "$dir/lists/partial"
  rm -f "$dir/parts/"*
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -qi 'debian' "$f" || continue
    sed 's/^Types:.*/Types: deb-src/' "$f" >"$dir/parts/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | grep -i debian | sed 's/^deb /deb-src /' >"$dir/parts/sources.list" || true
  fi
  cat >"$dir/apt.conf" <<EOF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$dir/parts";
Dir::State::Lists "$dir/lists";
EOF
  APT_CONFIG="$dir/apt.conf" apt-get update -q >/dev/null
  echo "$dir/apt.conf"
}

cmd_build() {
  local have=1
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || have=0; done
  if [ $have -eq 1 ]; then return 0; fi
  apt_install golang-go etcd-server dpkg-dev rsync openssl iproute2
  local conf src
  conf="$(private_apt)"
  src="$CACHE/src"
  mkdir -p "$src" "$BIN"
  if [ ! -d "$src/kubernetes" ]; then
    log "fetching Debian's kubernetes source package"
    (cd "$src" && APT_CONFIG="$conf" apt-get source --download-only kubernetes >/dev/null 2>&1)
    local dsc
    dsc="$(ls "$src"/kubernetes_*.dsc | head -n1)"
    (cd "$src" && dpkg-source -x "$dsc" kubernetes >/dev/null)
  fi
  log "building ${BINARIES[*]} (about 10-25 minutes on 2 cores; once)"
  (cd "$src/kubernetes" && env CGO_ENABLED=0 HOME="$CACHE/home" nice -n 10 \
    make WHAT="$(printf 'cmd/%s ' "${BINARIES[@]}")" >"$CACHE/build.log" 2>&1) \
    || die "build failed; see $CACHE/build.log"
  for b in "${BINARIES[@]}"; do cp "$src/kubernetes/_output/bin/$b" "$BIN/$b"; done
  log "built into $BIN"
}

# Certificates: one CA; the API server's serving certificate; client certificates for the admin
# (system:masters), the controller manager, the scheduler and the node agent; the service-account key.
make_certs() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=wharf-test-ca" >/dev/null 2>&1
  cat >apiserver.ext <<EOF
subjectAltName=IP:127.0.0.1,IP:${POD_GATEWAY},IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
EOF
  issue apiserver "/CN=kube-apiserver" apiserver.ext
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  issue admin "/O=system:masters/CN=admin" client.ext
  issue controller-manager "/CN=system:kube-controller-manager" client.ext
  issue scheduler "/CN=system:kube-scheduler" client.ext
  issue node "/O=system:masters/CN=system:node:${NODE_NAME}" client.ext
  openssl genrsa -out sa.key 2048 >/dev/null 2>&1
  openssl rsa -in sa.key -pubout -out sa.pub >/dev/null 2>&1
  cd - >/dev/null
}

issue() {
  local name="$1" subject="$2" ext="$3"
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject" >/dev/null 2>&1
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 30 -extfile "$ext" >/dev/null 2>&1
}

kubeconfig() {
  local user="$1" out="$2" pki="$STATE/pki"
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wharf-test
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority: ${pki}/ca.crt
users:
- name: ${user}
  user:
    client-certificate: ${pki}/${user}.crt
    client-key: ${pki}/${user}.key
contexts:
- name: wharf-test
  context: { cluster: wharf-test, user: ${user}, namespace: default }
current-context: wharf-test
EOF
}

start() {
  local name="$1"; shift
  nohup "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo "$!" >"$STATE/pids/$name"
}

wait_for() {
  local what="$1" tries="$2"; shift 2
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not come up; logs in $STATE/logs"
}

pod_network() {
  sysctl -qw net.ipv4.ip_forward=1
  ip link show "$POD_BRIDGE" >/dev/null 2>&1 || ip link add "$POD_BRIDGE" type bridge
  ip addr replace "$POD_GATEWAY/24" dev "$POD_BRIDGE"
  ip link set "$POD_BRIDGE" up
}

cmd_up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (pods get network namespaces and veth pairs)"
  if cmd_status 2>/dev/null; then log "already up: $STATE/admin.kubeconfig"; echo "$STATE/admin.kubeconfig"; return 0; fi
  cmd_down 2>/dev/null || true
  cmd_build
  apt_install etcd-server openssl iproute2 curl
  mkdir -p "$STATE/logs" "$STATE/pids" "$STATE/etcd"
  make_certs
  local pki="$STATE/pki"
  kubeconfig admin "$STATE/admin.kubeconfig"
  kubeconfig controller-manager "$STATE/controller-manager.kubeconfig"
  kubeconfig scheduler "$STATE/scheduler.kubeconfig"
  kubeconfig node "$STATE/node.kubeconfig"
  pod_network

  start etcd etcd --data-dir "$STATE/etcd" --name wharf-test \
    --listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "wharf-test=http://127.0.0.1:$((ETCD_PORT + 1))"
  wait_for etcd 60 curl -fsS "http://127.0.0.1:${ETCD_PORT}/health"

  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
    --bind-address 127.0.0.1 --advertise-address "$POD_GATEWAY" --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --authorization-mode RBAC --client-ca-file "$pki/ca.crt" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=false \
    --enable-admission-plugins NamespaceLifecycle,ServiceAccount,DefaultStorageClass,ResourceQuota
  wait_for kube-apiserver 120 "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" get --raw /readyz

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" --leader-elect=false --port 0 --secure-port 0 \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true --cluster-cidr 10.244.0.0/16 --allocate-node-cidrs=false \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --controllers '*,-nodeipam,-cloud-node-lifecycle,-route,-service'
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" --leader-elect=false --port 0 --secure-port 0

  "$ROOT/node_modules/.bin/esbuild" "$ROOT/test/cluster/node-agent.ts" --bundle --platform=node --format=esm \
    --outfile="$STATE/node-agent.mjs" --log-level=warning \
    --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
  start node-agent node "$STATE/node-agent.mjs" --kubeconfig "$STATE/node.kubeconfig" --node "$NODE_NAME" \
    --bridge "$POD_BRIDGE" --cidr "$POD_CIDR" --gateway "$POD_GATEWAY" --runtime-root "$ROOT" --state "$STATE"

  wait_for "the node" 120 cmd_status
  wait_for "the default service account" 60 "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" get serviceaccount default
  log "up: kubeconfig $STATE/admin.kubeconfig"
  echo "$STATE/admin.kubeconfig"
}

cmd_status() {
  [ -f "$STATE/admin.kubeconfig" ] || return 1
  "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}

cmd_down() {
  if [ -d "$STATE/pids" ]; then
    # The node agent first: it stops its pods and removes their namespaces on SIGTERM.
    for name in node-agent kube-scheduler kube-controller-manager kube-apiserver etcd; do
      [ -f "$STATE/pids/$name" ] || continue
      local pid
      pid="$(cat "$STATE/pids/$name")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    done
  fi
  # Whatever pods' namespaces a killed agent left behind.
  for ns in $(ip netns list 2>/dev/null | awk '/^wharf-pod-/ {print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
  done
  ip link delete "$POD_BRIDGE" 2>/dev/null || true
  rm -rf "$STATE"
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: scripts/test-cluster.sh build|up|down|status" >&2; exit 2 ;;
esac
