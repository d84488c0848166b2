#!/usr/bin/env bash
# A throwaway Kubernetes control plane on loopback for the k8s selftests:
# one etcd and one kube-apiserver, nothing else (no scheduler, no
# controller manager, no kubelet: nothing runs pods).
#
# Usage:
#   scripts/k8s-env.sh build      builds (once) and caches kube-apiserver,
#                                 kubectl and etcd; prints their directory
#   scripts/k8s-env.sh bindir     prints that directory (no build)
#   scripts/k8s-env.sh up DIR     starts etcd and kube-apiserver, writes
#                                 DIR/kubeconfig, waits for /readyz and
#                                 prints KUBECONFIG=DIR/kubeconfig
#   scripts/k8s-env.sh down DIR   stops what "up DIR" started, removes DIR
#
# The binaries come from tests/k8s/go.mod (k8s.io/kubernetes and
# go.etcd.io/etcd/server/v3 at one pinned release each) and are cached in
# ${FL_K8S_CACHE:-/var/cache/faultline/k8s}/<k8s release>-etcd-<etcd release>/,
# so only the first build pays (10+ minutes on 2 cores). The Go module
# and build caches stay where go puts them.
#
# "up" generates, with openssl, in DIR: a CA, the API server's serving
# certificate (127.0.0.1), an admin client certificate (CN admin, group
# system:masters: the kubeconfig authenticates with it) and the service
# account signing key. Authorization is Node,RBAC. Every port is a free
# one picked at random on 127.0.0.1, so runs at the same time do not meet.
# The pids (with their start times, so a reused pid is never signalled)
# are in DIR/*.pid; DIR/bin holds links to kubectl and the servers.
#
# "up" on a DIR whose servers still answer only prints KUBECONFIG again;
# "down" on a DIR that does not exist does nothing. Both exit 0 then.
set -u -o pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODDIR=$REPO/tests/k8s
CACHE_ROOT=${FL_K8S_CACHE:-/var/cache/faultline/k8s}
MARKER=.faultline-k8s-env
# Go is in /usr/local/go/bin on this project's machines, not always on PATH.
[[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin
export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
export no_proxy=$NO_PROXY

say()
{
	echo "k8s-env: $*" >&2
}

die()
{
	say "$*"
	exit 1
}

# ---- versions and the binary cache ----

# The version go.mod requires for module $1.
mod_version()
{
	awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$MODDIR/go.mod"
}

K8S_VERSION=$(mod_version k8s.io/kubernetes)
ETCD_VERSION=$(mod_version go.etcd.io/etcd/server/v3)
[[ -n $K8S_VERSION && -n $ETCD_VERSION ]] ||
	die "cannot read the pinned versions from $MODDIR/go.mod"
BINDIR=$CACHE_ROOT/$K8S_VERSION-etcd-$ETCD_VERSION
BINS=(kube-apiserver kubectl etcd)

have_bins()
{
	local b

	for b in "${BINS[@]}"; do
		[[ -x $BINDIR/$b ]] || return 1
	done
}

# go_build OUT PKG [LDFLAGS]: one command, with a progress line every 20 s.
go_build()
{
	local out=$1 pkg=$2 ldflags=${3:-} start=$SECONDS log ticker rc

	log=$(mktemp /tmp/fl_k8s_build.XXXXXX) || return 1
	say "building ${out##*/} ($pkg)"
	(
		while sleep 20; do
			say "  ... ${out##*/}: $(grep -c . "$log") packages compiled, $((SECONDS - start)) s"
		done
	) &
	ticker=$!
	(cd "$MODDIR" && GOFLAGS=-mod=mod go build -v -trimpath \
		-ldflags "$ldflags" -o "$out" "$pkg") >"$log" 2>&1
	rc=$?
	kill "$ticker" 2>/dev/null
	wait "$ticker" 2>/dev/null
	if ((rc != 0)); then
		say "go build $pkg failed (exit $rc):"
		grep -v '^[a-zA-Z0-9./_-]*$' "$log" | tail -n 40 >&2
		rm -f "$log"
		return "$rc"
	fi
	say "built ${out##*/} in $((SECONDS - start)) s"
	rm -f "$log"
}

cmd_build()
{
	local tmp minor ldflags p rc=0 lockfd start=$SECONDS

	command -v go >/dev/null || die "no go on PATH (Go is at /usr/local/go/bin on this machine kind)"
	mkdir -p "$CACHE_ROOT" || die "cannot create $CACHE_ROOT"
	# Two runs at once: the second waits for the first build.
	exec {lockfd}>"$CACHE_ROOT/.lock"
	flock "$lockfd" || die "cannot lock $CACHE_ROOT/.lock"
	if have_bins; then
		echo "$BINDIR"
		return 0
	fi
	say "building Kubernetes $K8S_VERSION and etcd $ETCD_VERSION into $BINDIR (first run only)"
	tmp=$(mktemp -d "$CACHE_ROOT/.build.XXXXXX") && chmod 755 "$tmp" || die "mktemp failed"
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	# The version the binaries report (kubectl version, /version).
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
		ldflags+=" -X $p.gitTreeState=clean"
	done
	go_build "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$ldflags" &&
	go_build "$tmp/kubectl" k8s.io/kubernetes/cmd/kubectl "$ldflags" &&
	go_build "$tmp/etcd" faultline.dev/tests/k8s/etcd || rc=1
	if ((rc == 0)); then
		printf 'kubernetes %s\netcd %s\n%s\nbuilt %s in %d s\n' "$K8S_VERSION" \
			"$ETCD_VERSION" "$(go version)" "$(date -u +%FT%TZ)" \
			$((SECONDS - start)) >"$tmp/BUILD-INFO"
		rm -rf "$BINDIR"
		mv "$tmp" "$BINDIR" || rc=1
	fi
	rm -rf "$tmp"
	((rc == 0)) || die "build failed"
	say "done in $((SECONDS - start)) s"
	echo "$BINDIR"
}

# ---- processes ----

# proc_start PID: the process's start time (field 22 of /proc/PID/stat).
proc_start()
{
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $stat
	echo "${20}"
}

# pid_alive FILE: the process FILE names still runs (same start time).
pid_alive()
{
	local pid start

	[[ -s $1 ]] || return 1
	read -r pid start <"$1" || return 1
	[[ -n $pid && $(proc_start "$pid") == "$start" ]]
}

# stop_pid FILE: TERM, then KILL after 15 s, the process FILE names.
stop_pid()
{
	local file=$1 pid i

	if pid_alive "$file"; then
		read -r pid _ <"$file"
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 150; i++)); do
			pid_alive "$file" || break
			sleep 0.1
		done
		if pid_alive "$file"; then
			say "${file##*/}: $pid did not stop on TERM: killing it"
			kill -KILL "$pid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				pid_alive "$file" || break
				sleep 0.1
			done
		fi
	fi
	rm -f "$file"
}

