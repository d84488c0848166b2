# shellcheck shell=bash
# Helpers for tests that run a real Prometheus on loopback, scraping
# build/tests/tools/flexporter. Sourced after tests/lib.sh; callers set
# $metrics (the file flexporter serves) and $prom_port.

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

prom_ready()
{
	http_get "$prom_port" /-/ready | head -n 1 | grep -q ' 200 '
}
