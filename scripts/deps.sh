#!/usr/bin/env bash
# Install faultline's build and test dependencies from Debian packages.
# Idempotent: checks what is present first, and runs apt-get update only
# when something is missing. Usage: scripts/deps.sh [--check]
set -euo pipefail

# package:probe pairs; the probe is a command or a file that proves the
# package is installed.
PKGS=(
	"clang:clang"
	"llvm:llvm-strip"
	"make:make"
	"gcc:gcc"
	"pkg-config:pkg-config"
	"libbpf-dev:/usr/include/bpf/libbpf.h"
	"libxdp-dev:/usr/include/xdp/libxdp.h"
	"libelf-dev:/usr/include/libelf.h"
	"zlib1g-dev:/usr/include/zlib.h"
	"bpftool:bpftool"
	"libjson-c-dev:/usr/include/json-c/json.h"
	"libmnl-dev:/usr/include/libmnl/libmnl.h"
	"libyaml-dev:/usr/include/yaml.h"
	"libcurl4-openssl-dev:curl-config"
	"libmicrohttpd-dev:/usr/include/microhttpd.h"
	"libcap-dev:/usr/include/sys/capability.h"
	"xdp-tools:xdp-filter"
	"librsvg2-bin:rsvg-convert"
	"prometheus:prometheus"
	"libcmocka-dev:/usr/include/cmocka.h"
	"iproute2:ip"
	"iputils-ping:ping"
	"iperf3:iperf3"
	# a real DNS server and clients for the DNS fault's tests; -base is the
	# binary alone, without a system service that would start on install
	"dnsmasq-base:dnsmasq"
	"bind9-dnsutils:dig"
	"ethtool:ethtool"
	"iptables:iptables"
	"nftables:nft"
	"jq:jq"
	"procps:pgrep"
	"util-linux:unshare"
	"curl:curl"
	"openssl:openssl"
	"libcap2-bin:capsh"
	"systemd:systemd-analyze"
	"man-db:man"
	"groff-base:groff"
	# libFuzzer and the sanitizers' runtimes for the clang above (make fuzz,
	# make test-asan); with no clang yet the path names nothing, so both go in
	"libclang-rt-dev:$(clang -print-resource-dir 2>/dev/null || true)/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
	"valgrind:valgrind"
)

missing=()
for p in "${PKGS[@]}"; do
	pkg=${p%%:*}
	probe=${p#*:}
	if [[ $probe == /* ]]; then
		[[ -e $probe ]] && continue
	else
		command -v "$probe" >/dev/null 2>&1 && continue
		# bpftool and ip live in sbin, which a non-login PATH may lack.
		[[ -x /usr/sbin/$probe || -x /sbin/$probe ]] && continue
	fi
	missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
if [[ ${1:-} == --check ]]; then
	echo "deps: missing: ${missing[*]}" >&2
	exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}; run 'sudo scripts/deps.sh' to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
