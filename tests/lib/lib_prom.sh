# shellcheck shell=bash
# Helpers for tests that run a real Prometheus on loopback, scraping
# build/tools/flsvc serve --metrics-file (exporter_start). Sourced after
# tests/lib/lib.sh; callers set $metrics (the file the exporter serves);
# exporter_start sets $exp_port, prom_start $prom_port.
# shellcheck disable=SC2154 # $metrics is the caller's

FL_DEMO_SVC=${FL_DEMO_SVC:-$FL_OUTPUT/tools/flsvc}

# set_metric VALUE: replaces the file at once (rename), so a scrape never
# reads half a file (an empty scrape would mark the series stale).
set_metric()
{
	printf '# TYPE fl_test_value gauge\nfl_test_value %s\n' "$1" >"$metrics.tmp" &&
		mv -f "$metrics.tmp" "$metrics"
}

# http_get PORT PATH: the raw HTTP/1.0 answer from 127.0.0.1:PORT.
http_get()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
		cat <&3' http_get "$1" "$2" 2>/dev/null
}

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free()
{
	# shellcheck disable=SC2016
	! timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' port_free "$1" 2>/dev/null
}

# exporter_start: the exporter in the background (name "exporter"): flsvc
# serving $metrics on /metrics of 127.0.0.1, a free port (set in
# $exp_port), re-read on every request. Every other path answers 404
# (--status), so a scrape of a wrong path cannot pass for a good one.
exporter_start()
{
	fl_bg exporter "$FL_DEMO_SVC" serve --name exporter --listen 127.0.0.1:0 \
		--metrics-file "$metrics" --status 404 --duration 240s
	fl_wait_log exporter "listening on" 5 || return 1
	exp_port=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$FL_STATE/exporter.err" | cut -d: -f2)
	[[ -n $exp_port ]]
}

prom_ready()
{
	http_get "$prom_port" /-/ready | head -n 1 | grep -q ' 200 '
}

# prom_start EXPORTER_PORT: writes a block-style config scraping
# 127.0.0.1:EXPORTER_PORT every second and starts Prometheus on a free
# loopback port (set in $prom_port; another process may take a port
# first, so it tries three). Returns 0 once Prometheus answers /-/ready.
prom_start()
{
	local try

	cat >"$FL_STATE/prometheus.yml" <<EOY
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets:
          - 127.0.0.1:$1
EOY
	for try in 1 2 3; do
		prom_port=$((20000 + RANDOM % 40000))
		port_free "$prom_port" || continue
		fl_bg prometheus prometheus --config.file="$FL_STATE/prometheus.yml" \
			--storage.tsdb.path="$FL_STATE/tsdb.$try" \
			--web.listen-address="127.0.0.1:$prom_port"
		fl_wait_for 10 eval 'prom_ready || ! fl_bg_alive prometheus'
		if fl_bg_alive prometheus && prom_ready; then
			return 0
		fi
		fl_diag "prometheus on port $prom_port did not start (try $try)"
		fl_diag_file "$FL_STATE/prometheus.err" 5
		# Only a quick exit (the port was taken) is worth another try.
		fl_bg_alive prometheus && break
		fl_stop prometheus
	done
	return 1
}
