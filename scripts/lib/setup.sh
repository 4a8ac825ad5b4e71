# Sourced by the scripts that set a machine up (scripts/local.sh, scripts/test.sh, .ci/run): find a
# JDK, install missing programs. Each caller defines say() and die() first.

# JAVA_HOME := a JDK 21 or newer: $JAVA_HOME if it is one, else Temurin 25 or 21, else any in
# /usr/lib/jvm. Returns 1 (JAVA_HOME untouched) when there is none.
find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 \
    /usr/lib/jvm/*; do
    # javac too: a JRE cannot build the project
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] \
      && grep -qE 'version "(2[1-9]|[3-9][0-9])' <<<"$("$candidate/bin/java" -version 2>&1)"; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  return 1
}

# ensure_programs program:package ... — installs the packages of the programs not on PATH, all in
# one apt-get call (as root on Debian; no package may start a service, as in Debian's container
# images), or dies naming every missing package at once.
ensure_programs() {
  local pair program package missing=()
  for pair in "$@"; do
    program="${pair%%:*}" package="${pair#*:}"
    command -v "$program" >/dev/null 2>&1 && continue
    [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "missing programs; install them: apt-get install -y ${missing[*]}"
  fi
  say "installing ${missing[*]}"
  if [ -z "${CONVEYOR_APT_UPDATED:-}" ]; then
    apt-get update -q >/dev/null || die "apt-get update failed"
    export CONVEYOR_APT_UPDATED=1
  fi
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=/usr/sbin/policy-rc.d
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || status=$?
  [ -z "$guard" ] || rm -f "$guard"
  [ "$status" = 0 ] || die "apt-get install -y ${missing[*]} failed"
}
