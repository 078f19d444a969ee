#!/usr/bin/env bash
# Smoke-test a deployment: GET URL/health with a fresh X-Request-ID until it answers 200
# and echoes that id, for up to SMOKE_TIMEOUT seconds (default 120: a new deployment can
# take a moment to receive the traffic). One line on stderr and exit 1 when it never does.
#
#   infra/scripts/smoke.sh https://api.example.com
set -euo pipefail

fail() {
  echo "smoke.sh: error: $*" >&2
  exit 1
}

url="${1:-}"
if [ "$#" -ne 1 ] || ! [[ "$url" =~ ^https?://[^[:space:]]+$ ]]; then
  fail "'$url' is not an http(s) URL: run it as infra/scripts/smoke.sh https://api.example.com"
fi
url="${url%/}/health"
timeout="${SMOKE_TIMEOUT:-120}"
interval="${SMOKE_INTERVAL:-5}"
for setting in timeout interval; do
  if ! [[ "${!setting}" =~ ^[0-9]+$ ]]; then
    fail "SMOKE_${setting^^}='${!setting}' is not a whole number of seconds: set it to one, such as 120"
  fi
done
command -v curl > /dev/null || fail "curl is not installed: install it (Debian: apt-get install curl)"

headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT
deadline=$((SECONDS + timeout))
while :; do
  # A new id for each attempt, so that each one can be found in the service's logs.
  request_id="smoke-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  : > "$headers"
  status="$(curl --silent --output /dev/null --dump-header "$headers" --write-out '%{http_code}' \
    --max-time 10 --header "X-Request-ID: $request_id" "$url")" || true
  # Header names are case-insensitive; the last response's value, without its CR.
  echoed="$(tr -d '\r' < "$headers" | awk -F': *' 'tolower($1) == "x-request-id" { value = $2 } END { print value }')"
  if [ "$status" = 200 ] && [ "$echoed" = "$request_id" ]; then
    echo "smoke.sh: $url answered 200 and echoed X-Request-ID $request_id"
    exit 0
  fi
  case "$status" in
    200) problem="answered 200 without echoing X-Request-ID $request_id (got '$echoed')" ;;
    000 | "") problem="could not be reached" ;;
    *) problem="answered HTTP $status (X-Request-ID $request_id)" ;;
  esac
  remaining=$((deadline - SECONDS))
  if [ "$remaining" -le 0 ]; then
    fail "$url $problem, still after ${timeout}s: look for the request id in the service's logs"
  fi
  echo "smoke.sh: $url $problem; retrying" >&2
  sleep "$((remaining < interval ? remaining : interval))"
done
