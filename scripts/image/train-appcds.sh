#!/bin/sh
# A training run, inside an image build (the Dockerfile's api stage; the worker's is
# train-worker.sh, which writes an AOT cache while working jobs): the service
# started as the image starts it, with the JVM writing an AppCDS archive of the classes it loaded
# (-XX:ArchiveClassesAtExit) as it exits, then stopped with SIGTERM once it has started.
#
# A build has no Redis: the run names a closed port (connections are refused at once, the service
# retries), so the archive holds the classes of the start (Quarkus, Vert.x, Netty, Jackson,
# JGroups, the service's own), not those of the first jobs or requests; bench/containers.sh
# measures it against an archive and an AOT cache trained under load (for the api, neither did
# better in session 17). The HTTP and cluster ports are random and
# on loopback: a build on the host's network must not take ports the host uses.
set -eu
log=/tmp/appcds-training.log
status=0
REDIS_URL=redis://127.0.0.1:1 QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=0 \
  CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_PORT=0 NODE_NAME=appcds-training \
  timeout --signal=TERM "${APPCDS_TRAINING_S:-8}" \
  java -XX:ArchiveClassesAtExit=/app/app.jsa -jar /app/quarkus-run.jar >"$log" 2>&1 || status=$?
# timeout answers 124 when it stopped the service, as it should; anything else is a failed start
if [ "$status" -ne 124 ] || [ ! -s /app/app.jsa ]; then
  echo "AppCDS training run failed (exit $status):" >&2
  grep -v 'warning\]\[cds' "$log" | tail -40 >&2
  exit 1
fi
rm -f "$log"
echo "AppCDS archive: $(du -h /app/app.jsa | cut -f1)"
