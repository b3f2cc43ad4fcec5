#!/usr/bin/env bash
# Installs (once, into a cache) and runs the local AWS services the tests need:
#   - DynamoDB Local: the official engine, the jar shipped inside the npm package amplify-dynamodb-simulator,
#     run with the machine's Java;
#   - moto's server (PyPI moto[server]) for Secrets Manager, EventBridge, SQS, SES (v2) and S3 (the export bucket).
#
# Usage:
#   scripts/test-services.sh install   fetch both into the cache (no-op when already there)
#   scripts/test-services.sh start     install if needed, start both on free local ports, wait until they answer
#   scripts/test-services.sh env       print `export ...` lines for the AWS SDK's standard variables
#   scripts/test-services.sh status    say whether the services of this instance are running
#   scripts/test-services.sh stop      stop the services this instance started
#
# Typical manual use:
#   scripts/test-services.sh start && eval "$(scripts/test-services.sh env)" && cargo test -p shared
#
# Environment:
#   TEST_SERVICES_CACHE      cache directory (default: <repo>/.cache)
#   TEST_SERVICES_INSTANCE   name of this set of services (default: "default"); scripts/test uses its own, so a
#                            test run never stops services somebody started by hand in the same checkout.
#   TEST_SERVICES_LOG_NAME   name of the log files in <cache>/logs (default: the instance name)
#   TEST_SERVICES_TIMEOUT    seconds to wait for a service to answer (default: 90)
set -euo pipefail

readonly DYNAMODB_SIMULATOR_VERSION="2.9.30"
readonly MOTO_VERSION="5.1.22"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${TEST_SERVICES_CACHE:-$REPO_ROOT/.cache}"
INSTANCE="${TEST_SERVICES_INSTANCE:-default}"
TIMEOUT="${TEST_SERVICES_TIMEOUT:-90}"

DYNAMODB_DIR="$CACHE_DIR/dynamodb-local-$DYNAMODB_SIMULATOR_VERSION"
MOTO_VENV="$CACHE_DIR/moto-$MOTO_VERSION"
LOG_DIR="$CACHE_DIR/logs"
LOG_NAME="${TEST_SERVICES_LOG_NAME:-$INSTANCE}"
STATE_DIR="$CACHE_DIR/services/$INSTANCE"
readonly REGION="us-east-1"

say() { printf '[test-services] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

python_bin() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    die "python3 is needed to run moto's server"
}

# Concurrent first runs in one checkout must not install into the same folder at once.
with_install_lock() {
    mkdir -p "$CACHE_DIR"
    (
        flock -w 900 9 || die "timed out waiting for another install to finish ($CACHE_DIR/install.lock)"
        "$@"
    ) 9>"$CACHE_DIR/install.lock"
}

install_dynamodb_local() {
    if [[ -f "$DYNAMODB_DIR/.installed" ]]; then
        return
    fi
    command -v npm >/dev/null 2>&1 || die "npm is needed to fetch DynamoDB Local"
    command -v java >/dev/null 2>&1 || die "java (17 or later) is needed to run DynamoDB Local"
    say "fetching DynamoDB Local (npm amplify-dynamodb-simulator@$DYNAMODB_SIMULATOR_VERSION) into $DYNAMODB_DIR"
    local download
    download="$(mktemp -d "$CACHE_DIR/.download.XXXXXX")"
    # `npm pack` fetches only the package's tarball: we need its emulator/ folder, not its Node dependencies.
    (cd "$download" && npm pack --silent "amplify-dynamodb-simulator@$DYNAMODB_SIMULATOR_VERSION" >/dev/null) \
        || { rm -rf "$download"; die "npm pack amplify-dynamodb-simulator failed"; }
    tar -xzf "$download"/amplify-dynamodb-simulator-*.tgz -C "$download"
    [[ -f "$download/package/emulator/DynamoDBLocal.jar" ]] \
        || { rm -rf "$download"; die "the npm package no longer ships emulator/DynamoDBLocal.jar"; }
    rm -rf "$DYNAMODB_DIR"
    mv "$download/package/emulator" "$DYNAMODB_DIR"
    rm -rf "$download"
    touch "$DYNAMODB_DIR/.installed"
}

install_moto() {
    if [[ -f "$MOTO_VENV/.installed" ]]; then
        return
    fi
    local python
    python="$(python_bin)"
    say "installing moto[server]==$MOTO_VERSION into $MOTO_VENV"
    rm -rf "$MOTO_VENV"
    "$python" -m venv "$MOTO_VENV" || die "could not create a Python venv (is python3-venv installed?)"
    "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
        || die "pip install moto[server]==$MOTO_VERSION failed"
    touch "$MOTO_VENV/.installed"
}

install_all() {
    with_install_lock install_dynamodb_local
    with_install_lock install_moto
}

free_port() {
    "$(python_bin)" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Any HTTP answer means the server is up (DynamoDB Local answers GET / with 400).
answers_http() {
    curl --silent --output /dev/null --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null
}

pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}

# start_service NAME PORT LOGFILE COMMAND...: starts COMMAND in its own session (so a Ctrl-C in the terminal
# reaches the test runner, whose trap stops the services in order) and waits until it answers.
# Prints the pid; returns 2 when the process died before answering (e.g. port taken), 1 on timeout.
start_service() {
    local name="$1" port="$2" log="$3"
    shift 3
    # Run from the state folder: DynamoDB Local writes a metadata file into its working directory.
    (cd "$STATE_DIR" && exec setsid "$@") >>"$log" 2>&1 </dev/null &
    local pid=$!
    local waited=0
    while ! answers_http "$port"; do
        if ! pid_alive "$pid"; then
            echo "$pid"
            return 2
        fi
        if ((waited >= TIMEOUT * 4)); then
            echo "$pid"
            return 1
        fi
        sleep 0.25
        waited=$((waited + 1))
    done
    say "$name is up on port $port (pid $pid)"
    echo "$pid"
}

