# Sourced by scripts/compose-test.sh and scripts/test.sh: a Docker engine with `docker compose`
# for the compose end-to-end test (ComposeIT). Needs setup.sh, say() and die().
#
# An engine that answers already (DOCKER_HOST or the default socket) is used as it is, with the
# official images. Else, as root on Debian, a private one is started the way these build machines
# allow (docs/design/containers.md): Debian's docker.io, on its own socket and data root under
# CONVEYOR_DOCKER_STATE, no iptables rule; no image registry being reachable, the base images the
# project names are stand-ins built on a debootstrapped Debian (scripts/stand-ins/). What a run
# leaves in the state directory (the Debian tree, the images, the compose plugin) the next reuses.
# docker_engine_stop stops the engine only if this shell started it.

CONVEYOR_DOCKER_STATE="${CONVEYOR_DOCKER_STATE:-/var/lib/conveyor-docker}"
conveyor_docker_run=/run/conveyor-docker
conveyor_docker_started=""
conveyor_links_before=""

docker_engine_answers() { docker info >/dev/null 2>&1; }

# Sets DOCKER_HOST, DOCKER_CONFIG, COMPOSE_FILE as needed; returns 1 (with the reason said) when
# no engine can be had here.
docker_engine_ensure() {
  local root="$1"
  if command -v docker >/dev/null 2>&1 && docker_engine_answers; then
    docker compose version >/dev/null 2>&1 \
      || { say "a Docker engine answers but 'docker compose' is missing: install the compose plugin"; return 1; }
    say "using the Docker engine that answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "no Docker engine answers, and starting one needs root on Debian"
    return 1
  fi
  ensure_programs dockerd:docker.io docker:docker.io debootstrap:debootstrap
  export DOCKER_HOST="unix://$conveyor_docker_run/docker.sock"
  export DOCKER_CONFIG="$CONVEYOR_DOCKER_STATE/docker-config"
  mkdir -p "$CONVEYOR_DOCKER_STATE/data" "$CONVEYOR_DOCKER_STATE/exec" "$DOCKER_CONFIG/cli-plugins" \
    "$conveyor_docker_run"
  if docker_engine_answers; then
    say "reusing the private Docker engine on $DOCKER_HOST"
  else
    conveyor_links_before="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//')"
    say "starting a private Docker engine on $DOCKER_HOST (log: $CONVEYOR_DOCKER_STATE/dockerd.log)"
    # no iptables rules, no forwarding: containers reach each other on their own networks and the
    # host through published loopback ports (docker-proxy); builds that download use the host's
    # network (scripts/stand-ins/compose.build-host-network.yml)
    nohup dockerd --iptables=false --ip-forward=false --storage-driver=overlay2 \
      --data-root "$CONVEYOR_DOCKER_STATE/data" --exec-root "$CONVEYOR_DOCKER_STATE/exec" \
      --pidfile "$conveyor_docker_run/dockerd.pid" -H "$DOCKER_HOST" \
      >"$CONVEYOR_DOCKER_STATE/dockerd.log" 2>&1 &
    conveyor_docker_started=$!
    local i
    for i in $(seq 60); do docker_engine_answers && break; sleep 0.5; done
    docker_engine_answers || { say "dockerd did not answer in 30 s:"; tail -5 "$CONVEYOR_DOCKER_STATE/dockerd.log"; return 1; }
  fi
  stand_in_base || return 1
  docker compose version >/dev/null 2>&1 || compose_plugin || return 1
  stand_in_images "$root" || return 1
  export COMPOSE_FILE="$root/docker-compose.yml:$root/scripts/stand-ins/compose.build-host-network.yml"
  return 0
}

# conveyor-stand-in/debian:trixie, imported from a minimal debootstrapped Debian 13
stand_in_base() {
  docker image inspect conveyor-stand-in/debian:trixie >/dev/null 2>&1 && return 0
  local tree="$CONVEYOR_DOCKER_STATE/rootfs-trixie"
  if [ ! -x "$tree/usr/bin/apt-get" ]; then
    say "debootstrap --variant=minbase trixie (about 30 s)"
    rm -rf "$tree"
    debootstrap --variant=minbase trixie "$tree" http://deb.debian.org/debian \
      >"$CONVEYOR_DOCKER_STATE/debootstrap.log" 2>&1 \
      || { say "debootstrap failed:"; tail -5 "$CONVEYOR_DOCKER_STATE/debootstrap.log"; return 1; }
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
  fi
  tar -C "$tree" -c . | docker import - conveyor-stand-in/debian:trixie >/dev/null
}

