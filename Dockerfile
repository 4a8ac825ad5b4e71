# One build, three images: `--target api`, `--target worker` (which also runs the cluster shell
# with QUARKUS_PROFILE=shell) and `--target sysmon`. docker-compose.yml builds them.

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
# the poms first, so dependency resolution is cached while only sources change
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY testkit/pom.xml testkit/
COPY core/pom.xml core/
COPY api/pom.xml api/
COPY worker/pom.xml worker/
COPY sysmon/pom.xml sysmon/
COPY system-tests/pom.xml system-tests/
COPY testkit/src testkit/src
COPY core/src core/src
COPY api/src api/src
COPY worker/src worker/src
COPY sysmon/src sysmon/src
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -DskipTests -Dspotless.check.skip=true -pl api,worker,sysmon -am

FROM eclipse-temurin:25-jre AS runtime
# a user of our own, never root
RUN useradd --system --uid 10001 --home-dir /app conveyor
WORKDIR /app
# the HEALTHCHECKs ask with bash alone: no HTTP client in the images (curl was 114 MB in each)
COPY scripts/image/healthcheck.sh /usr/local/lib/conveyor/healthcheck.sh
# sized for a container: the heap follows the memory limit; an OOM ends the process (the cluster
# recovers its jobs) instead of leaving it half-alive. glibc keeps freed C heap (JIT arenas, I/O
# buffers) as RSS: two malloc arenas and a trim every second keep a busy api under 160 MB RSS
# (bench/footprint.py, which starts the services with exactly these settings)
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:TrimNativeHeapInterval=1000"
ENV MALLOC_ARENA_MAX=2
USER conveyor
ENTRYPOINT ["java", "-jar", "/app/quarkus-run.jar"]
# The api image starts from an AppCDS archive (/app/app.jsa: the classes its start loads, parsed
# and laid out ahead), which a training run of the image writes while it is built
# (scripts/image/train-appcds.sh, without Redis): its first answers come sooner. The worker image
# starts from a JDK AOT cache (/app/app.aot, JEP 483/514/515: the classes its start and its work
# load, linked ahead; the JIT profiles it holds are few with C1 alone), written by a training run that works jobs
# (scripts/image/train-worker.sh, with a Redis of its own) in a stage FROM the image's own files, of
# which only the cache is kept: in a container its first jobs come sooner and it reaches its warm
# rate 0.5-2 s sooner than with the archive (bench/containers.sh, docs/benchmarks.md, session 17;
# for the api the cache measured no better than the archive). Only the image's own JVM, with these
# very files, can use either; a JVM that cannot ignores it and starts as without one.

FROM runtime AS api
# fast-jar layers, least changing first
COPY --from=build --chown=conveyor /src/api/target/quarkus-app/lib/ /app/lib/
COPY --from=build --chown=conveyor /src/api/target/quarkus-app/quarkus/ /app/quarkus/
COPY --from=build --chown=conveyor /src/api/target/quarkus-app/app/ /app/app/
COPY --from=build --chown=conveyor /src/api/target/quarkus-app/quarkus-run.jar /app/
USER root
RUN --mount=type=bind,source=scripts/image/train-appcds.sh,target=/train-appcds.sh \
    sh /train-appcds.sh
USER conveyor
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/app.jsa", "-jar", "/app/quarkus-run.jar"]
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --retries=6 \
    CMD ["bash", "/usr/local/lib/conveyor/healthcheck.sh", "8080", "/q/health/ready"]

FROM runtime AS worker-files
# C1 alone, no C2: a worker launched against a backlog reaches its warm rate about 3 s after
# launch instead of 7-9 s, without C2's compilations taking a core for seconds (docs/benchmarks.md,
# session 15); the price is about 15 % of the warm drain rate (session 16, paired runs). A handler that
# computes hard in Java runs faster with C2: give its workers JDK_JAVA_OPTIONS="" (the guide says
# so). The api keeps C2: its own code is its cost (C1 alone: 40 % fewer POSTs per second).
ENV JDK_JAVA_OPTIONS="-XX:TieredStopAtLevel=1"
COPY --from=build --chown=conveyor /src/worker/target/quarkus-app/lib/ /app/lib/
COPY --from=build --chown=conveyor /src/worker/target/quarkus-app/quarkus/ /app/quarkus/
COPY --from=build --chown=conveyor /src/worker/target/quarkus-app/app/ /app/app/
COPY --from=build --chown=conveyor /src/worker/target/quarkus-app/quarkus-run.jar /app/

FROM worker-files AS worker-training
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server curl \
    && rm -rf /var/lib/apt/lists/*
# the jobs it works come through an api, as in production
COPY --from=build /src/api/target/quarkus-app/ /training/api/
RUN --mount=type=bind,source=scripts/image/train-worker.sh,target=/train-worker.sh \
    sh /train-worker.sh

FROM worker-files AS worker
COPY --from=worker-training --chown=conveyor /app/app.aot /app/app.aot
ENTRYPOINT ["java", "-XX:AOTCache=/app/app.aot", "-jar", "/app/quarkus-run.jar"]
# the worker serves health only; a fixed port in the container makes the check simple
ENV QUARKUS_HTTP_PORT=8080
EXPOSE 7800 7900
HEALTHCHECK --interval=5s --timeout=2s --retries=6 \
    CMD ["bash", "/usr/local/lib/conveyor/healthcheck.sh", "8080", "/q/health/live"]

FROM runtime AS sysmon
COPY --from=build --chown=conveyor /src/sysmon/target/quarkus-app/lib/ /app/lib/
COPY --from=build --chown=conveyor /src/sysmon/target/quarkus-app/quarkus/ /app/quarkus/
COPY --from=build --chown=conveyor /src/sysmon/target/quarkus-app/app/ /app/app/
COPY --from=build --chown=conveyor /src/sysmon/target/quarkus-app/quarkus-run.jar /app/
EXPOSE 5984 7800 7900
HEALTHCHECK --interval=5s --timeout=2s --retries=6 \
    CMD ["bash", "/usr/local/lib/conveyor/healthcheck.sh", "5984", "/q/health/live"]
