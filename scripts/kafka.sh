#!/usr/bin/env bash
# kafka.sh — a single-node Apache Kafka (KRaft) on loopback, without Docker.
#
#   scripts/kafka.sh up      fetch the jars (cached), format storage, start, wait until it answers
#   scripts/kafka.sh down    stop exactly the recorded PID and remove its data
#   scripts/kafka.sh kill    SIGKILL the recorded broker (a crash) and keep its data
#   scripts/kafka.sh start   start the broker again on the data and settings `up` left,
#                            after `kill`, and wait until it answers
#   scripts/kafka.sh status  say whether the recorded broker runs
#   scripts/kafka.sh env     print the path of the client settings of the running broker
#                            (set -a; . "$(scripts/kafka.sh env)"; set +a)
#   scripts/kafka.sh classpath  print the classpath of the broker and Kafka's own tools
#                               (java -cp "$(scripts/kafka.sh classpath)" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ...)
#
# Settings (environment):
#   KAFKA_VERSION    4.1.1 (default) or 3.9.1
#   KAFKA_PORT       client port on 127.0.0.1 (default 9092); the controller uses KAFKA_PORT+1
#   KAFKA_ADVERTISED_PORT  the port the broker tells clients to connect to (default KAFKA_PORT):
#                    it listens on 127.0.0.1:KAFKA_PORT but advertises 127.0.0.1:KAFKA_ADVERTISED_PORT,
#                    so that a proxy there (the network tests' toxiproxy, make test-network)
#                    carries every connection after the first; the broker's own traffic
#                    then uses a listener of its own on KAFKA_PORT+2. Clients bootstrap
#                    through the advertised port as well (client.env names it).
#   KAFKA_CACHE_DIR  where jars are cached across runs (default ~/.cache/consumerkit/kafka)
#   KAFKA_STATE_DIR  config, data, log and PID of the running broker (default <repo>/.cache/kafka)
#   KAFKA_SECURITY   plaintext (default) or sasl_ssl: the client listener on KAFKA_PORT then
#                    requires TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, user "consumer").
#                    A CA, the server's certificate (127.0.0.1, localhost), a client certificate
#                    and the password are generated per run under KAFKA_STATE_DIR (nothing to
#                    commit); the broker's own listener runs in plain text on loopback, KAFKA_PORT+2.
#                    `up` writes the client settings to KAFKA_STATE_DIR/client.env (the variables
#                    the binary reads) and client.properties (Kafka's tools), and prints the path.
#   KAFKA_SASL_MECHANISM  the mechanism client.env names (default SCRAM-SHA-512)
#   KAFKA_MTLS       true: the secured listener also requires a client certificate (client.env
#                    names the generated one); default false
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=$((KAFKA_PORT + 1))
KAFKA_ADVERTISED_PORT=${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_CACHE_DIR=${KAFKA_CACHE_DIR:-$HOME/.cache/consumerkit/kafka}
KAFKA_STATE_DIR=${KAFKA_STATE_DIR:-$REPO/.cache/kafka}
LIBS="$KAFKA_CACHE_DIR/$KAFKA_VERSION/libs"
TOOLS="$KAFKA_CACHE_DIR/$KAFKA_VERSION/tools"
PIDFILE="$KAFKA_STATE_DIR/kafka.pid"
LOG="$KAFKA_STATE_DIR/kafka.log"
if [ "${KAFKA_VERSION%%.*}" = 4 ]; then
  LOGOPT="-Dlog4j2.configurationFile=$KAFKA_STATE_DIR/log4j2.yaml"
else
  LOGOPT="-Dlog4j.configuration=file:$KAFKA_STATE_DIR/log4j.properties"
fi
KAFKA_SECURITY=${KAFKA_SECURITY:-plaintext}
KAFKA_MTLS=${KAFKA_MTLS:-false}
INTERNAL_PORT=$((KAFKA_PORT + 2))
TLS_DIR="$KAFKA_STATE_DIR/tls"
CLIENT_ENV="$KAFKA_STATE_DIR/client.env"

die() { echo "kafka.sh: $*" >&2; exit 1; }
say() { echo "kafka.sh: $*" >&2; }

case "$KAFKA_VERSION" in
  4.*) major=4 ;;
  3.9.*) major=3 ;;
  *) die "KAFKA_VERSION $KAFKA_VERSION is not supported (use 4.1.1 or 3.9.1)" ;;
esac

case "$KAFKA_SECURITY" in
  plaintext|sasl_ssl) ;;
  *) die "KAFKA_SECURITY $KAFKA_SECURITY is not supported (use plaintext or sasl_ssl)" ;;
esac
case "$KAFKA_MTLS" in
  true|false) ;;
  *) die "KAFKA_MTLS $KAFKA_MTLS: use true or false" ;;