# the compose v2 plugin: Debian 12's docker-compose (1.29) cannot read the compose file (top-level
# name:), Debian 13's is a static binary that runs here; fetched inside the Debian 13 image
compose_plugin() {
  say "fetching the compose and buildx plugins from Debian 13"
  local pkgs="$CONVEYOR_DOCKER_STATE/pkgs"
  mkdir -p "$pkgs"
  docker run --rm --network host -v "$pkgs:/out" -w /out conveyor-stand-in/debian:trixie \
    sh -c 'apt-get update -q >/dev/null && apt-get download docker-compose docker-buildx >/dev/null' \
    || { say "apt-get download docker-compose docker-buildx failed"; return 1; }
  local deb unpacked="$pkgs/unpacked"
  rm -rf "$unpacked"
  for deb in "$pkgs"/*.deb; do dpkg-deb -x "$deb" "$unpacked"; done
  cp "$unpacked"/usr/libexec/docker/cli-plugins/docker-* "$DOCKER_CONFIG/cli-plugins/"
  rm -rf "$unpacked" "$pkgs"/*.deb
  docker compose version >/dev/null 2>&1 || { say "the compose plugin does not run"; return 1; }
}

# the images docker-compose.yml and the Dockerfile name, as stand-ins (scripts/stand-ins/*.Dockerfile)
stand_in_images() {
  local root="$1" pair file tag context sum
  context="$(mktemp -d)"
  mkdir "$context/ca"
  # this machine's own trusted CAs (HTTPS to Maven Central may pass through one), for mvnw and apt
  cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
  for pair in jdk:eclipse-temurin:25-jdk jre:eclipse-temurin:25-jre haproxy:haproxy:3.2 redis:redis:7.4; do
    file="${pair%%:*}" tag="${pair#*:}"
    # built again when its Dockerfile changed: the image carries the Dockerfile's hash
    sum="$(sha256sum "$root/scripts/stand-ins/$file.Dockerfile" | cut -c1-16)"
    [ "$(docker image inspect -f '{{index .Config.Labels "conveyor.stand-in"}}' "$tag" 2>/dev/null)" = "$sum" ] \
      && continue
    say "building the stand-in for $tag (scripts/stand-ins/$file.Dockerfile)"
    docker build -q --network host --label "conveyor.stand-in=$sum" \
      -f "$root/scripts/stand-ins/$file.Dockerfile" -t "$tag" "$context" \
      >"$CONVEYOR_DOCKER_STATE/build-$file.log" 2>&1 \
      || { say "building $tag failed:"; tail -20 "$CONVEYOR_DOCKER_STATE/build-$file.log"; rm -rf "$context"; return 1; }
  done
  rm -rf "$context"
}

# stops the engine if this shell started it, and removes the interfaces and mounts it left behind
docker_engine_stop() {
  [ -n "$conveyor_docker_started" ] || return 0
  say "stopping the private Docker engine (pid $conveyor_docker_started)"
  kill "$conveyor_docker_started" 2>/dev/null || true
  local i link
  for i in $(seq 40); do kill -0 "$conveyor_docker_started" 2>/dev/null || break; sleep 0.5; done
  # what it left mounted under its exec root (the default network namespace)
  local mount
  for mount in $(awk -v root="$CONVEYOR_DOCKER_STATE/exec/" 'index($2, root) == 1 {print $2}' /proc/mounts); do
    umount "$mount" 2>/dev/null || true
  done
  for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
    case "$link" in docker0 | br-* | veth*) ;; *) continue ;; esac
    grep -qx "$link" <<<"$conveyor_links_before" || ip link delete "$link" 2>/dev/null || true
  done
  conveyor_docker_started=""
}
