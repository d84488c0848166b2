#!/usr/bin/env bash
# Boots a Debian kernel under qemu and runs one script inside it, on the
# host's own root file system (9p, read-only, with a tmpfs overlay so the
# guest can write), and exits with the script's status. The kernel package
# is fetched from Debian's archive when first needed and cached, unpacked,
# with its initramfs under build/vm/<release>/. See tests/vm/README.md.
set -euo pipefail

usage()
{
	cat <<EOF
Usage: scripts/vmtest.sh [-k 6.1|6.12|RELEASE] [-s] [-t TIMEOUT_S] [-w DIR]... [-v]
                         [--] [SCRIPT [ARGS...]]

Runs SCRIPT with ARGS as root in a qemu VM booted on a Debian kernel and
exits with its status. SCRIPT is a host path, absolute or relative to the
repository root; the guest sees the host's whole root file system, so it
runs the very same file, from the repository root. Writes in the guest go
to a tmpfs and never reach the host, except under -w directories.

  -k KERNEL   6.1 (default) or 6.12: the newest Debian package of that
              series apt knows; or an exact release such as 6.1.0-56-amd64
  -s          debug shell in the guest after SCRIPT (or instead of it);
              a timeout applies only if -t is given
  -t SECONDS  kill the VM after this long (default 600, 0: never); the exit
              status is then 124
  -w DIR      make host directory DIR writable in the guest (repeatable)
  -v          show the kernel's boot messages
  -h          this help

Exit status: the script's; 124 if the VM timed out; 125 if the guest never
reported one (kernel panic, failed boot, qemu error) or the harness
failed; 2 for a usage error.
Environment: V, OUTPUT and FL_* are passed to the script. VMTEST_ACCEL
(tcg, the default; kvm; or auto: kvm if a probe guest runs), VMTEST_CPU (qemu's -cpu), VMTEST_APPEND (extra kernel
arguments) and VMTEST_CACHE (default build/vm) tune the VM.
EOF
}

note()
{
	echo "vmtest: $*" >&2
}

die()
{
	echo "vmtest: $*" >&2
	exit 125
}

bad_arg()
{
	echo "vmtest: $*" >&2
	exit 2
}

usage_error()
{
	usage >&2
	bad_arg "$@"
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
VMDIR=$REPO/scripts/vm
CACHE=${VMTEST_CACHE:-$REPO/build/vm}

kernel=6.1
shell=0
timeout_s=
rw_dirs=()
verbose=0
while getopts ":k:st:w:vh" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	s) shell=1 ;;
	t) timeout_s=$OPTARG ;;
	w) rw_dirs+=("$OPTARG") ;;
	v) verbose=1 ;;
	h) usage; exit 0 ;;
	:) usage_error "-$OPTARG needs an argument" ;;
	*) usage_error "unknown option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))