# Retries on another port when the one picked was taken between picking and binding.
launch() {
    local name="$1" log="$2" builder="$3"
    local attempt port pid status
    for attempt in 1 2 3; do
        port="$(free_port)"
        printf '\n=== %s: starting on port %s (attempt %s) at %s\n' "$name" "$port" "$attempt" "$(date -u +%FT%TZ)" >>"$log"
        status=0
        "$builder" "$port"
        pid="$(start_service "$name" "$port" "$log" "${SERVICE_COMMAND[@]}")" || status=$?
        if ((status == 0)); then
            LAUNCHED_PORT="$port"
            LAUNCHED_PID="$pid"
            return 0
        fi
        kill "$pid" 2>/dev/null || true
        if ((status == 1)); then
            say "$name did not answer within ${TIMEOUT}s; last lines of $log:"
            tail -n 30 "$log" >&2 || true
            return 1
        fi
        say "$name exited before answering (attempt $attempt); retrying on another port"
    done
    say "$name could not start; last lines of $log:"
    tail -n 30 "$log" >&2 || true
    return 1
}

# The builders set SERVICE_COMMAND for a port.
dynamodb_command() {
    # -sharedDb: one database whatever the credentials and region, so every binary and test sees the same tables.
    SERVICE_COMMAND=(java -Djava.library.path="$DYNAMODB_DIR/DynamoDBLocal_lib" -jar "$DYNAMODB_DIR/DynamoDBLocal.jar"
        -inMemory -sharedDb -disableTelemetry -port "$1")
}

moto_command() {
    SERVICE_COMMAND=("$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$1")
}

load_state() {
    DYNAMODB_PID="" DYNAMODB_PORT="" MOTO_PID="" MOTO_PORT=""
    if [[ -f "$STATE_DIR/state" ]]; then
        # shellcheck disable=SC1091
        source "$STATE_DIR/state"
    fi
}

running() {
    load_state
    pid_alive "$DYNAMODB_PID" && pid_alive "$MOTO_PID" && answers_http "$DYNAMODB_PORT" && answers_http "$MOTO_PORT"
}

stop_pid() {
    local name="$1" pid="$2"
    pid_alive "$pid" || return 0
    kill "$pid" 2>/dev/null || true
    local waited=0
    while pid_alive "$pid" && ((waited < 40)); do
        sleep 0.25
        waited=$((waited + 1))
    done
    if pid_alive "$pid"; then
        say "$name (pid $pid) did not stop on TERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

cmd_stop() {
    load_state
    stop_pid "DynamoDB Local" "$DYNAMODB_PID"
    stop_pid "moto" "$MOTO_PID"
    rm -rf "$STATE_DIR"
    [[ -n "$DYNAMODB_PID$MOTO_PID" ]] && say "stopped services of instance '$INSTANCE'"
    return 0
}

cmd_start() {
    if running; then
        say "services of instance '$INSTANCE' already running (DynamoDB Local :$DYNAMODB_PORT, moto :$MOTO_PORT)"
        return 0
    fi
    cmd_stop >/dev/null 2>&1 || true
    install_all
    mkdir -p "$LOG_DIR" "$STATE_DIR"

    local dynamodb_log="$LOG_DIR/dynamodb-local-$LOG_NAME.log" moto_log="$LOG_DIR/moto-$LOG_NAME.log"
    launch "DynamoDB Local" "$dynamodb_log" dynamodb_command || die "DynamoDB Local failed to start"
    DYNAMODB_PORT="$LAUNCHED_PORT" DYNAMODB_PID="$LAUNCHED_PID"
    write_state
    if ! launch "moto" "$moto_log" moto_command; then
        cmd_stop
        die "moto's server failed to start"
    fi
    MOTO_PORT="$LAUNCHED_PORT" MOTO_PID="$LAUNCHED_PID"
    write_state
    say "logs: $dynamodb_log, $moto_log"
}

write_state() {
    cat >"$STATE_DIR/state" <<EOF
DYNAMODB_PID=${DYNAMODB_PID:-}
DYNAMODB_PORT=${DYNAMODB_PORT:-}
MOTO_PID=${MOTO_PID:-}
MOTO_PORT=${MOTO_PORT:-}
EOF
}

cmd_env() {
    running || die "services of instance '$INSTANCE' are not running: run scripts/test-services.sh start"
    local dynamodb="http://127.0.0.1:$DYNAMODB_PORT" moto="http://127.0.0.1:$MOTO_PORT"
    cat <<EOF
export AWS_ENDPOINT_URL_DYNAMODB=$dynamodb
export AWS_ENDPOINT_URL_SECRETS_MANAGER=$moto
export AWS_ENDPOINT_URL_EVENTBRIDGE=$moto
export AWS_ENDPOINT_URL_SQS=$moto
export AWS_ENDPOINT_URL_SESV2=$moto
export AWS_ENDPOINT_URL_S3=$moto
export AWS_ENDPOINT_URL_STS=$moto
export AWS_REGION=$REGION
export AWS_DEFAULT_REGION=$REGION
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true
EOF
}

cmd_status() {
    if running; then
        say "running: DynamoDB Local :$DYNAMODB_PORT (pid $DYNAMODB_PID), moto :$MOTO_PORT (pid $MOTO_PID)"
    else
        say "services of instance '$INSTANCE' are not running"
        return 1
    fi
}

case "${1:-}" in
    install) install_all ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    env) cmd_env ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 install|start|stop|env|status" >&2
        exit 64
        ;;
esac
