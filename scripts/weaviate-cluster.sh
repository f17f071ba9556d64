#!/usr/bin/env bash
# weaviate-cluster.sh runs a Weaviate cluster on this machine's loopback, for
# lookalike's Weaviate store and its integration tests.
#
# Usage:
#
#	scripts/weaviate-cluster.sh start N     # N nodes (1 to 9); node I's HTTP API on 127.0.0.1:808I
#	scripts/weaviate-cluster.sh stop        # every node, SIGTERM then SIGKILL
#	scripts/weaviate-cluster.sh kill I      # node I, SIGKILL (fault tests)
#	scripts/weaviate-cluster.sh restart I   # node I again, with its data; waits until ready
#	scripts/weaviate-cluster.sh build       # only build (and cache) the server
#
# The server is built once from the Go module proxy (go install
# github.com/weaviate/weaviate/cmd/weaviate-server@$WEAVIATE_VERSION: a few
# minutes and ~170 MB the first time) and cached in
# $LOOKALIKE_CACHE/weaviate/$WEAVIATE_VERSION (LOOKALIKE_CACHE defaults to
# ~/.cache/lookalike). Node data, logs and PIDs go under $WEAVIATE_DIR
# (default /tmp/lookalike-weaviate), printed by start; start wipes it.
#
# Per node I: HTTP 808I, gRPC 5005I, gossip 79I0 (data port +1), Raft
# 83I0 (Raft RPC +1, as CLUSTER_IN_LOCALHOST requires). Node 1 starts first
# (the others join its gossip port), then the rest; start and restart
# return when every node answers /v1/.well-known/ready.
set -euo pipefail

WEAVIATE_VERSION=${WEAVIATE_VERSION:-v1.35.2}
LOOKALIKE_CACHE=${LOOKALIKE_CACHE:-$HOME/.cache/lookalike}
WEAVIATE_DIR=${WEAVIATE_DIR:-/tmp/lookalike-weaviate}
bin="$LOOKALIKE_CACHE/weaviate/$WEAVIATE_VERSION/weaviate-server"

build() {
	if [[ -x $bin ]]; then
		return
	fi
	echo "building weaviate-server $WEAVIATE_VERSION into $(dirname "$bin") (a few minutes, once)" >&2
	mkdir -p "$(dirname "$bin")"
	GOBIN="$(dirname "$bin")" go install "github.com/weaviate/weaviate/cmd/weaviate-server@$WEAVIATE_VERSION"
}

http_port() { echo $((8080 + $1)); }
grpc_port() { echo $((50050 + $1)); }
gossip_port() { echo $((7900 + 10 * $1)); }
raft_port() { echo $((8300 + 10 * $1)); }

# node_env I N prints node I's environment of an N-node cluster.
node_env() {
	local i=$1 n=$2 join="" raft_join="" j
	if ((i > 1)); then
		join="127.0.0.1:$(gossip_port 1)"
	fi
	for ((j = 1; j <= n; j++)); do
		raft_join+="${raft_join:+,}node$j:$(raft_port "$j")"
	done
	cat <<EOF
CLUSTER_HOSTNAME=node$i
CLUSTER_IN_LOCALHOST=true
CLUSTER_BIND_ADDR=127.0.0.1
CLUSTER_ADVERTISE_ADDR=127.0.0.1
CLUSTER_GOSSIP_BIND_PORT=$(gossip_port "$i")
CLUSTER_DATA_BIND_PORT=$(($(gossip_port "$i") + 1))
CLUSTER_JOIN=$join
RAFT_PORT=$(raft_port "$i")
RAFT_INTERNAL_RPC_PORT=$(($(raft_port "$i") + 1))
RAFT_JOIN=$raft_join
RAFT_BOOTSTRAP_EXPECT=$n
GRPC_PORT=$(grpc_port "$i")
PERSISTENCE_DATA_PATH=$WEAVIATE_DIR/node$i/data
AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true
DEFAULT_VECTORIZER_MODULE=none
ENABLE_MODULES=
DISABLE_TELEMETRY=true
LOG_LEVEL=warning
QUERY_DEFAULTS_LIMIT=100
EOF
}

