#!/usr/bin/env bash
# exp_prometheus: a prometheus condition against a real Prometheus
# (Debian's prometheus, offline, on 127.0.0.1, a temporary storage dir)
# that scrapes an exporter (flsvc serve --metrics-file, see lib_prom.sh)
# every second; the test owns the metric file. The experiment (40 s) has the condition max(fl_test_value)
# above 5, polled every 500 ms, and a second one whose query matches no
# series. With the value at 1 the run goes on; once the file says 9 it
# must end Failed (exit 1) on the prometheus signal with the value 9, and
# the empty query must show as an error in the report, not as a silent
# pass; a run with only that query ends as Error (exit 3). Prometheus and the exporter are stopped at the end, and lib.sh's
# teardown kills them on any other way out.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_prom.sh
source "$(dirname "$0")/../lib/lib_prom.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_exp.sh
source "$(dirname "$0")/../lib/lib_exp.sh"

fl_exp_require
fl_require_cmds prometheus timeout
[[ -x $FL_DEMO_SVC ]] || fl_skip_all "no $FL_DEMO_SVC: run make all"

fl_plan 11
fl_setup

metrics=$FL_STATE/metrics.prom


# prom_value: what Prometheus answers now for max(fl_test_value).
prom_value()
{
	http_get "$prom_port" '/api/v1/query?query=max%28fl_test_value%29' |
		sed '1,/^\r\{0,1\}$/d' | jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

prom_says()
{
	[[ $(prom_value) == "$1" ]]
}

# ---- the exporter and Prometheus ----
set_metric 1 || fl_bail "cannot write $metrics"
exporter_start || {
	fl_diag_file "$FL_STATE/exporter.err" 5
	fl_bail "the exporter (flsvc serve --metrics-file) did not start"
}

prom_start "$exp_port"
ready=$?
fl_ok $ready "prometheus is ready on 127.0.0.1:$prom_port" || fl_bail "prometheus did not start"
fl_wait_for 20 prom_says 1
fl_ok $? "prometheus has scraped fl_test_value 1 ($(prom_value))" ||
	fl_bail "prometheus does not have the metric"

# ---- the experiment ----
fl_exp_sleeper "$FL_NS_CLI" || fl_bail "cannot start the target's process"
exp=$FL_STATE/exp.yaml
url=http://127.0.0.1:$prom_port
fl_exp_write "$exp" prom 40s '[]' "[
	{name: value-high, signal: prometheus, above: 5,
	 prometheus: {url: \"$url\", query: \"max(fl_test_value)\", interval: 500ms}},
	{name: no-sample, signal: prometheus, above: 5,
	 prometheus: {url: \"$url\", query: \"max(fl_no_such_series_$FL_RAND)\", interval: 500ms}}]"
fl_exp_start prom "$exp"
fl_exp_wait_started prom
fl_ok $? "the experiment started" || fl_bail "faultline run did not start"

# The value 1 is visible for 4 s (8 polls): the run must go on.
sleep 4
fl_bg_alive prom && prom_says 1
fl_ok $? "value 1 for 4 s: the run is still going" || {
	fl_diag "prometheus says $(prom_value)"
	fl_diag_file "$FL_STATE/prom.err"
}

start=$(fl_now_ms)
set_metric 9 || fl_bail "cannot write $metrics"
fl_wait prom 25
rc=$?
took=$(($(fl_now_ms) - start))
fl_diag "the run ended $took ms after the file said 9 (scrape 1 s + poll 500 ms)"
fl_exp_check_trip prom "$rc" prometheus
v=$(fl_exp_q prom .failureReport.value)
c=$(fl_exp_q prom .failureReport.condition)
[[ $c == value-high ]] && awk -v v="$v" 'BEGIN { exit !(v == 9) }'
fl_ok $? "failureReport: condition ${c:-none}, value ${v:-none} (want value-high, 9)"

# The query without a sample: an error on its condition, no value.
err=$(fl_exp_q prom '[.conditions[] | select(.name == "no-sample")][0].error // empty')
val=$(fl_exp_q prom '[.conditions[] | select(.name == "no-sample")][0] | "\(.value) \(.tripped)"')
[[ -n $err && $val == "null false" ]]
fl_ok $? "a query with no sample reports an error (${err:-none}), value and trip: $val" ||
	fl_diag "$(fl_exp_summary prom)"
[[ $(fl_exp_q prom '[.conditions[] | select(.name == "value-high")][0].error // "none"') == none ]]
fl_ok $? "the query with a sample has no error"

fl_no_faultline_attached
fl_ok $? "nothing attached after the run"

# A run whose only condition never got a sample did not prove anything:
# it ends as Error (exit 3), not Succeeded.
fl_exp_write "$exp" unjudged 3s '[]' "[
	{name: no-sample, signal: prometheus, above: 5,
	 prometheus: {url: \"$url\", query: \"max(fl_no_such_series_$FL_RAND)\", interval: 500ms}}]"
fl_exp_start unjudged "$exp"
fl_wait unjudged 20
rc=$?
reason=$(fl_exp_q unjudged .reason)
[[ $rc == 3 && $(fl_exp_q unjudged .state) == Error && $reason == *no-sample* ]]
fl_ok $? "no sample all along: exit $rc (want 3), state $(fl_exp_q unjudged .state) (want Error): $reason"

# ---- nothing stays running ----
fl_stop prometheus
rc_prom=$?
fl_stop exporter
rc_exp=$?
left=$(pgrep -f -- "--storage.tsdb.path=$FL_STATE/"; pgrep -f -- "--metrics-file $metrics")
[[ $rc_prom == 0 && $rc_exp == 0 && -z $left ]]
fl_ok $? "prometheus and the exporter stopped" ||
	fl_diag "prometheus: $rc_prom, exporter: $rc_exp, still running: ${left:-none}"

fl_done