if [[ $# -eq 0 && $shell -eq 0 ]]; then
	usage_error "no SCRIPT given (and no -s)"
fi
if [[ -n $timeout_s && ! $timeout_s =~ ^[0-9]+$ ]]; then
	usage_error "-t wants whole seconds, not '$timeout_s'"
fi
if [[ -z $timeout_s ]]; then
	((shell)) && timeout_s=0 || timeout_s=600
fi

script=
args=()
if [[ $# -gt 0 ]]; then
	script=$1
	shift
	args=("$@")
	if [[ $script != /* ]]; then
		if [[ -e $REPO/$script ]]; then
			script=$REPO/$script
		elif [[ -e $PWD/$script ]]; then
			script=$PWD/$script
		fi
	fi
	[[ -f $script ]] || bad_arg "no such script: $script"
	script=$(realpath -e "$script")
fi
for i in "${!rw_dirs[@]}"; do
	[[ -d ${rw_dirs[i]} ]] || bad_arg "-w ${rw_dirs[i]}: no such directory"
	rw_dirs[i]=$(realpath -e "${rw_dirs[i]}")
done

# ---- host packages ----

# package:probe pairs, as in scripts/deps.sh; a probe that starts with
# "dpkg:" asks dpkg, since the plain busybox package would pass for the
# static one.
HOST_PKGS=(
	"qemu-system-x86:qemu-system-x86_64"
	"busybox-static:dpkg:busybox-static"
	"kmod:depmod"
	"cpio:cpio"
	"xz-utils:xz"
	"zstd:zstd"
)

host_deps()
{
	local p pkg probe missing=()

	for p in "${HOST_PKGS[@]}"; do
		pkg=${p%%:*}
		probe=${p#*:}
		if [[ $probe == dpkg:* ]]; then
			[[ $(dpkg-query -W -f='${Status}' "${probe#dpkg:}" 2>/dev/null) == *" installed" ]] &&
				continue
		else
			command -v "$probe" >/dev/null 2>&1 && continue
			[[ -x /usr/sbin/$probe || -x /sbin/$probe ]] && continue
		fi
		missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	if [[ $(id -u) -ne 0 ]]; then
		die "missing packages: ${missing[*]}; install them (apt-get install ${missing[*]}) as root"
	fi
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# ---- the kernel ----

# Prints the newest Debian release of series $1 ("6.1" -> 6.1.0-56-amd64,
# "6.12" -> 6.12.117+deb12-amd64). apt-cache takes over a second, so the
# answer is kept until apt's package lists change.
resolve_release()
{
	local series=$1 memo=$CACHE/.latest-$1 re rel='' d cached=()

	if [[ -s $memo && $memo -nt /var/lib/apt/lists &&
	      ( ! -e /var/cache/apt/pkgcache.bin || $memo -nt /var/cache/apt/pkgcache.bin ) ]]; then
		cat "$memo"
		return 0
	fi
	re="^linux-image-${series//./\\.}\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?-amd64-unsigned\$"
	rel=$(apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }' |
	      sort -V | tail -n 1)
	rel=${rel#linux-image-}
	rel=${rel%-unsigned}
	if [[ -n $rel ]]; then
		echo "$rel" >"$memo"
	else
		# Not in apt's lists (no 'apt-get update' yet?): the newest one
		# already unpacked here will do.
		for d in "$CACHE/$series".*; do
			[[ -e $d/.ready ]] && cached+=("${d##*/}")
		done
		[[ ${#cached[@]} -gt 0 ]] &&
			rel=$(printf '%s\n' "${cached[@]}" | sort -V | tail -n 1)
	fi
	[[ -n $rel ]] || return 1
	echo "$rel"
}

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le_uint()
{
	od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# Writes the uncompressed ELF vmlinux inside bzImage $1 to $2. The boot
# header (boot protocol 2.08+) gives the compressed payload's offset from
# the start of the protected-mode code and its length; the payload's last
# four bytes are the uncompressed size, not compressed data.
extract_vmlinux()
{
	local img=$1 out=$2 setup off len magic dec

	[[ $(od -An -tx1 -j 514 -N 4 "$img" | tr -d ' \n') == 48647253 ]] || return 1 # "HdrS"
	(($(le_uint "$img" 518 2) >= 0x208)) || return 1
	setup=$(le_uint "$img" 497 1)
	((setup == 0)) && setup=4
	off=$(((setup + 1) * 512 + $(le_uint "$img" 584 4)))
	len=$(le_uint "$img" 588 4)
	magic=$(od -An -tx1 -j "$off" -N 4 "$img" | tr -d ' \n')
	case $magic in
	fd377a58) dec=(xz -dc) ;;
	28b52ffd) dec=(zstd -dcq) ;;
	1f8b*) dec=(gzip -dc) ;;
	*) return 1 ;;
	esac
	dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count=$((len - 4)) \
		bs=1M status=none | "${dec[@]}" >"$out" || return 1
	[[ $(od -An -tx1 -N 4 "$out" | tr -d ' \n') == 7f454c46 ]] # ELF
}

# Downloads and unpacks linux-image-$1-unsigned into $CACHE/$1: config,
# bzImage, vmlinux (when it can be extracted and the kernel boots it
# through PVH) and lib/modules/$1 with depmod's indexes.
fetch_kernel()
{
	local rel=$1 pkg=linux-image-$1-unsigned kdir=$CACHE/$1 tmp mods aptopt=()

	[[ -e $kdir/.ready ]] && return 0
	tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
	note "downloading $pkg"
	# As root apt wants its _apt user to own the target directory.
	[[ $(id -u) -eq 0 ]] && aptopt=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -qq "${aptopt[@]}" "$pkg") ||
		{ rm -rf "$tmp"; die "cannot download $pkg (network? 'apt-get update'?)"; }
	note "unpacking $pkg"
	dpkg-deb -x "$tmp"/*.deb "$tmp/root"
	rm -rf "$kdir"
	mkdir -p "$kdir/lib/modules"
	mv "$tmp/root/boot/config-$rel" "$kdir/config"
	mv "$tmp/root/boot/vmlinuz-$rel" "$kdir/bzImage"
	for mods in "$tmp/root/lib/modules/$rel" "$tmp/root/usr/lib/modules/$rel"; do
		[[ -d $mods ]] && mv "$mods" "$kdir/lib/modules/"
	done
	[[ -d $kdir/lib/modules/$rel ]] || die "$pkg has no lib/modules/$rel"
	# depmod lives in sbin, which a user's PATH may lack.
	"$(command -v depmod || echo /sbin/depmod)" -b "$kdir" "$rel" ||
		die "depmod failed for $rel"
	if grep -qx 'CONFIG_PVH=y' "$kdir/config" &&
	   extract_vmlinux "$kdir/bzImage" "$kdir/vmlinux.tmp"; then
		mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
	else
		rm -f "$kdir/vmlinux.tmp"
		note "cannot extract an uncompressed vmlinux; booting the bzImage"
	fi
	rm -rf "$tmp"
	touch "$kdir/.ready"
}

# ---- the initramfs ----

# Sets REPLY to the module name of a module path (dashes as underscores).
modname()
{
	local b=${1##*/}

	b=${b%%.ko*}
	REPLY=${b//-/_}
}

declare -A MOD_PATH MOD_DEPS MOD_BUILTIN MOD_SEEN
MOD_ORDER=()

# Appends module $1 to MOD_ORDER after its dependencies, deepest first.
mod_visit()
{
	local n=$1 deps d i

	[[ -n ${MOD_SEEN[$n]:-} ]] && return 0
	MOD_SEEN[$n]=1
	read -ra deps <<<"${MOD_DEPS[$n]:-}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		modname "${deps[$i]}"
		mod_visit "$REPLY"
	done
	MOD_ORDER+=("$n")
}

# Builds $CACHE/$1/initramfs.cpio: busybox, scripts/vm/init and the modules
# in scripts/vm/modules with their dependencies, uncompressed. Rebuilt when
# any of those inputs changes.
build_initramfs()
{
	local rel=$1 kdir=$CACHE/$1 mdir=$CACHE/$1/lib/modules/$1 key line p n tmp src

	key=$(cat "$VMDIR/init" "$VMDIR/modules" /bin/busybox | sha256sum | cut -d' ' -f1)
	if [[ -e $kdir/initramfs.cpio && $(cat "$kdir/initramfs.key" 2>/dev/null) == "$key" ]]; then
		return 0
	fi
	note "building the initramfs for $rel"
	while IFS= read -r line; do
		p=${line%%:*}
		modname "$p"
		MOD_PATH[$REPLY]=$p
		MOD_DEPS[$REPLY]=${line#*:}
	done <"$mdir/modules.dep"
	while IFS= read -r line; do
		modname "$line"
		MOD_BUILTIN[$REPLY]=1
	done <"$mdir/modules.builtin"
	while read -r n _; do
		[[ -z $n || $n == \#* ]] && continue
		n=${n//-/_}
		if [[ -n ${MOD_PATH[$n]:-} ]]; then
			mod_visit "$n"
		elif [[ -z ${MOD_BUILTIN[$n]:-} ]]; then
			note "warning: $rel has no module $n (scripts/vm/modules)"
		fi
	done <"$VMDIR/modules"

	tmp=$(mktemp -d "$CACHE/.initramfs.XXXXXX")
	mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,x,lib/modules} \
		"$tmp"/mnt/{host,rw,root}
	cp /bin/busybox "$tmp/bin/busybox"
	install -m 755 "$VMDIR/init" "$tmp/init"
	: >"$tmp/modules.order"
	for n in "${MOD_ORDER[@]}"; do
		src=$mdir/${MOD_PATH[$n]}
		case $src in
		*.ko.xz) xz -dc "$src" ;;
		*.ko.zst) zstd -dcq "$src" ;;
		*.ko.gz) gzip -dc "$src" ;;
		*) cat "$src" ;;
		esac >"$tmp/lib/modules/$n.ko"
		echo "$n.ko" >>"$tmp/modules.order"
	done
	(cd "$tmp" && find . -print0 | LC_ALL=C sort -z |
	 cpio --null -o -H newc -R 0:0 --quiet) >"$kdir/initramfs.cpio.tmp"
	mv "$kdir/initramfs.cpio.tmp" "$kdir/initramfs.cpio"
	echo "$key" >"$kdir/initramfs.key"
	rm -rf "$tmp"
}

# ---- the accelerator ----

# KVM only if it really runs a guest: /dev/kvm can exist and open and
# still not work (a PVM module here). The probe boots a boot sector that
# writes to qemu's isa-debug-exit port, which makes qemu exit with 99; a
# working KVM does that in well under a second. The answer is kept for
# the host's boot.
kvm_works()
{
	local memo=$CACHE/.kvm boot_id img rc

	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	if [[ -e $memo && $(head -n 1 "$memo") == "$boot_id" ]]; then
		[[ $(tail -n 1 "$memo") == yes ]]
		return
	fi
	img=$XDIR/probe.img
	# mov al, 0x31; out 0xf4, al; hlt; jmp $   ... 0x55 0xaa
	{ printf '\xb0\x31\xe6\xf4\xf4\xeb\xfe'; head -c 503 /dev/zero; printf '\x55\xaa'; } >"$img"
	rc=0
	# A failing KVM may abort qemu; the subshell takes the shell's report
	# of that ("Aborted") away with it.
	(timeout 4 qemu-system-x86_64 -accel kvm -cpu host -m 64 -nodefaults \
		-display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive file="$img",format=raw,if=floppy -boot a </dev/null >/dev/null 2>&1
	 exit $?) 2>/dev/null || rc=$?
	rm -f "$img"
	if ((rc == 99)); then
		printf '%s\nyes\n' "$boot_id" >"$memo"
		return 0
	fi
	printf '%s\nno\n' "$boot_id" >"$memo"
	return 1
}

# ---- main ----

host_deps
mkdir -p "$CACHE"
XDIR=$(mktemp -d /tmp/vmtest.XXXXXX)
trap 'rm -rf "$XDIR"' EXIT

# One preparation at a time: two runs must not unpack the same kernel.
exec 9>"$CACHE/.lock"
flock 9
# What an interrupted run left half done.
rm -rf "$CACHE"/.dl.* "$CACHE"/.initramfs.*
if [[ $kernel =~ ^[0-9]+\.[0-9]+$ ]]; then
	rel=$(resolve_release "$kernel") ||
		die "apt knows no linux-image-$kernel.*-amd64-unsigned; run 'apt-get update'"
elif [[ $kernel =~ ^[0-9]+\.[0-9]+\.[0-9] ]]; then
	rel=$kernel
else
	usage_error "-k wants a series such as 6.1 or 6.12, or a release such as 6.1.0-56-amd64"
fi
fetch_kernel "$rel"
build_initramfs "$rel"
kdir=$CACHE/$rel
# TCG unless asked: on these machines /dev/kvm (a PVM module) runs the
# probe's boot sector, yet a Linux guest dies in it ("KVM internal error:
# emulation failure" at a lock cmpxchg16b, seen 2026-12-06), so the probe
# cannot be trusted to choose.
accel=${VMTEST_ACCEL:-tcg}
if [[ $accel == auto ]]; then
	accel=tcg
	kvm_works && accel=kvm
fi
flock -u 9
exec 9>&-

if [[ -e $kdir/vmlinux ]]; then
	kimg=$kdir/vmlinux
else
	kimg=$kdir/bzImage
fi
if [[ $accel == kvm ]]; then
	cpu=${VMTEST_CPU:-host}
else
	cpu=${VMTEST_CPU:-max}
fi

# Its arguments quoted for bash to read back; nothing for none.
qarray()
{
	[[ $# -eq 0 ]] || printf '%q ' "$@"
}

# What the guest needs to know, for scripts/vm/guest.sh to source.
envs=()
for v in V OUTPUT $(compgen -e | grep '^FL_' || true); do
	[[ -n ${!v+set} ]] && envs+=("$v=${!v}")
done
rows=0
cols=0
if ((shell)) && [[ -t 0 ]]; then
	read -r rows cols < <(stty size 2>/dev/null || echo 0 0)
fi
{
	printf 'VMTEST_SCRIPT=%q\n' "$script"
	printf 'VMTEST_ARGS=(%s)\n' "$(qarray "${args[@]}")"
	printf 'VMTEST_CWD=%q\n' "$REPO"
	printf 'VMTEST_SHELL=%d\n' "$shell"
	printf 'VMTEST_ENV=(%s)\n' "$(qarray "${envs[@]}")"
	printf 'VMTEST_TERM=%q\n' "${TERM:-dumb}"
	printf 'VMTEST_ROWS=%d\nVMTEST_COLS=%d\n' "$rows" "$cols"
} >"$XDIR/config"
# What the initramfs's busybox needs: plain lines, no quoting.
echo "$VMDIR/guest.sh" >"$XDIR/stage2"
echo "$kdir/lib/modules/$rel" >"$XDIR/moddir"
for i in "${!rw_dirs[@]}"; do
	echo "rw$i ${rw_dirs[$i]}"
done >"$XDIR/rw"
# The failure value the guest overwrites with the script's status; boot()
# writes it before each boot.
NO_STATUS="125 no status from the guest"

append="console=ttyS0 panic=-1 mitigations=off"
if ((verbose)); then
	append+=" loglevel=7 vmtest.verbose"
else
	# quiet is loglevel 4: errors, oopses and panics still show.
	append+=" quiet"
fi
append+=" ${VMTEST_APPEND:-}"

# shellcheck disable=SC2054 # commas inside qemu's option values
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
	-accel "$accel" -cpu "$cpu" -m 2G -smp 2
	-kernel "$kimg" -initrd "$kdir/initramfs.cpio" -append "$append"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$XDIR,mount_tag=vmtest,security_model=none")
for i in "${!rw_dirs[@]}"; do
	qemu+=(-virtfs "local,path=${rw_dirs[$i]},mount_tag=rw$i,security_model=none,multidevs=remap")
done
# --foreground keeps qemu in the terminal's process group, so Ctrl-C
# reaches it, and an interactive shell can read the terminal.
run=(timeout --foreground -k 10 "$timeout_s")

# Boots the VM once; sets qrc to qemu's (or timeout's) exit status.
boot()
{
	echo "$NO_STATUS" >"$XDIR/status"
	rm -f "$XDIR/started"
	set +e
	if ((shell)); then
		# The serial port multiplexed with qemu's monitor: Ctrl-A X
		# quits.
		"${run[@]}" "${qemu[@]}" -serial mon:stdio
		qrc=$?
	else
		# The console writes CR LF; callers get plain lines, without
		# the kernel's last word, which it prints even when quiet.
		"${run[@]}" "${qemu[@]}" -serial stdio </dev/null |
			sed -u -e 's/\r$//' -e '/^\[ *[0-9.]*\] reboot: Power down$/d'
		qrc=${PIPESTATUS[0]}
	fi
	set -e
}

note "booting $rel (${accel}, ${kimg##*/})${script:+: ${script#"$REPO"/}}"
start=$(date +%s.%N)
boot
# A guest that died before stage two started never ran the script: that
# is the VM's fault (TCG has crashed 6.12 in early boot, rarely), so boot
# once more. A crash once the script runs is the script's, and stands.
if [[ ! -e $XDIR/started && $qrc != 124 && $qrc != 137 ]] && ((!shell)); then
	note "$rel: the guest died before running the script (qemu exit $qrc); booting again"
	boot
fi
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

status=$(head -n 1 "$XDIR/status")
if [[ $status == "$NO_STATUS" ]]; then
	if ((qrc == 124 || qrc == 137)); then
		note "$rel: timed out after ${timeout_s} s"
		exit 124
	fi
	if ((qrc != 0)); then
		note "$rel: qemu exited $qrc after $elapsed s; the guest reported no status"
	elif [[ -e $XDIR/started ]]; then
		note "$rel: the guest reported no status after $elapsed s (kernel panic?)"
	else
		note "$rel: the guest did not get to run the script after $elapsed s (boot failure)"
	fi
	exit 125
fi
[[ $status =~ ^[0-9]+$ ]] || die "$rel: unreadable status '$status'"
((qrc == 124 || qrc == 137)) && note "$rel: the VM did not power off; killed after ${timeout_s} s"
note "$rel: exit $status after $elapsed s"
exit "$status"
