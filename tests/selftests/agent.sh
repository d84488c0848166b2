#!/usr/bin/env bash
# agent: `faultline agent` holds many experiments in one process. With its
# own socket, spec directory, metrics port and pin directory:
#   - the socket is 0600, and a non-root peer is refused even when the
#     file's mode would let it connect (SO_PEERCRED);
#   - `run FILE --agent` of a dropping experiment that trips exits 1 with
#     the report a foreground run writes (same fields);
#   - two experiments on distinct targets run at once and `status --json`
#     lists both; a third whose target is the parent of one is refused;
#   - `stop NAME` aborts one (130) while the other goes on;
#   - a file moved into the spec directory starts its experiment, moving a
#     new version over it restarts it, removing it stops it; an invalid one
#     is logged with FILE:LINE:COL and skipped;
#   - /metrics passes promtool and counts the running drop; /healthz is 200;
#   - every --log-format json line parses; SIGTERM ends the agent within
#     5 s (the running experiment Aborted), nothing attached, socket gone.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_require_root
fl_require_cgroup2
fl_require_cmds ip jq curl promtool setpriv
fl_require_traffic
fl_require_faultline

fl_plan 26
fl_setup
fl_start_servers
FL_CG_THIRD=$FL_CG/third
mkdir "$FL_CG_THIRD" && FL_CGROUPS+=("$FL_CG_THIRD") || fl_bail "cannot create $FL_CG_THIRD"

SOCK=$FL_STATE/agent.sock
SPEC=$FL_STATE/spec
PIN=$FL_STATE/pin
mkdir "$SPEC"
PORT=$(fl_free_port)
METRICS=http://127.0.0.1:$PORT

# exp FILE NAME CGROUP THRESHOLD DURATION: drop every UDP datagram the
# target sends; trips when more than THRESHOLD were dropped in 5 s
exp()
{
	fl_exp_drop_udp "$@"
}

send_from()
{
	fl_traffic "$FL_NS_CLI" "$1" udp-send --dst "$FL_SRV4" --port "$FL_ECHO_PORT" \
		--count "$2" --pps 200 >/dev/null
}

status_json()
{
	"$FL_BIN" status --json --socket "$SOCK"
}

# phase_of NAME: the phase of the newest experiment NAME in status
phase_of()
{
	status_json | jq -r --arg n "$1" '[.[] | select(.name == $n)] | last | .phase // "none"'
}

fl_bg_in holda "$FL_NS_CLI" "$FL_CG_TARGET" sleep 300
fl_bg_in holdb "$FL_NS_CLI" "$FL_CG_BYSTANDER" sleep 300
fl_bg_in holdc "$FL_NS_CLI" "$FL_CG_THIRD" sleep 300
for cg in "$FL_CG_TARGET" "$FL_CG_BYSTANDER" "$FL_CG_THIRD"; do
	fl_wait_for 5 eval "[[ \$(wc -l <$cg/cgroup.procs) -ge 1 ]]" ||
		fl_bail "the targets' processes did not enter their cgroups"
done

fl_bg agent "$FL_BIN" agent --socket "$SOCK" --spec-dir "$SPEC" \
	--metrics-addr "127.0.0.1:$PORT" --pin-dir "$PIN" --log-format json
fl_wait_for 10 test -S "$SOCK"
fl_ok $? "the agent listens on its own socket" || fl_bail "$(cat "$FL_STATE/agent.err")"

[[ $(stat -c %a "$SOCK") == 600 && $(stat -c %a "$PIN") == 700 ]]
fl_ok $? "socket mode 0600 ($(stat -c %a "$SOCK")), pin dir 0700 ($(stat -c %a "$PIN"))"

# nobody may traverse the state dir for this check only
chmod 711 "$FL_STATE"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$FL_BIN" status --socket "$SOCK" 2>&1)
rc=$?
[[ $rc != 0 && $out == *"Permission denied"* ]]
fl_ok $? "a non-root peer cannot connect to the 0600 socket (exit $rc: $out)"
chmod 666 "$SOCK"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$FL_BIN" status --socket "$SOCK" 2>&1)
rc=$?
chmod 600 "$SOCK"
chmod 700 "$FL_STATE"
[[ $rc == 3 && $out == *"permission denied: the agent answers root only"* ]]
fl_ok $? "with the file opened up, SO_PEERCRED still refuses uid 65534 (exit $rc: $out)"

