#!/usr/bin/env bash
# Runs the Dockerfile's build stage without a container engine: a copy of
# the tree stands for the image's filesystem, and the stage's RUN steps
# run in it, in order, exactly as written. CI uses this to exercise the
# image's build steps where no docker daemon runs.
#
# Usage: scripts/dockerfile-steps.sh ROOT
#   ROOT: an empty (or new) directory, the image root: WORKDIR /src is
#   ROOT/src. The first stage must use only FROM, WORKDIR, ENV, ARG,
#   COPY . DEST and RUN (shell form); anything else is refused rather
#   than skipped. Prints the final stage's `COPY --from=STAGE SRC DST`
#   lines as "copy ROOT/SRC DST" and its ENTRYPOINT as "entrypoint JSON",
#   for the caller to check the layout the runtime stage takes.
# The host's packages are used: scripts/deps.sh installs only what is
# missing, so on a machine that has them it only checks.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
root=${1:?usage: $0 ROOT}
mkdir -p "$root"
root=$(cd "$root" && pwd)
[[ -z $(ls -A "$root") ]] || { echo "dockerfile-steps: $root is not empty" >&2; exit 2; }

# one instruction per line: continuation lines joined, comments dropped
instructions()
{
	awk '
		/^[[:space:]]*#/ && cont == "" { next }
		/^[[:space:]]*$/ && cont == "" { next }
		{
			line = $0
			if (sub(/\\[[:space:]]*$/, "", line)) { cont = cont line " "; next }
			print cont line; cont = ""
		}' "$src/Dockerfile"
}

stage=0 stage_name= workdir=/ final_copies=() entrypoint=
while IFS= read -r line; do
	read -r op rest <<<"$line"
	op=${op^^}
	if [[ $op == FROM ]]; then
		stage=$((stage + 1))
		stage_name=$(sed -n 's/.*[[:space:]][Aa][Ss][[:space:]]\+\([^[:space:]]*\).*/\1/p' <<<"$rest")
		final_copies=() entrypoint=
		continue
	fi
	if ((stage > 1)); then
		# later stages: only what the caller checks
		case $op in
		COPY)
			if [[ $rest =~ ^--from=([^[:space:]]+)[[:space:]]+([^[:space:]]+)[[:space:]]+([^[:space:]]+)$ ]]; then
				final_copies+=("copy $root${BASH_REMATCH[2]} ${BASH_REMATCH[3]}")
			fi ;;
		ENTRYPOINT) entrypoint=$rest ;;
		esac
		continue
	fi
	case $op in
	WORKDIR)
		workdir=$rest
		mkdir -p "$root$workdir" ;;
	ENV | ARG)
		[[ $rest == *=* ]] || { echo "dockerfile-steps: $op without '=': $line" >&2; exit 2; }
		export "${rest?}" ;;
	COPY)
		[[ $rest == ". ."* || $rest == ". $workdir"* ]] ||
			{ echo "dockerfile-steps: only 'COPY . .' is followed: $line" >&2; exit 2; }
		# the build context: the tree less what .dockerignore leaves out
		tar -C "$src" $(sed -n 's/^\([^#].*\)$/--exclude=.\/\1/p' "$src/.dockerignore") \
			-cf - . | tar -C "$root$workdir" -xf - ;;
	RUN)
		echo "dockerfile-steps: [$stage_name] RUN $rest" >&2
		(cd "$root$workdir" && /bin/sh -ec "$rest") ||
			{ echo "dockerfile-steps: failed: RUN $rest" >&2; exit 1; } ;;
	*)
		echo "dockerfile-steps: the build stage's '$op' is not followed: $line" >&2
		exit 2 ;;
	esac
done < <(instructions)

# the final stage copies from the build stage by its name
for c in "${final_copies[@]}"; do
	echo "$c"
done
[[ -n $entrypoint ]] && echo "entrypoint $entrypoint"
exit 0