# launch I starts node I of the cluster recorded in $WEAVIATE_DIR/nodes.
launch() {
	local i=$1 n
	n=$(cat "$WEAVIATE_DIR/nodes")
	mkdir -p "$WEAVIATE_DIR/node$i/data"
	(
		while IFS= read -r kv; do export "${kv?}"; done < <(node_env "$i" "$n")
		exec "$bin" --host 127.0.0.1 --port "$(http_port "$i")" --scheme http
	) >>"$WEAVIATE_DIR/node$i/log" 2>&1 &
	echo $! >"$WEAVIATE_DIR/node$i/pid"
}

# wait_port P waits until something listens on 127.0.0.1:P.
wait_port() {
	local p=$1 t
	for ((t = 0; t < 600; t++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "weaviate-cluster: nothing listens on port $p after 60 s" >&2
	return 1
}

# ready I reports whether node I answers 200 to /v1/.well-known/ready
# (bash's /dev/tcp: no curl needed).
ready() {
	local line
	{ exec 3<>"/dev/tcp/127.0.0.1/$(http_port "$1")"; } 2>/dev/null || return 1
	printf 'GET /v1/.well-known/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	read -r -t 5 line <&3 || true
	exec 3<&- 3>&-
	[[ $line == "HTTP/1."?" 200"* ]]
}

# wait_ready I waits until node I answers ready (120 s at most).
wait_ready() {
	local i=$1 t
	for ((t = 0; t < 1200; t++)); do
		if ready "$i"; then
			return 0
		fi
		if ! kill -0 "$(cat "$WEAVIATE_DIR/node$i/pid")" 2>/dev/null; then
			echo "weaviate-cluster: node $i exited; its log:" >&2
			tail -20 "$WEAVIATE_DIR/node$i/log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "weaviate-cluster: node $i not ready after 120 s; see $WEAVIATE_DIR/node$i/log" >&2
	return 1
}

# signal_node SIG I sends SIG to node I if it runs.
signal_node() {
	local pid
	pid=$(cat "$WEAVIATE_DIR/node$2/pid" 2>/dev/null || true)
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill "-$1" "$pid" 2>/dev/null || true
	fi
}

stop() {
	local f pid
	[[ -d $WEAVIATE_DIR ]] || return 0
	for f in "$WEAVIATE_DIR"/node*/pid; do
		[[ -e $f ]] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null || true
	done
	for f in "$WEAVIATE_DIR"/node*/pid; do
		[[ -e $f ]] || continue
		pid=$(cat "$f")
		for ((t = 0; t < 100; t++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

case "${1:-}" in
build)
	build
	;;
start)
	n=${2:?usage: weaviate-cluster.sh start N}
	if ((n < 1 || n > 9)); then
		echo "weaviate-cluster: N must be 1 to 9" >&2
		exit 2
	fi
	build
	stop
	rm -rf "$WEAVIATE_DIR"
	mkdir -p "$WEAVIATE_DIR"
	echo "$n" >"$WEAVIATE_DIR/nodes"
	launch 1
	wait_port "$(gossip_port 1)"
	for ((i = 2; i <= n; i++)); do
		launch "$i"
	done
	for ((i = 1; i <= n; i++)); do
		wait_ready "$i"
	done
	echo "weaviate cluster of $n nodes ready: http://127.0.0.1:$(http_port 1) ... ; data under $WEAVIATE_DIR"
	;;
stop)
	stop
	;;
kill)
	signal_node KILL "${2:?usage: weaviate-cluster.sh kill I}"
	;;
restart)
	i=${2:?usage: weaviate-cluster.sh restart I}
	signal_node KILL "$i"
	sleep 0.2
	launch "$i"
	wait_ready "$i"
	echo "node $i ready: http://127.0.0.1:$(http_port "$i")"
	;;
*)
	sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
