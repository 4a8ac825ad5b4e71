# Stand-in for haproxy:3.2. Debian 13 ships HAProxy 3.0, whose HTTP/1 layer answers the requests it
# cannot parse (and a head that never ends) with built-in HTML pages whatever the errorfiles say;
# 3.2 uses the errorfiles (haproxy/haproxy#3032), as the official image does. So HAProxy 3.2 comes
# from Debian unstable, with the one library it needs newer than Debian 13's (its Release file's
# validity is not checked: a mirror's copy of unstable may be older than its week). Like the official
# image it reads /usr/local/etc/haproxy/haproxy.cfg, runs as the user haproxy and stops on SIGUSR1.
FROM conveyor-stand-in/debian:trixie
RUN echo 'deb [check-valid-until=no] http://deb.debian.org/debian sid main' >/etc/apt/sources.list.d/sid.list \
    && printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >/etc/apt/preferences.d/sid \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        haproxy/sid libpcre2-8-0/sid \
    && haproxy -v | sed -n 1p | grep -E 'version 3\.([2-9]|[1-9][0-9])\.' \
    && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/sid.list /etc/apt/preferences.d/sid \
    && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy/run \
    && chown haproxy:haproxy /var/lib/haproxy/run
USER haproxy
WORKDIR /var/lib/haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
