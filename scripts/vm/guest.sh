#!/bin/bash
# Stage two of scripts/vmtest.sh, run by the initramfs's /init chrooted
# into the overlay of the host's root once everything is mounted. Runs the
# host's script from the repository root with the host's arguments, and
# writes its exit status where the host reads it. With -s, a login shell
# on the serial port follows.
set -u

X=/run/vmtest/x
# shellcheck source=/dev/null
. "$X/config" || exit 1

ulimit -l unlimited
export HOME=/root TERM=$VMTEST_TERM VMTEST=1
for kv in "${VMTEST_ENV[@]}"; do
	export "${kv?}"
done
cd "$VMTEST_CWD" || exit 1

# From here on a crash is the script's, not the VM's: the host retries a
# boot that never got this far.
: >"$X/started"
rc=0
if [[ -n $VMTEST_SCRIPT ]]; then
	script=$VMTEST_SCRIPT
	# /tmp and /run are fresh in the guest; the host's files there are
	# still under /run/vmtest/host.
	[[ -e $script ]] || script=/run/vmtest/host$script
	if [[ -x $script ]]; then
		"$script" "${VMTEST_ARGS[@]}"
	else
		bash "$script" "${VMTEST_ARGS[@]}"
	fi
	rc=$?
	echo "$rc" >"$X/status"
fi
if [[ $VMTEST_SHELL == 1 ]]; then
	[[ -n $VMTEST_SCRIPT ]] && echo "vmtest: the script exited $rc"
	echo "vmtest: debug shell; 'exit' or Ctrl-D powers the VM off (Ctrl-A X kills it)"
	# A console has no size of its own; take the host terminal's.
	if [[ $VMTEST_COLS -gt 0 ]]; then
		stty -F /dev/ttyS0 rows "$VMTEST_ROWS" cols "$VMTEST_COLS" 2>/dev/null
	fi
	# A shell on the serial port itself, not /dev/console, so that it
	# gets a controlling terminal and job control. No startup files:
	# the host's (bash-completion, pyenv, ...) take half a minute under
	# TCG.
	PS1='vmtest \w# ' setsid -c -w bash --norc -i <>/dev/ttyS0 >&0 2>&0
	shell_rc=$?
	[[ -z $VMTEST_SCRIPT ]] && echo "$shell_rc" >"$X/status"
fi
exit 0
