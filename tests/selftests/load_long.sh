#!/usr/bin/env bash
# load_long: faultline's memory stays flat under a long run with 10,000
# active flows. "faultline inject" drops 10 % of the target's UDP while
# the target sends to 10,000 destination ports round robin (fltraffic
# udp-flood --flows 10000, paced at FL_LONG_PPS, default 5000/s, so every
# flow stays active). faultline's VmRSS is sampled every 2 s.
#   flat      after the warm-up (the first third, by which every flow was
#             seen twice or more), RSS grows by at most 2 MiB to the end:
#             fails on a per-packet or per-record leak, or on a flow table
#             that grows without bound (10,000 flows would not fit in 2 MiB
#             twice over if each kept growing)
#   bounded   the LRU maps the loader holds have their max_entries fixed
#             at load (an LRU map never grows past it)
#   alive     the run ends Succeeded at its duration (exit 0)
# FL_LONG_S sets the length (default 30 s; "make stress" runs 1800).
# RSS figures are printed; bench/RESULTS.md records the 32 MB target.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_traffic

LONG_S=${FL_LONG_S:-30}
PPS=${FL_LONG_PPS:-5000}

fl_plan 4
fl_setup
fl_bg_in holder "$FL_NS_CLI" "$FL_CG_TARGET" sleep $((LONG_S + 120))
fl_wait_for 5 eval "[[ \$(wc -l <$FL_CG_TARGET/cgroup.procs) -ge 1 ]]" ||
	fl_bail "the target's process did not enter its cgroup"

fl_faultline_start long --cgroup "$FL_CG_TARGET" --direction egress --proto udp \
	--drop 10 --duration "$((LONG_S + 10))s" --json
fl_wait_armed long 20 || fl_bail "faultline inject did not start"
pid=$(fl_bg_pid long)
fl_bg_in flood "$FL_NS_CLI" "$FL_CG_TARGET" "$FL_TRAFFIC" udp-flood --dst "$FL_SRV4" \
	--port 20000 --flows 10000 --pps "$PPS" --duration "$LONG_S"

rss()
{
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

samples=()
start=$SECONDS
while ((SECONDS - start < LONG_S)) && fl_bg_alive long; do
	samples+=("$(rss "$pid")")
	sleep 2
done
n=${#samples[@]}
warm=$((n / 3))
base=${samples[warm]:-0}
max=0
for s in "${samples[@]:warm}"; do
	((s > max)) && max=$s
done
fl_diag "VmRSS kB every 2 s, the first 10: ${samples[*]:0:10}; the last: ${samples[n - 1]:-none}"
((n >= 6 && max - base <= 2048))
fl_ok $? "flat: RSS ${base} kB after the warm-up, at most ${max} kB after ($((max - base)) kB growth, $n samples over ${LONG_S} s, 10000 flows)"

# The loader's LRU maps: fixed max_entries (bpftool shows it per map).
lru=$(for fd in /proc/"$pid"/fdinfo/*; do
	awk '$1 == "map_type:" { t = $2 } $1 == "max_entries:" { m = $2 }
		$1 == "map_id:" { id = $2 } END { if (t == 9 || t == 10) print id ":" m }' "$fd"
done 2>/dev/null | sort -u | tr '\n' ' ')
[[ -n $lru ]]
fl_ok $? "bounded: the loader's LRU maps (id:max_entries): ${lru:-none}"

fl_wait flood 30
out=$(cat "$FL_STATE/flood.out")
fl_diag "flood: $out"
fl_wait long 60
rc=$?
[[ $rc == 0 && $(jq -r .state "$FL_STATE/long.out") == Succeeded ]]
fl_ok $? "alive: the run ends Succeeded (exit $rc)" || fl_diag_file "$FL_STATE/long.err"
dropped=$(fl_json_total "$FL_STATE/long.out" egress dropped)
matched=$(fl_json_total "$FL_STATE/long.out" egress matched)
sent=$(fl_kv "$out" sent)
[[ -n $matched && ${sent:-0} -gt 0 ]] && ((matched == sent && dropped > 0))
fl_ok $? "every flood datagram counted: matched ${matched:-none} == sent ${sent:-none}, dropped ${dropped:-none}"
fl_done
