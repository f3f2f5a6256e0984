#!/usr/bin/env bash
# A local Neo4j 5 Community server with Neo4j Browser, without Docker: Java 17+ and Maven.
#
#   scripts/neo4j-local.sh start     fetch (once) with Maven, start on 127.0.0.1, wait until it answers,
#                                    print NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD and the Browser address
#   scripts/neo4j-local.sh stop      end the server this script started (its pid file), nothing else
#   scripts/neo4j-local.sh status    running or not, and the connection settings
#
# Everything lives in the git-ignored folder $NEO4J_LOCAL_DIR (default .neo4j/ in the checkout):
# lib/ (the jars scripts/neo4j/pom.xml names), home/ (conf, data, logs), neo4j.pid, and env, the
# connection settings as `export` lines for the analyzer, the tests and CI (`. .neo4j/env`).
# The password is generated on the first start and kept with the data.
#
# Settings (environment):
#   NEO4J_LOCAL_BOLT_PORT, NEO4J_LOCAL_HTTP_PORT   default 7687 / 7474; when a default is taken, a free
#                                                  port is used instead (an explicit one must be free)
#   NEO4J_LOCAL_HEAP       JVM heap, default 1g      NEO4J_LOCAL_PAGECACHE   page cache, default 512m
#   NEO4J_LOCAL_JAVA       the java to run (default: java on PATH; needs 17 or newer)
#
# Exit codes: 0 done, 1 failed (the server's last log lines are printed), 3 Java or Maven missing.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
POM="$ROOT/scripts/neo4j/pom.xml"
DIR=${NEO4J_LOCAL_DIR:-$ROOT/.neo4j}
LIB="$DIR/lib"
HOME_DIR="$DIR/home"
PID_FILE="$DIR/neo4j.pid"
ENV_FILE="$DIR/env"
JAVA=${NEO4J_LOCAL_JAVA:-java}
START_TIMEOUT=180
STOP_TIMEOUT=60

say() { echo "neo4j-local: $*" >&2; }
die() { say "$1"; exit "${2:-1}"; }

# --- the process this script started ------------------------------------------------------------

running_pid() {
    # The pid in the pid file, if that process is still our server (a reused pid is someone else's).
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "CommunityEntryPoint --home-dir=$HOME_DIR " || return 1
    echo "$pid"
}

print_env() {
    cat "$ENV_FILE"
    say "Browser: $(. "$ENV_FILE"; echo "$NEO4J_BROWSER_URL") (connect URL $(. "$ENV_FILE"; echo "$NEO4J_URI"), user neo4j)"
    say "use it: . $ENV_FILE"
}

# --- start ------------------------------------------------------------------------------------------

check_tools() {
    command -v "$JAVA" >/dev/null 2>&1 || die "no java on PATH: install a JDK 17 or newer (apt-get install openjdk-17-jre-headless)" 3
    command -v mvn >/dev/null 2>&1 || die "no mvn on PATH: install Maven (apt-get install maven)" 3
    local major
    major=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Neo4j 5 needs Java 17 or newer; $JAVA is ${major:-unknown}" 3
}

