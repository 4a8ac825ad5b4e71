# Stand-in for haproxy:3.2 (Debian 13 ships HAProxy 3.0): like the official image it reads
# /usr/local/etc/haproxy/haproxy.cfg, runs as the user haproxy and stops on SIGUSR1 (soft stop).
FROM conveyor-stand-in/debian:trixie
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends haproxy \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy/run \
    && chown haproxy:haproxy /var/lib/haproxy/run
USER haproxy
WORKDIR /var/lib/haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