# start_bg NAME CMD...: CMD in a session of its own, logs in DIR/NAME.log.
start_bg()
{
	local name=$1 pid

	shift
	setsid "$@" >"$DIR/$name.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid $(proc_start "$pid")" >"$DIR/$name.pid"
}

# A free TCP port on 127.0.0.1, at random in 20000-59999, not in any
# port list of this run ($USED).
USED=" "
free_port()
{
	local p i

	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[[ $USED == *" $p "* ]] && continue
		if ! ss -Htan "( sport = :$p or dport = :$p )" | grep -q .; then
			USED+="$p "
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_for SECONDS NAME CMD...: polls CMD every 200 ms; fails early when
# the process NAME is gone.
wait_for()
{
	local end=$((SECONDS + $1)) name=$2

	shift 2
	until "$@" >/dev/null 2>&1; do
		pid_alive "$DIR/$name.pid" || return 2
		((SECONDS >= end)) && return 1
		sleep 0.2
	done
}

# ---- certificates and kubeconfig ----

gen_certs()
{
	local d=$DIR/pki

	mkdir -p "$d" && chmod 700 "$d" || return 1
	(
		set -e
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
			-days 2 -subj "/CN=faultline-test-ca" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		# leaf NAME SUBJ EXT
		leaf()
		{
			openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
			printf '%s\n' "$3" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-days 2 -out "$1.crt" -extfile "$1.ext"
		}
		leaf apiserver "/CN=kube-apiserver" \
			"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
		leaf admin "/O=system:masters/CN=faultline-admin" \
			"extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
		# service account tokens: signed with sa.key, checked with sa.pub
		openssl genrsa -out sa.key 2048
		openssl rsa -in sa.key -pubout -out sa.pub
	) >"$DIR/openssl.log" 2>&1
}

write_kubeconfig()
{
	local d=$DIR/pki

	cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: faultline-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$d/ca.crt")
users:
- name: faultline-admin
  user:
    client-certificate-data: $(base64 -w0 "$d/admin.crt")
    client-key-data: $(base64 -w0 "$d/admin.key")
contexts:
- name: faultline-test
  context:
    cluster: faultline-test
    user: faultline-admin
current-context: faultline-test
EOF
	chmod 600 "$DIR/kubeconfig"
}

# ---- up and down ----

readyz()
{
	[[ $(curl -sS --noproxy '*' --max-time 5 --cacert "$DIR/pki/ca.crt" \
		--cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
		"https://127.0.0.1:$API_PORT/readyz") == ok ]]
}

etcd_health()
{
	curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$ETCD_PORT/health" |
		grep -q '"health":"true"'
}

log_tail()
{
	[[ -s $DIR/$1.log ]] || return 0
	say "--- last lines of $DIR/$1.log ---"
	tail -n "${2:-25}" "$DIR/$1.log" >&2
}

start_etcd()
{
	local peer

	ETCD_PORT=$(free_port) && peer=$(free_port) || return 1
	start_bg etcd "$BINDIR/etcd" --name faultline \
		--data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$peer" \
		--initial-advertise-peer-urls "http://127.0.0.1:$peer" \
		--initial-cluster "faultline=http://127.0.0.1:$peer" \
		--unsafe-no-fsync --log-level warn
	wait_for 60 etcd etcd_health
}

start_apiserver()
{
	local d=$DIR/pki

	API_PORT=$(free_port) || return 1
	start_bg kube-apiserver "$BINDIR/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
		--secure-port "$API_PORT" \
		--tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
		--client-ca-file "$d/ca.crt" \
		--authorization-mode Node,RBAC \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$d/sa.pub" \
		--service-account-signing-key-file "$d/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--cert-dir "$DIR/apiserver-certs" \
		--profiling=false --v=1
	wait_for 120 kube-apiserver readyz
}

# A port another process took between the pick and the bind: try again.
bind_race()
{
	grep -qiE 'address already in use' "$DIR/$1.log" 2>/dev/null
}

cmd_up()
{
	local try rc b

	if [[ -e $DIR/$MARKER ]] && pid_alive "$DIR/kube-apiserver.pid" && pid_alive "$DIR/etcd.pid"; then
		API_PORT=$(cat "$DIR/api.port" 2>/dev/null)
		if readyz; then
			say "already up in $DIR"
			echo "KUBECONFIG=$DIR/kubeconfig"
			return 0
		fi
	fi
	[[ -e $DIR/$MARKER ]] && cmd_down quiet
	if [[ -e $DIR ]] && [[ -n $(ls -A "$DIR") ]]; then
		die "$DIR exists and is not empty (and was not made by k8s-env.sh)"
	fi
	have_bins || die "no binaries in $BINDIR: run 'scripts/k8s-env.sh build' (make k8s-bins)"
	mkdir -p "$DIR" && touch "$DIR/$MARKER" || die "cannot create $DIR"
	DIR=$(cd "$DIR" && pwd)
	mkdir -p "$DIR/bin"
	for b in "${BINS[@]}"; do
		ln -sf "$BINDIR/$b" "$DIR/bin/$b"
	done
	gen_certs || { cat "$DIR/openssl.log" >&2; die "openssl failed"; }

	for ((try = 1; ; try++)); do
		start_etcd
		rc=$?
		((rc == 0)) && break
		stop_pid "$DIR/etcd.pid"
		if ((try < 5)) && bind_race etcd; then
			rm -rf "$DIR/etcd"
			continue
		fi
		log_tail etcd
		die "etcd did not become healthy on 127.0.0.1:$ETCD_PORT"
	done
	for ((try = 1; ; try++)); do
		start_apiserver
		rc=$?
		((rc == 0)) && break
		stop_pid "$DIR/kube-apiserver.pid"
		if ((try < 5)) && bind_race kube-apiserver; then
			continue
		fi
		log_tail kube-apiserver 40
		stop_pid "$DIR/etcd.pid"
		die "kube-apiserver did not answer /readyz on 127.0.0.1:$API_PORT"
	done
	echo "$API_PORT" >"$DIR/api.port"
	echo "$ETCD_PORT" >"$DIR/etcd.port"
	write_kubeconfig
	say "etcd on 127.0.0.1:$ETCD_PORT, kube-apiserver on https://127.0.0.1:$API_PORT"
	echo "KUBECONFIG=$DIR/kubeconfig"
}

cmd_down()
{
	[[ -e $DIR ]] || return 0
	if [[ ! -e $DIR/$MARKER ]]; then
		# Never remove a directory this script did not make.
		[[ -z $(ls -A "$DIR") ]] && rmdir "$DIR" && return 0
		die "$DIR was not made by k8s-env.sh up: not removing it"
	fi
	stop_pid "$DIR/kube-apiserver.pid"
	stop_pid "$DIR/etcd.pid"
	if pid_alive "$DIR/kube-apiserver.pid" || pid_alive "$DIR/etcd.pid"; then
		die "a server in $DIR still runs"
	fi
	rm -rf "$DIR"
	[[ ${1:-} == quiet ]] || say "down: $DIR removed"
}

case ${1:-} in
build)
	cmd_build
	;;
bindir)
	echo "$BINDIR"
	;;
up | down)
	[[ -n ${2:-} ]] || die "usage: $0 $1 DIR"
	DIR=$2
	[[ $DIR != / ]] || die "refusing DIR /"
	"cmd_$1"
	;;
*)
	echo "usage: $0 build | bindir | up DIR | down DIR" >&2
	exit 2
	;;
esac
