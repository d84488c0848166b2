#!/usr/bin/env bash
# dockerfile: the Dockerfile's build stage, run without a container engine
# by scripts/dockerfile-steps.sh on a copy of the tree (the host's
# packages stand for the image's: scripts/deps.sh only checks them):
#   - every RUN step of the build stage succeeds (deps, make all, install);
#   - the runtime stage's COPY --from source holds the installed layout:
#     usr/sbin/faultline, the man page, the completion and the unit;
#   - the ENTRYPOINT's binary exists in that layout and runs 'version';
#   - every library the binary links (DT_NEEDED) comes from a package the
#     runtime stage installs, or from bookworm-slim's own (libc6, zlib1g).
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_cmds tar objdump dpkg jq ldconfig
fl_plan 4

ROOT=$FL_STATE/root
"$FL_REPO/scripts/dockerfile-steps.sh" "$ROOT" >"$FL_STATE/steps.out" 2>"$FL_STATE/steps.err"
rc=$?
fl_ok $rc "the build stage's RUN steps succeed (exit $rc)" || {
	fl_diag_file "$FL_STATE/steps.err" 40
	fl_bail "the build stage failed"
}

read -r _ from to < <(grep '^copy ' "$FL_STATE/steps.out")
[[ $to == / && -x $from/usr/sbin/faultline && -f $from/usr/share/man/man8/faultline.8 &&
   -f $from/usr/share/bash-completion/completions/faultline &&
   -f $from/usr/lib/systemd/system/faultline.service ]]
fl_ok $? "COPY --from=build ${from#"$ROOT"} $to: sbin/faultline, man page, completion, unit" ||
	fl_diag "$(cat "$FL_STATE/steps.out")" "$(cd "$from" 2>/dev/null && find . | head -30)"

entry=$(sed -n 's/^entrypoint //p' "$FL_STATE/steps.out")
bin=$(jq -r '.[0]' <<<"$entry")
out=$("$from$bin" version 2>&1)
[[ -n $bin && $out == "faultline "* ]] && jq -e '.[1] == "agent"' <<<"$entry" >/dev/null
fl_ok $? "ENTRYPOINT $entry: '$bin version' in the layout says '$out'"

want=" $(awk '/^FROM/ { n++ } n == 2' "$FL_REPO/Dockerfile" | tr -d '\\' | tr -s ' \t\n' ' ' |
	sed -n 's/.*apt-get install -y --no-install-recommends \([^&]*\).*/\1/p') libc6 zlib1g "
missing=
for lib in $(objdump -p "$from$bin" | awk '$1 == "NEEDED" { print $2 }'); do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|64bit/ { print $NF; exit }')
	pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null)
	pkg=${pkg%%:*}
	[[ -n $pkg && $want == *" $pkg "* ]] || missing+=" $lib($pkg)"
done
[[ -z $missing ]]
fl_ok $? "the runtime stage installs every linked library's package (${want# })${missing:+; missing:$missing}"
fl_done