fetch() {
    # The jars of scripts/neo4j/pom.xml, fetched again only when the pom changes.
    local stamp="$LIB/.pom-sha256" digest
    digest=$(sha256sum "$POM" | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && return 0
    say "fetching Neo4j and Neo4j Browser with Maven into $LIB (about 140 MB, once)"
    rm -rf "$LIB.tmp"
    mvn -B -q -f "$POM" dependency:copy-dependencies -Dlib.dir="$LIB.tmp" >"$DIR/maven.log" 2>&1 \
        || { tail -n 20 "$DIR/maven.log" >&2; die "Maven could not fetch the artifacts of $POM (log: $DIR/maven.log)"; }
    rm -rf "$LIB" && mv "$LIB.tmp" "$LIB" && echo "$digest" > "$stamp"
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

choose_port() {
    # $1: the setting's value or empty, $2: the default.
    if [ -n "$1" ]; then
        port_taken "$1" && die "port $1 on 127.0.0.1 is taken (set another, or unset it for a free one)"
        echo "$1"
    elif port_taken "$2"; then
        free_port
    else
        echo "$2"
    fi
}

write_config() {
    local bolt=$1 http=$2
    mkdir -p "$HOME_DIR/conf" "$HOME_DIR/data" "$HOME_DIR/logs"
    cat > "$HOME_DIR/conf/neo4j.conf" <<EOF
# Written by scripts/neo4j-local.sh on every start; edit the script, not this file.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=:$bolt
server.bolt.advertised_address=:$bolt
server.http.listen_address=:$http
server.http.advertised_address=:$http
server.https.enabled=false
server.memory.pagecache.size=${NEO4J_LOCAL_PAGECACHE:-512m}
# Nothing leaves the machine.
dbms.usage_report.enabled=false
client.allow_telemetry=false
# Keep the disk small: scans replace whole snapshots.
db.tx_log.rotation.retention_policy=256M size
EOF
}

initial_password() {
    # A fresh database gets a generated password; an existing one keeps the password in $ENV_FILE.
    if [ -d "$HOME_DIR/data/databases" ]; then
        [ -f "$ENV_FILE" ] || die "$HOME_DIR/data holds a database whose password is unknown ($ENV_FILE is gone): remove $HOME_DIR/data to start afresh"
        (. "$ENV_FILE"; echo "$NEO4J_PASSWORD")
        return
    fi
    local password
    password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    rm -rf "$HOME_DIR/data/dbms"
    NEO4J_HOME="$HOME_DIR" NEO4J_CONF="$HOME_DIR/conf" "$JAVA" -cp "$LIB/*" org.neo4j.cli.AdminTool \
        dbms set-initial-password "$password" >"$HOME_DIR/logs/set-password.log" 2>&1 \
        || { cat "$HOME_DIR/logs/set-password.log" >&2; die "could not set the initial password"; }
    echo "$password"
}

start() {
    mkdir -p "$DIR"
    if pid=$(running_pid); then
        say "already running (pid $pid)"
        print_env
        return 0
    fi
    check_tools
    fetch
    local bolt http password
    bolt=$(choose_port "${NEO4J_LOCAL_BOLT_PORT:-}" 7687) || exit 1
    http=$(choose_port "${NEO4J_LOCAL_HTTP_PORT:-}" 7474) || exit 1
    [ "$bolt" != "$http" ] || http=$(free_port)
    write_config "$bolt" "$http"
    password=$(initial_password) || exit 1
    local log="$HOME_DIR/logs/console.log"
    : > "$log"
    # The JVM flags the neo4j launcher passes for Java 17 (off-heap buffers, reflective access Neo4j needs).
    setsid "$JAVA" -Xms256m -Xmx"${NEO4J_LOCAL_HEAP:-1g}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -XX:-OmitStackTraceInFastThrow -Djdk.nio.maxCachedBufferSize=1024 -Dlog4j2.disable.jmx=true \
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
        -cp "$LIB/*" org.neo4j.server.CommunityEntryPoint --home-dir="$HOME_DIR" \
        --config-dir="$HOME_DIR/conf" --console-mode </dev/null >"$log" 2>&1 &
    echo $! > "$PID_FILE"
    umask 077
    cat > "$ENV_FILE" <<EOF
export NEO4J_URI=bolt://127.0.0.1:$bolt
export NEO4J_USER=neo4j
export NEO4J_PASSWORD=$password
export NEO4J_BROWSER_URL=http://127.0.0.1:$http/browser/
EOF
    say "starting (pid $!), Bolt on 127.0.0.1:$bolt, HTTP on 127.0.0.1:$http; log: $log"
    local waited=0
    until grep -q "INFO  Started\.$" "$log" && port_taken "$bolt" && port_taken "$http"; do
        if ! running_pid >/dev/null; then
            tail -n 20 "$log" >&2
            rm -f "$PID_FILE"
            die "the server stopped while starting (log: $log)"
        fi
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            tail -n 20 "$log" >&2
            stop
            die "the server did not answer within ${START_TIMEOUT} s (log: $log)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "ready after ${waited} s"
    print_env
}

# --- stop / status ------------------------------------------------------------------------------------

stop() {
    local pid
    if ! pid=$(running_pid); then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    kill -TERM "$pid"
    local waited=0
    while [ -d "/proc/$pid" ] && [ "$waited" -lt "$STOP_TIMEOUT" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if [ -d "/proc/$pid" ]; then
        say "no clean shutdown after ${STOP_TIMEOUT} s: killing pid $pid"
        kill -KILL "$pid"
    fi
    rm -f "$PID_FILE"
    say "stopped (pid $pid)"
}

status() {
    local pid
    if pid=$(running_pid); then
        say "running (pid $pid)"
        print_env
    else
        say "not running"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: $0 start|stop|status" 2 ;;
esac