# ---- run --agent: the foreground run's report and exit code ----
exp "$FL_STATE/trip.yaml" "trip$FL_RAND" "$FL_CG_TARGET" 5 30s
fl_bg trip "$FL_BIN" run "$FL_STATE/trip.yaml" --agent --socket "$SOCK" --json
fl_wait_log trip "started in the agent" 10
fl_ok $? "run --agent: the experiment started in the agent"
send_from "$FL_CG_TARGET" 50
fl_wait trip 20
rc=$?
got=$(jq -r '[.state, .failureReport.condition, .faults[0].egress.dropped] | map(tostring) | join(" ")' \
	"$FL_STATE/trip.out" 2>/dev/null)
read -r st cond dropped <<<"$got"
[[ $rc == 1 && $st == Failed && $cond == dropped ]] && ((dropped >= 6 && dropped <= 50))
fl_ok $? "run --agent: exit 1, Failed by its condition, 6..50 drops (exit $rc: $got)" ||
	fl_diag_file "$FL_STATE/trip.err"
# the same file in the foreground, for its report's fields
exp "$FL_STATE/fg.yaml" "fg$FL_RAND" "$FL_CG_TARGET" 1000000 1s
sed -i 's/window: 5s/window: 1s/' "$FL_STATE/fg.yaml"
"$FL_BIN" run "$FL_STATE/fg.yaml" --json >"$FL_STATE/fg.out" 2>"$FL_STATE/fg.err"
fg_keys=$(jq -c '[paths | map(if type == "number" then 0 else . end)] | unique
	| map(select(.[0] != "failureReport" and .[0] != "flows"))' "$FL_STATE/fg.out")
ag_keys=$(jq -c '[paths | map(if type == "number" then 0 else . end)] | unique
	| map(select(.[0] != "failureReport" and .[0] != "flows"))' "$FL_STATE/trip.out")
[[ -n $fg_keys && $fg_keys == "$ag_keys" ]] &&
	jq -e '.failureReport | has("disarm_latency_ns") and has("trippedAt")' "$FL_STATE/trip.out" >/dev/null
fl_ok $? "run --agent: the report has a foreground report's fields" ||
	fl_diag "foreground: $fg_keys" "agent: $ag_keys" "$(cat "$FL_STATE/fg.err")"

# ---- two at once, an overlapping third refused ----
exp "$FL_STATE/a.yaml" "a$FL_RAND" "$FL_CG_TARGET" 1000000 60s
exp "$FL_STATE/b.yaml" "b$FL_RAND" "$FL_CG_BYSTANDER" 1000000 60s
exp "$FL_STATE/c.yaml" "c$FL_RAND" "$FL_CG" 1000000 60s
fl_bg runa "$FL_BIN" run "$FL_STATE/a.yaml" --agent --socket "$SOCK" --json
fl_bg runb "$FL_BIN" run "$FL_STATE/b.yaml" --agent --socket "$SOCK" --json
fl_wait_log runa "started in the agent" 10 && fl_wait_log runb "started in the agent" 10
fl_ok $? "two experiments on distinct targets started"
list=$(status_json | jq -r '[.[] | select(.phase == "Started") | .name] | sort | join(" ")')
[[ $list == "a$FL_RAND b$FL_RAND" ]]
fl_ok $? "status --json lists both as Started ($list)"
out=$("$FL_BIN" run "$FL_STATE/c.yaml" --agent --socket "$SOCK" 2>&1)
rc=$?
[[ $rc == 3 && $out == *"targets overlap: $FL_CG is an ancestor of $FL_CG/"* ]]
fl_ok $? "a third on the parent cgroup is refused (exit $rc: $out)"
out=$("$FL_BIN" run "$FL_STATE/a.yaml" --agent --socket "$SOCK" 2>&1)
rc=$?
[[ $rc == 3 && $out == *"already running"* ]]
fl_ok $? "a second a$FL_RAND is refused (exit $rc: $out)"

# ---- metrics while b drops ----
send_from "$FL_CG_BYSTANDER" 40
sleep 1
curl -sf "$METRICS/metrics" >"$FL_STATE/metrics.txt"
fl_check "/metrics passes promtool check metrics" promtool check metrics <"$FL_STATE/metrics.txt"
v=$(awk -v e="b$FL_RAND" '$1 ~ /^faultline_fault_packets_total\{/ && index($1, "experiment=\"" e "\"") &&
	index($1, "direction=\"egress\"") && index($1, "action=\"dropped\"") { print $2 }' "$FL_STATE/metrics.txt")
[[ -n $v ]] && awk -v v="$v" 'BEGIN { exit !(v >= 40) }' &&
	grep -q '^faultline_experiments{phase="Started"} 2$' "$FL_STATE/metrics.txt" &&
	grep -q '^faultline_trips_total 1$' "$FL_STATE/metrics.txt" &&
	grep -q '^faultline_trip_disarm_seconds_count 1$' "$FL_STATE/metrics.txt" &&
	grep -q '^faultline_build_info{version=".*"} 1$' "$FL_STATE/metrics.txt"
fl_ok $? "metrics: b's egress drops counted ($v), 2 Started, 1 trip with its latency, build info" ||
	fl_diag_file "$FL_STATE/metrics.txt" 60
code=$(curl -s -o "$FL_STATE/healthz" -w '%{http_code}' "$METRICS/healthz")
[[ $code == 200 && $(cat "$FL_STATE/healthz") == ok ]]
fl_ok $? "/healthz is 200 ok ($code)"

# ---- stop one, the other goes on ----
out=$("$FL_BIN" stop "a$FL_RAND" --socket "$SOCK" 2>&1)
fl_ok $? "stop a$FL_RAND through the agent ($out)"
fl_wait runa 10
rc=$?
st=$(jq -r .state "$FL_STATE/runa.out" 2>/dev/null)
reason=$(jq -r .reason "$FL_STATE/runa.out" 2>/dev/null)
[[ $rc == 130 && $st == Aborted && $reason == *"faultline stop"* ]]
fl_ok $? "a: Aborted, exit 130 ($st: $reason)"
[[ $(phase_of "b$FL_RAND") == Started ]] && fl_bg_alive runb
fl_ok $? "b goes on"

# ---- the spec directory ----
printf 'apiVersion: faultline/v1alpha1\nkind: Experiment\nmetadata: {name: bad}\nspec:\n  duration: nope\n' \
	>"$FL_STATE/bad.yaml"
mv "$FL_STATE/bad.yaml" "$SPEC/bad.yaml"
exp "$FL_STATE/s.yaml" "s$FL_RAND" "$FL_CG_THIRD" 1000000 60s
mv "$FL_STATE/s.yaml" "$SPEC/s.yaml"
fl_wait_for 5 eval '[[ $(phase_of "s$FL_RAND") == Started ]]'
fl_ok $? "a file moved into the spec dir starts its experiment"
grep -q "$SPEC/bad.yaml:5:[0-9]*:" "$FL_STATE/agent.err" && fl_bg_alive agent
fl_ok $? "an invalid file is logged with FILE:LINE:COL and skipped" ||
	fl_diag_file "$FL_STATE/agent.err"
exp "$FL_STATE/s2.yaml" "s$FL_RAND" "$FL_CG_THIRD" 1000000 50s
mv "$FL_STATE/s2.yaml" "$SPEC/s.yaml"
fl_wait_for 5 eval '[[ $(status_json | jq -r --arg n "s$FL_RAND" \
	"[.[] | select(.name == \$n) | .phase] | join(\" \")") == "Aborted Started" ]]'
fl_ok $? "rewriting it restarts it (the old one Aborted, a new one Started)" ||
	fl_diag "$(status_json | jq -c '.[] | [.name, .phase]')"
[[ $(status_json | jq -r --arg n "s$FL_RAND" '[.[] | select(.name == $n)] | last | .duration_s') == 50 ]]
fl_ok $? "the restarted experiment is the new file's (50 s)"
rm "$SPEC/s.yaml"
fl_wait_for 5 eval '[[ $(phase_of "s$FL_RAND") == Aborted ]]'
fl_ok $? "removing the file stops it"

# ---- SIGTERM ----
t0=$(fl_now_ms)
kill -TERM "$(fl_bg_pid agent)"
fl_wait agent 5
rc=$?
dt=$(($(fl_now_ms) - t0))
[[ $rc == 0 ]] && ((dt < 5000)) && [[ ! -e $SOCK ]]
fl_ok $? "SIGTERM: the agent exits 0 within 5 s (${dt} ms), socket removed (exit $rc)"
fl_wait runb 5
rc=$?
[[ $rc == 130 && $(jq -r .state "$FL_STATE/runb.out" 2>/dev/null) == Aborted ]]
fl_ok $? "b, still running at SIGTERM, ended Aborted (exit $rc)"
fl_no_faultline_attached
fl_ok $? "nothing attached after the agent ended"
jq -e -s 'length > 3 and all(has("ts") and has("level") and has("msg")) and
	any(.experiment != null)' "$FL_STATE/agent.err" >/dev/null
fl_ok $? "every --log-format json line parses, with ts, level, msg and experiment fields" ||
	fl_diag_file "$FL_STATE/agent.err"
fl_done
