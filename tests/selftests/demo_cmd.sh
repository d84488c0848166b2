#!/usr/bin/env bash
# demo_cmd: "faultline demo" finds its script and flsvc, in the build tree and
# in an install layout, and names where it looked when they are missing.
# It never runs the demo itself (that takes half a minute: 'make demo').
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"

fl_require_faultline
[[ -x $FL_OUTPUT/tools/flsvc ]] || fl_skip_all "no $FL_OUTPUT/tools/flsvc: run make all"

fl_plan 7

out=$FL_STATE/out
err=$FL_STATE/err

# runs DESC WANT_RC BIN ARGS...: runs BIN, one result from its exit status.
runs()
{
	local desc=$1 want=$2 rc

	shift 2
	fl_log "+ $*"
	"$@" >"$out" 2>"$err"
	rc=$?
	fl_ok "$((rc != want))" "$desc (status $rc, want $want)" || {
		fl_diag_file "$out"
		fl_diag_file "$err"
	}
}

# mentions DESC FILE TEXT...: FILE holds every TEXT, as a fixed string.
mentions()
{
	local desc=$1 file=$2 t why=()

	shift 2
	for t in "$@"; do
		grep -qF -- "$t" "$file" || why+=("no '$t'")
	done
	fl_ok "${#why[@]}" "$desc" || {
		fl_diag "${why[@]}"
		fl_diag_file "$file"
	}
}

runs "demo --help exits 0" 0 "$FL_BIN" demo --help
mentions "demo --help prints its usage" "$out" "Usage: faultline demo"

# From the build tree: this binary, its flsvc, and the sources' script.
runs "demo --dry-run from the build tree exits 0" 0 "$FL_BIN" demo --dry-run
mentions "demo --dry-run uses the build tree's binaries and the sources' script" "$out" \
	"FL_DEMO_FAULTLINE=$(readlink -f "$FL_BIN") " \
	"FL_DEMO_FLSVC=$(readlink -f "$FL_OUTPUT/tools/flsvc") " \
	"bash $FL_REPO/scripts/demo.sh"

# An install layout under a prefix of its own, found from the binary's place.
prefix=$FL_STATE/prefix
mkdir -p "$prefix/sbin" "$prefix/share/faultline" "$prefix/libexec/faultline"
cp "$FL_BIN" "$prefix/sbin/faultline"
cp "$FL_REPO/scripts/demo.sh" "$prefix/share/faultline/demo.sh"
cp "$FL_OUTPUT/tools/flsvc" "$prefix/libexec/faultline/flsvc"
"$prefix/sbin/faultline" demo --dry-run >"$out" 2>"$err"
mentions "demo --dry-run of an installed binary uses the installed script and flsvc" "$out" \
	"FL_DEMO_FLSVC=$prefix/libexec/faultline/flsvc " "bash $prefix/share/faultline/demo.sh"

# Without its flsvc, the installed binary says where it looked. The build
# tree that the binary was compiled from still has a script, so only the
# missing flsvc keeps every candidate out.
rm "$prefix/libexec/faultline/flsvc"
built_in=$("$FL_BIN" demo --help | awk '/^  \/.*\/flsvc$/ { print $1 }')
if [[ -x $built_in ]]; then
	fl_skip "demo without its flsvc exits 3" "faultline is installed on this machine ($built_in)"
	fl_skip "the error names the places it looked" "faultline is installed on this machine ($built_in)"
else
	runs "demo without its flsvc exits 3" 3 "$prefix/sbin/faultline" demo --dry-run
	mentions "the error names the places it looked" "$err" \
		"$prefix/libexec/faultline/flsvc (missing)" "$prefix/sbin/tools/flsvc (missing)" \
		"${built_in:-(no flsvc path in demo --help)} (missing)"
fi

fl_done