esac
case "${KAFKA_SASL_MECHANISM:=SCRAM-SHA-512}" in
  PLAIN|SCRAM-SHA-256|SCRAM-SHA-512) ;;
  *) die "KAFKA_SASL_MECHANISM $KAFKA_SASL_MECHANISM: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512" ;;
esac

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}

# fetch_jars copies the broker and its runtime dependencies out of Maven
# Central once per version; a complete copy is marked and reused.
fetch_jars() {
  [ -f "$LIBS/.complete" ] && return 0
  need java "install a Java 17+ JDK (e.g. apt-get install openjdk-17-jdk-headless)"
  need mvn "install Maven (e.g. apt-get install maven); it fetches the broker from Maven Central"
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  local pom; pom=$(mktemp -d)
  local deps
  if [ "$major" = 4 ]; then
    # The SLF4J binding ships only in Kafka's tarball; without it the broker logs nothing.
    deps="<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
          <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>"
  else
    deps="<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
          <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
          <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>"
  fi
  cat >"$pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.consumerkit</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
POM
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  (cd "$pom" && mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2) || die "maven could not fetch Kafka $KAFKA_VERSION"
  rm -rf "$pom"
  local bindings
  bindings=$(ls "$LIBS" | grep -cE '^(log4j-slf4j-impl|slf4j-reload4j|slf4j-log4j12|log4j-slf4j2-impl)-' || true)
  [ "$bindings" = 1 ] || die "expected exactly one SLF4J binding in $LIBS, found $bindings"
  # Since Kafka 3.8 ConsumerGroupCommand lives in kafka-tools, whose
  # dependencies drag in Connect and Jetty; the one jar alone runs on the
  # broker's classpath.
  rm -rf "$TOOLS"; mkdir -p "$TOOLS"
  mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="org.apache.kafka:kafka-tools:$KAFKA_VERSION" -DoutputDirectory="$TOOLS" >&2 \
      || die "maven could not fetch kafka-tools $KAFKA_VERSION"
  touch "$LIBS/.complete"
}

# listener_config is the listeners' part of server.properties. Secured, the
# client listener is SASL_SSL with TLS from the PEM files write_tls made
# and the three mechanisms; SCRAM users are in the metadata log (format
# --add-scram), the PLAIN user in the listener's JAAS configuration.
listener_config() {
  if [ "$KAFKA_SECURITY" = plaintext ] && [ "$KAFKA_ADVERTISED_PORT" != "$KAFKA_PORT" ]; then
    # The broker must not reach itself through the proxy it advertises:
    # its own traffic has a listener of its own.
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_ADVERTISED_PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT
PROPS
    return 0
  fi
  if [ "$KAFKA_SECURITY" = plaintext ]; then
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
PROPS
    return 0
  fi
  local auth=none
  [ "$KAFKA_MTLS" = true ] && auth=required
  cat <<PROPS
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_ADVERTISED_PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_consumer="$(cat "$KAFKA_STATE_DIR/client.password")";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/server.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.sasl_ssl.ssl.client.auth=$auth
PROPS
}

# write_tls makes, for this run only, a CA, the server's certificate for
# 127.0.0.1 and localhost with its key and chain in one PEM file (Kafka's
# PEM key store), a client certificate (mTLS), and the SASL password.
# Keys are readable by this user only. EC P-256 keys: quick to make, and
# Java, Go and librdkafka (kcat) all take them.
write_tls() {
  need openssl "install OpenSSL (e.g. apt-get install openssl); it makes the run's certificates"
  mkdir -p -m 700 "$TLS_DIR"
  (
    umask 077
    cd "$TLS_DIR"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 7 -subj "/CN=consumerkit test CA $$" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    leaf() { # name, subject, extensions
      openssl req -new "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf '%b' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    leaf server /CN=localhost 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
    leaf client /CN=consumer 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n'
    cat server.key server.crt ca.pem >server.pem
    openssl rand -hex 24 >../client.password
  ) || die "openssl could not make the run's certificates"
}

# write_client_settings writes what a client needs to reach the secured
# listener: client.env (the binary's variables; the tests read the same)
# and client.properties (Kafka's own tools: --command-config).
write_client_settings() {
  local pw; pw=$(cat "$KAFKA_STATE_DIR/client.password")
  {
    echo "# Written by scripts/kafka.sh for the broker it started; load with: set -a; . $CLIENT_ENV; set +a"
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_ADVERTISED_PORT"
    echo "KAFKA_TLS_ENABLED=true"
    echo "KAFKA_TLS_CA_FILE=$TLS_DIR/ca.pem"
    if [ "$KAFKA_MTLS" = true ]; then
      echo "KAFKA_TLS_CERT_FILE=$TLS_DIR/client.crt"
      echo "KAFKA_TLS_KEY_FILE=$TLS_DIR/client.key"
    fi
    echo "KAFKA_SASL_MECHANISM=$KAFKA_SASL_MECHANISM"
    echo "KAFKA_SASL_USERNAME=consumer"
    echo "KAFKA_SASL_PASSWORD_FILE=$KAFKA_STATE_DIR/client.password"
  } >"$CLIENT_ENV"
  local module=org.apache.kafka.common.security.scram.ScramLoginModule
  [ "$KAFKA_SASL_MECHANISM" = PLAIN ] && module=org.apache.kafka.common.security.plain.PlainLoginModule
  (
    umask 077
    {
      echo "security.protocol=SASL_SSL"
      echo "sasl.mechanism=$KAFKA_SASL_MECHANISM"
      echo "sasl.jaas.config=$module required username=\"consumer\" password=\"$pw\";"
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$TLS_DIR/ca.pem"
      if [ "$KAFKA_MTLS" = true ]; then
        echo "ssl.keystore.type=PEM"
        echo "ssl.keystore.location=$TLS_DIR/client.pem"
      fi
    } >"$KAFKA_STATE_DIR/client.properties"
    [ "$KAFKA_MTLS" = true ] && cat "$TLS_DIR/client.key" "$TLS_DIR/client.crt" >"$TLS_DIR/client.pem"
    true
  )
}

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null
}

