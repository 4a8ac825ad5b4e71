#!/bin/bash
# The images' HEALTHCHECK: healthcheck.sh PORT PATH exits 0 when http://127.0.0.1:PORT/PATH answers
# 200, 1 otherwise. bash's own /dev/tcp, so the images need no HTTP client (curl was a 114 MB
# layer in each of them); HTTP/1.0, so the server closes the connection after its answer.
# Docker's --timeout ends it if the server accepts and never answers; `read -t` ends it sooner.
port=$1 path=$2
{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo "nothing listens on $port"; exit 1; }
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
IFS=$' \r' read -r -t 2 version status _ <&3 || { echo "no answer from :$port$path"; exit 1; }
[ "$status" = 200 ] && exit 0
echo "$version $status from :$port$path"
exit 1
