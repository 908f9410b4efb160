#!/usr/bin/env bash
# kafka.sh — a single-node Apache Kafka (KRaft) on loopback, without Docker.
#
#   scripts/kafka.sh up      fetch the jars (cached), format storage, start, wait until it answers
#   scripts/kafka.sh down    stop exactly the recorded PID and remove its data
#   scripts/kafka.sh status  say whether the recorded broker runs
#   scripts/kafka.sh classpath  print the classpath of the broker and Kafka's own tools
#                               (java -cp "$(scripts/kafka.sh classpath)" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ...)
#
# Settings (environment):
#   KAFKA_VERSION    4.1.1 (default) or 3.9.1
#   KAFKA_PORT       client port on 127.0.0.1 (default 9092); the controller uses KAFKA_PORT+1
#   KAFKA_CACHE_DIR  where jars are cached across runs (default ~/.cache/consumerkit/kafka)
#   KAFKA_STATE_DIR  config, data, log and PID of the running broker (default <repo>/.cache/kafka)
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=$((KAFKA_PORT + 1))
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_CACHE_DIR=${KAFKA_CACHE_DIR:-$HOME/.cache/consumerkit/kafka}
KAFKA_STATE_DIR=${KAFKA_STATE_DIR:-$REPO/.cache/kafka}
LIBS="$KAFKA_CACHE_DIR/$KAFKA_VERSION/libs"
TOOLS="$KAFKA_CACHE_DIR/$KAFKA_VERSION/tools"
PIDFILE="$KAFKA_STATE_DIR/kafka.pid"
LOG="$KAFKA_STATE_DIR/kafka.log"

die() { echo "kafka.sh: $*" >&2; exit 1; }
say() { echo "kafka.sh: $*" >&2; }

case "$KAFKA_VERSION" in
  4.*) major=4 ;;
  3.9.*) major=3 ;;
  *) die "KAFKA_VERSION $KAFKA_VERSION is not supported (use 4.1.1 or 3.9.1)" ;;
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
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
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
    LOGOPT="-Dlog4j2.configurationFile=$KAFKA_STATE_DIR/log4j2.yaml"
  else
    cat >"$KAFKA_STATE_DIR/log4j.properties" <<'L4J'
log4j.rootLogger=WARN, stdout
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
    LOGOPT="-Dlog4j.configuration=file:$KAFKA_STATE_DIR/log4j.properties"
  fi
}

up() {
  if running; then
    if [ "$(cat "$KAFKA_STATE_DIR/version" 2>/dev/null)" != "$KAFKA_VERSION" ]; then
      die "a broker of version $(cat "$KAFKA_STATE_DIR/version" 2>/dev/null || echo '?') runs (PID $(cat "$PIDFILE")); run 'make kafka-down' first"
    fi
    say "reusing the running Kafka $KAFKA_VERSION (PID $(cat "$PIDFILE")) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  answers && die "port $KAFKA_PORT is taken by something this script did not start; set KAFKA_PORT"
  fetch_jars
  rm -rf "$KAFKA_STATE_DIR"; mkdir -p "$KAFKA_STATE_DIR"
  write_config
  local cp="$LIBS/*" cid
  cid=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cid" ] || die "could not generate a cluster id"
  java -Xmx256m $LOGOPT -cp "$cp" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_STATE_DIR/server.properties" -g \
    >"$KAFKA_STATE_DIR/format.log" 2>&1 || { cat "$KAFKA_STATE_DIR/format.log" >&2; die "formatting storage failed"; }
  nohup java -Xms512m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true $LOGOPT -cp "$cp" kafka.Kafka \
    "$KAFKA_STATE_DIR/server.properties" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  echo "$KAFKA_VERSION" >"$KAFKA_STATE_DIR/version"
  say "started Kafka $KAFKA_VERSION (PID $!), waiting until 127.0.0.1:$KAFKA_PORT answers"
  local waited=0
  until grep -q "Kafka Server started" "$LOG" 2>/dev/null && answers; do
    if ! running; then tail -n 40 "$LOG" >&2; die "Kafka exited during start-up; log above"; fi
    if [ "$waited" -ge 120 ]; then tail -n 40 "$LOG" >&2; down; die "Kafka did not start within 120s"; fi
    sleep 1; waited=$((waited + 1))
  done
  say "Kafka $KAFKA_VERSION is up on 127.0.0.1:$KAFKA_PORT after ${waited}s (log: $LOG)"
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
  status) if running; then echo "Kafka $(cat "$KAFKA_STATE_DIR/version") running, PID $(cat "$PIDFILE"), 127.0.0.1:$KAFKA_PORT"; else echo "not running"; exit 1; fi ;;
  classpath) fetch_jars; echo "$LIBS/*:$TOOLS/*" ;;
  *) die "usage: kafka.sh up|down|status|classpath" ;;
esac
