# Stand-in for redis:7.4 (Debian 13 ships Redis 8.0): redis-server and redis-cli on PATH, the data in
# /data (owned by the user redis, as a new named volume copies it), run as redis, never root.
FROM conveyor-stand-in/debian:trixie
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
