#!/usr/bin/env bash
# packaging: the man page, bash completion and systemd unit, and what
# 'make install' does with them.
#   - man/faultline.8 formats without a groff warning, names every
#     command of 'faultline help', and documents every option each
#     command's --help lists (a new option without a line fails here);
#   - the completion completes 'faultline inj<TAB>' to inject,
#     'faultline inject --dr<TAB>' to --drop --dry-run, experiment files
#     after 'run', values after --direction; every --help option is offered;
#   - 'make install PREFIX=T' puts the man page, completion and unit in
#     T/share/man/man8, T/share/bash-completion/completions and
#     T/lib/systemd/system, the unit's ExecStart pointing at T/sbin;
#     systemd-analyze verify accepts it (man page found through MANPATH);
#   - the unit's CapabilityBoundingSet is deploy/daemonset.yaml's list.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_cmds groff man systemd-analyze
fl_require_faultline

fl_plan 9
cd "$FL_REPO" || fl_bail "no $FL_REPO"
MAN=man/faultline.8
CMDS=$("$FL_BIN" help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')

# help_opts CMD: the options CMD's --help defines: those of its usage
# lines (not of other commands' usage lines it quotes) and the first
# column of its option lines
help_opts()
{
	"$FL_BIN" "$1" --help | awk -v c="$1" '
		NR == 1 || (inusage && /^ /) {
			if (/faultline /) keep = index($0, "faultline " c " ") || $NF == c
			if (keep) print
			inusage = 1; next
		}
		{ inusage = 0 }
		/^ +(-[a-z], )?--?[a-z]/ { print $1, $2 }' |
		grep -oE '(^|[ [,|])--?[a-z][a-z-]*' | sed 's/^[ [,|]//' | sort -u
}

out=$(groff -man -ww -z "$MAN" 2>&1)
[[ -z $out ]]
fl_ok $? "groff -man -ww formats $MAN without warnings${out:+: $out}"

text=$(MANWIDTH=200 man -l "$MAN" 2>/dev/null | col -b)
missing=
for c in $CMDS; do
	grep -qE "^ +(faultline )?$c( |$)" <<<"$text" || missing+=" $c"
done
[[ -n $CMDS && -z $missing ]]
fl_ok $? "the man page has every command ($(echo $CMDS))${missing:+; missing:$missing}"

# every option of every command's --help, long and short
missing=
for c in $CMDS; do
	[[ $c == version || $c == help ]] && continue
	for o in $(help_opts "$c"); do
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$text" || missing+=" $c:$o"
	done
done
[[ -z $missing ]]
fl_ok $? "every option in the commands' --help is in the man page${missing:+; missing:$missing}"

# completion
export FL_COMP=$FL_REPO/completion/faultline.bash
comp()
{
	bash -c 'source "$FL_COMP" || exit 1
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _faultline
		printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd " " -' comp "$@"
}
a=$(comp faultline inj)
b=$(comp faultline inject --dr)
[[ $a == inject && $b == "--drop --dry-run" ]]
fl_ok $? "completion: 'faultline inj' -> '$a', 'faultline inject --dr' -> '$b'"
c=$(cd examples && comp faultline run "")
d=$(comp faultline inject --direction "")
[[ $c == *example.yaml* && $c == *full.yaml* && $d == "both egress ingress" ]]
fl_ok $? "completion: run FILE offers experiment files ($c); --direction its values ($d)"
missing=
for cmd in $CMDS; do
	[[ $cmd == version || $cmd == help ]] && continue
	offered=" $(comp faultline "$cmd" -) "
	for o in $(help_opts "$cmd"); do
		[[ $offered == *" $o "* ]] || missing+=" $cmd:$o"
	done
done
[[ -z $missing ]]
fl_ok $? "completion offers every option of every command's --help${missing:+; missing:$missing}"

# install
T=$FL_STATE/prefix
make -s install PREFIX="$T" OUTPUT="$FL_OUTPUT" >"$FL_STATE/install.log" 2>&1 &&
	[[ -f $T/share/man/man8/faultline.8 && -f $T/share/bash-completion/completions/faultline &&
	   -f $T/lib/systemd/system/faultline.service && -x $T/sbin/faultline ]] &&
	grep -qx "ExecStart=$T/sbin/faultline agent --spec-dir /etc/faultline/experiments" \
		"$T/lib/systemd/system/faultline.service"
fl_ok $? "make install PREFIX=T: man8, completion, unit (ExecStart in T/sbin)" ||
	fl_diag_file "$FL_STATE/install.log"
out=$(MANPATH=$T/share/man systemd-analyze verify "$T/lib/systemd/system/faultline.service" 2>&1)
rc=$?
[[ $rc == 0 && -z $out ]]
fl_ok $? "systemd-analyze verify accepts the installed unit (exit $rc${out:+: $out})"

want=$(awk '/^[[:space:]]*add:[[:space:]]*$/ { inadd = 1; next }
	inadd && /^[[:space:]]*#/ { next }
	inadd && /^[[:space:]]*- [A-Z_]+[[:space:]]*$/ { print "CAP_" $2; next }
	inadd { exit }' deploy/daemonset.yaml | sort | paste -sd " " -)
bnd=$(sed -n 's/^CapabilityBoundingSet=//p' deploy/faultline.service | tr ' ' '\n' | sort | paste -sd " " -)
amb=$(sed -n 's/^AmbientCapabilities=//p' deploy/faultline.service | tr ' ' '\n' | sort | paste -sd " " -)
[[ -n $want && $bnd == "$want" && $amb == "$want" ]]
fl_ok $? "the unit's bounding and ambient sets are the DaemonSet's ($want; unit: $bnd)"
fl_done
