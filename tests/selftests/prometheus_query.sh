#!/usr/bin/env bash
# prometheus_query: fl_prom_query against a real Prometheus (Debian's
# prometheus, offline, on 127.0.0.1) that scrapes an exporter (flsvc
# serve --metrics-file, see lib_prom.sh) every second. The metric file says fl_test_value 1, then 7; each value
# must come back through fl_prom_query within 20 s, along with the errors
# for an empty vector, several samples, a range vector, a bad query and a
# wrong path (the prom_e2e group of build/tests/unit/test_prom, which runs
# only when FL_PROM_URL is set). Both servers are stopped at the end, and
# lib.sh's teardown kills them on any other way out.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib_prom.sh
source "$(dirname "$0")/../lib/lib_prom.sh"

FL_TEST_PROM=$FL_OUTPUT/tests/unit/test_prom

fl_require_cmds prometheus timeout
[[ -x $FL_DEMO_SVC ]] || fl_skip_all "no $FL_DEMO_SVC: run make all"
[[ -x $FL_TEST_PROM ]] || fl_skip_all "no $FL_TEST_PROM: run make all"

fl_plan 8

metrics=$FL_STATE/metrics.prom


# query_until VALUE: fl_prom_query returns VALUE within 20 s, and the
# other prom_e2e checks pass.
# shellcheck disable=SC2317 # called through fl_check
query_until()
{
	env FL_PROM_URL="http://127.0.0.1:$prom_port" FL_PROM_EXPECT="$1" FL_PROM_WAIT=20 \
		CMOCKA_MESSAGE_OUTPUT=TAP "$FL_TEST_PROM"
}

# ---- the exporter ----
set_metric 1 || fl_bail "cannot write $metrics"
exporter_start
fl_ok $? "the exporter (flsvc serve --metrics-file) listens" || {
	fl_diag_file "$FL_STATE/exporter.err" 5
	fl_bail "the exporter did not start"
}

out=$(http_get "$exp_port" /metrics)
[[ $(head -n 1 <<<"$out") == "HTTP/1.1 200 OK"* ]] &&
	grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$out" &&
	grep -q '^fl_test_value 1' <<<"$out"
fl_ok $? "the exporter serves the metric file on /metrics" || fl_diag "$out"

out=$(http_get "$exp_port" /other)
[[ $(head -n 1 <<<"$out") == "HTTP/1.1 404"* ]]
fl_ok $? "the exporter answers 404 elsewhere" || fl_diag "$out"

# ---- Prometheus, on a free port (another may take it first: retry) ----
prom_start "$exp_port"
ready=$?
fl_ok $ready "prometheus is ready on 127.0.0.1:$prom_port" ||
	fl_bail "prometheus did not start"

# ---- the queries ----
fl_check "fl_prom_query returns 1 (within 20 s of the start)" query_until 1 ||
	fl_diag_file "$FL_STATE/prometheus.err" 10

set_metric 7 || fl_bail "cannot write $metrics"
out=$(http_get "$exp_port" /metrics)
grep -q '^fl_test_value 7' <<<"$out"
fl_ok $? "the exporter reads the file again on every request" || fl_diag "$out"
fl_check "fl_prom_query returns 7 after the change (within 20 s), and each error" query_until 7

# ---- nothing stays running ----
fl_stop prometheus
rc_prom=$?
fl_stop exporter
rc_exp=$?
left=$(pgrep -f -- "--storage.tsdb.path=$FL_STATE/" ; pgrep -f -- "--metrics-file $metrics")
[[ $rc_prom == 0 && $rc_exp == 0 && -z $left ]]
fl_ok $? "prometheus and the exporter exit 0 on SIGTERM" ||
	fl_diag "prometheus: $rc_prom, exporter: $rc_exp, still running: ${left:-none}"

fl_done
