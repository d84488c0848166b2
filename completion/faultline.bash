# bash completion for faultline(8). Installed by 'make install' as
# PREFIX/share/bash-completion/completions/faultline; or source it.
# Self-contained: it does not need the bash-completion package.

_faultline_opts()
{
	case $1 in
	inject)
		echo "--cgroup -c --pid --container --pod-uid --cgroup-root --netns -n
		      --iface -i --direction -d --proto -p --peer --port --drop --delay
		      --jitter --distribution --correlation --reorder --rate --rate-per
		      --scope --partition --loss --loss-correlation --loss-p --loss-r
		      --loss-h --loss-k --loss-per --duplicate --corrupt --corrupt-fix-checksum --delay-percent --rate-percent --reject --reject-with
		      --dns-name --dns-action --dns-delay --force-qdisc --abort-if --duration -t --name --json --dry-run
		      --force --verbose -v --help" ;;
	run) echo "--json --report-dir --dry-run --explain --force --agent --socket --verbose -v --help" ;;
	validate) echo "--force --help" ;;
	stop) echo "--all --socket --help" ;;
	agent)
		echo "--socket --spec-dir --metrics-addr --pin-dir --on-restart --log-format
		      --allow-uid --kubeconfig --node-name --cgroup-root --verbose -v --help" ;;
	status) echo "--json --socket --help" ;;
	cleanup) echo "--netns --force --json --help" ;;
	features) echo "--iface --json --help" ;;
	demo) echo "--dry-run --help" ;;
	esac
}

_faultline()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmds="inject run validate stop agent status cleanup features demo version help"
	local cmd= i

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$cmds --help --version" -- "$cur")
		return 0
	fi

	# an option's value
	case $prev in
	-d | --direction) mapfile -t COMPREPLY < <(compgen -W "ingress egress both" -- "$cur"); return 0 ;;
	-p | --proto) mapfile -t COMPREPLY < <(compgen -W "tcp udp icmp any" -- "$cur"); return 0 ;;
	--distribution)
		mapfile -t COMPREPLY < <(compgen -W "uniform normal pareto paretonormal" -- "$cur")
		return 0 ;;
	--rate-per) mapfile -t COMPREPLY < <(compgen -W "target flow" -- "$cur"); return 0 ;;
	--scope) mapfile -t COMPREPLY < <(compgen -W "packets connections" -- "$cur"); return 0 ;;
	--loss-per) mapfile -t COMPREPLY < <(compgen -W "flow fault" -- "$cur"); return 0 ;;
	--reject-with) mapfile -t COMPREPLY < <(compgen -W "tcp-reset icmp-unreachable" -- "$cur"); return 0 ;;
	--dns-action)
		mapfile -t COMPREPLY < <(compgen -W "drop delay nxdomain servfail" -- "$cur")
		return 0 ;;
	--log-format) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur"); return 0 ;;
	--on-restart) mapfile -t COMPREPLY < <(compgen -W "clean adopt" -- "$cur"); return 0 ;;
	--metrics-addr) mapfile -t COMPREPLY < <(compgen -W "127.0.0.1:9464 none" -- "$cur"); return 0 ;;
	-c | --cgroup | --cgroup-root | --spec-dir | --pin-dir | --report-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
	-n | --netns | --socket | --kubeconfig)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
	-i | --iface)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		return 0 ;;
	--pid | --container | --pod-uid | --peer | --port | --drop | --delay | --jitter | \
	--correlation | --rate | --abort-if | -t | --duration | --name | --allow-uid)
		return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_faultline_opts "$cmd")" -- "$cur")
		return 0
	fi
	# FILE arguments: experiment files
	case $cmd in
	run | validate)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.yaml' -- "$cur"
			compgen -f -X '!*.yml' -- "$cur"; compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null ;;
	esac
	return 0
}
complete -F _faultline faultline