write_config() {
  mkdir -p "$KAFKA_STATE_DIR/data"
  cat >"$KAFKA_STATE_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
$(listener_config)
log.dirs=$KAFKA_STATE_DIR/data
num.partitions=4
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=16777216
PROPS
  if [ "$major" = 4 ]; then
    cat >>"$KAFKA_STATE_DIR/server.properties" <<PROPS
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
    cat >"$KAFKA_STATE_DIR/log4j2.yaml" <<'YAML'
Configuration:
  Appenders:
    Console: {name: STDOUT, PatternLayout: {pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: WARN, AppenderRef: [{ref: STDOUT}]}
    Logger: [{name: kafka.server.KafkaRaftServer, level: INFO}, {name: kafka.server.BrokerServer, level: INFO}]
YAML
  else
    cat >"$KAFKA_STATE_DIR/log4j.properties" <<'L4J'
log4j.rootLogger=WARN, stdout
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
  fi
}

up() {
  if running; then
    if [ "$(cat "$KAFKA_STATE_DIR/version" 2>/dev/null)" != "$KAFKA_VERSION" ] ||
       [ "$(cat "$KAFKA_STATE_DIR/security" 2>/dev/null || echo plaintext)" != "$KAFKA_SECURITY" ] ||
       [ "$(cat "$KAFKA_STATE_DIR/advertised" 2>/dev/null || echo "$KAFKA_PORT")" != "$KAFKA_ADVERTISED_PORT" ]; then
      die "a broker of version $(cat "$KAFKA_STATE_DIR/version" 2>/dev/null || echo '?'), $(cat "$KAFKA_STATE_DIR/security" 2>/dev/null || echo plaintext), advertising port $(cat "$KAFKA_STATE_DIR/advertised" 2>/dev/null || echo "$KAFKA_PORT"), runs (PID $(cat "$PIDFILE")); run 'make kafka-down' first"
    fi
    say "reusing the running Kafka $KAFKA_VERSION (PID $(cat "$PIDFILE")) on 127.0.0.1:$KAFKA_PORT"
    announce
    return 0
  fi
  answers && die "port $KAFKA_PORT is taken by something this script did not start; set KAFKA_PORT"
  fetch_jars
  rm -rf "$KAFKA_STATE_DIR"; mkdir -p "$KAFKA_STATE_DIR"
  local scram=()
  if [ "$KAFKA_SECURITY" = sasl_ssl ] || [ "$KAFKA_ADVERTISED_PORT" != "$KAFKA_PORT" ]; then
    (exec 3<>"/dev/tcp/127.0.0.1/$INTERNAL_PORT") 2>/dev/null && die "port $INTERNAL_PORT (the broker's own listener, KAFKA_PORT+2) is taken; set KAFKA_PORT"
  fi
  if [ "$KAFKA_SECURITY" = sasl_ssl ]; then
    write_tls
    local pw; pw=$(cat "$KAFKA_STATE_DIR/client.password")
    scram=(--add-scram "SCRAM-SHA-256=[name=consumer,password=$pw]" --add-scram "SCRAM-SHA-512=[name=consumer,password=$pw]")
  fi
  # The configuration holds the PLAIN user's password when secured.
  local mask; mask=$(umask); umask 077; write_config; umask "$mask"
  echo "$KAFKA_SECURITY" >"$KAFKA_STATE_DIR/security"
  echo "$KAFKA_ADVERTISED_PORT" >"$KAFKA_STATE_DIR/advertised"
  local cp="$LIBS/*" cid
  cid=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cid" ] || die "could not generate a cluster id"
  java -Xmx256m $LOGOPT -cp "$cp" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_STATE_DIR/server.properties" -g "${scram[@]}" \
    >"$KAFKA_STATE_DIR/format.log" 2>&1 || { cat "$KAFKA_STATE_DIR/format.log" >&2; die "formatting storage failed"; }
  echo "$KAFKA_VERSION" >"$KAFKA_STATE_DIR/version"
  launch
  if [ "$KAFKA_SECURITY" = sasl_ssl ]; then
    write_client_settings
  fi
  announce
}

# launch starts the broker on the configuration and data in
# KAFKA_STATE_DIR, records its PID, and waits until it has started and
# answers on KAFKA_PORT (at most 120s).
launch() {
  local cp="$LIBS/*" before
  # A restart appends to the log: wait for one more start line than it holds.
  before=$(starts_logged)
  nohup java -Xms512m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true $LOGOPT -cp "$cp" kafka.Kafka \
    "$KAFKA_STATE_DIR/server.properties" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  say "started Kafka $KAFKA_VERSION (PID $!), waiting until 127.0.0.1:$KAFKA_PORT answers"
  local waited=0
  until [ "$(starts_logged)" -gt "$before" ] && answers; do
    if ! running; then tail -n 40 "$LOG" >&2; die "Kafka exited during start-up; log above"; fi
    if [ "$waited" -ge 120 ]; then tail -n 40 "$LOG" >&2; down; die "Kafka did not start within 120s"; fi
    sleep 1; waited=$((waited + 1))
  done
  say "Kafka $KAFKA_VERSION is up on 127.0.0.1:$KAFKA_PORT (advertised 127.0.0.1:$KAFKA_ADVERTISED_PORT) after ${waited}s (log: $LOG)"
}

# starts_logged prints how many times the broker's log says it started.
starts_logged() {
  local n; n=$(grep -c "Kafka Server started" "$LOG" 2>/dev/null || true)
  echo "${n:-0}"
}

# kill_broker SIGKILLs the recorded broker, as a crash would, and waits
# until it is gone; its data and settings stay for `start`.
kill_broker() {
  running || die "no broker recorded in $KAFKA_STATE_DIR runs"
  local pid; pid=$(cat "$PIDFILE")
  kill -KILL "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && die "PID $pid survived SIGKILL"
  say "killed Kafka (PID $pid) with SIGKILL; data kept in $KAFKA_STATE_DIR/data"
}

# start starts the broker `up` configured, on its data, after `kill`.
start() {
  running && die "the broker runs (PID $(cat "$PIDFILE")); kill it first"
  [ -f "$KAFKA_STATE_DIR/server.properties" ] || die "no broker was set up in $KAFKA_STATE_DIR: run 'scripts/kafka.sh up'"
  [ "$(cat "$KAFKA_STATE_DIR/version")" = "$KAFKA_VERSION" ] || die "the data in $KAFKA_STATE_DIR is of Kafka $(cat "$KAFKA_STATE_DIR/version"), not $KAFKA_VERSION"
  KAFKA_ADVERTISED_PORT=$(cat "$KAFKA_STATE_DIR/advertised")
  answers && die "port $KAFKA_PORT is taken by something this script did not start"
  launch
}

# announce prints, secured, where the client settings are: the path on
# stdout (for scripts), a hint on stderr.
announce() {
  [ "$(cat "$KAFKA_STATE_DIR/security" 2>/dev/null || echo plaintext)" = sasl_ssl ] || return 0
  say "SASL_SSL on 127.0.0.1:$KAFKA_PORT; client settings: set -a; . $CLIENT_ENV; set +a (Kafka's tools: --command-config $KAFKA_STATE_DIR/client.properties)"
  echo "$CLIENT_ENV"
}

down() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      if kill -0 "$pid" 2>/dev/null; then say "PID $pid ignored SIGTERM for 30s; killing"; kill -KILL "$pid"; fi
      say "stopped Kafka (PID $pid)"
    fi
  fi
  rm -rf "$KAFKA_STATE_DIR"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill) kill_broker ;;
  start) start ;;
  status) if running; then echo "Kafka $(cat "$KAFKA_STATE_DIR/version") running, PID $(cat "$PIDFILE"), 127.0.0.1:$KAFKA_PORT"; else echo "not running"; exit 1; fi ;;
  classpath) fetch_jars; echo "$LIBS/*:$TOOLS/*" ;;
  env) running && [ -f "$CLIENT_ENV" ] || die "no secured broker runs here (KAFKA_SECURITY=sasl_ssl scripts/kafka.sh up starts one)"; echo "$CLIENT_ENV" ;;
  *) die "usage: kafka.sh up|down|kill|start|status|env|classpath" ;;
esac
