#!/usr/bin/env bash
# A guarded release from any CI system, with curl only:
#   LIFEBOAT_URL=https://lifeboat.example LIFEBOAT_TOKEN=lb_… integrations/ci/release.sh shop 20250530103000
# Run it once the release's files are in <deploy root>/releases/<release>/ with .lifeboat-release-complete written
# last. Lifeboat then takes a verified backup, stops the app, switches current, starts it and checks its health;
# on failure the app's health policy (undo by default) puts the previous release back. Safe to retry: a second call
# for the same release returns the same job. Exit 0: live and healthy; 1: failed or undone; 2: usage; 3: no answer.
set -euo pipefail

if [ $# -ne 2 ] || [ -z "${LIFEBOAT_URL:-}" ] || [ -z "${LIFEBOAT_TOKEN:-}" ]; then
  echo "usage: LIFEBOAT_URL=… LIFEBOAT_TOKEN=… $0 <app> <release>" >&2
  exit 2
fi
app=$1
release=$2
# The same rules as Lifeboat's (it checks again): nothing that could be a path or a flag.
[[ $app =~ ^[a-z][a-z0-9-]{1,39}$ ]] || { echo "invalid app name: $app" >&2; exit 2; }
[[ $release =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$ && $release != *..* ]] || { echo "invalid release name: $release" >&2; exit 2; }
wait_s=${LIFEBOAT_WAIT_S:-60}
deadline=$((SECONDS + ${LIFEBOAT_TIMEOUT_S:-1800}))

# The token goes to curl on stdin (a config line), never on its command line where `ps` would show it.
api() {
  local method=$1 path=$2
  printf 'header = "Authorization: Bearer %s"\n' "$LIFEBOAT_TOKEN" |
    curl --silent --show-error --config - --request "$method" --max-time $((wait_s + 30)) "$LIFEBOAT_URL$path" || return 3
}
# The first "key":value in the answer (top-level keys come first in Lifeboat's answers). jq would do, if installed.
field() { grep -o "\"$1\":\(\"[^\"]*\"\|[0-9a-z]*\)" <<<"$2" | head -n1 | cut -d: -f2- | tr -d '"' || true; }

answer=$(api POST "/api/apps/$app/releases/$release/activate?wait=$wait_s") || { echo "no answer from $LIFEBOAT_URL" >&2; exit 3; }
if [ "$(field status "$answer")" != "ok" ]; then
  echo "refused: $answer" >&2
  exit 1
fi
job=$(field jobId "$answer")
echo "release $release of $app: job #$job$([ "$(field reused "$answer")" = true ] && echo ' (an earlier call'"'"'s job)')"
while [ "$(field final "$answer")" != "true" ]; do
  [ $SECONDS -lt $deadline ] || { echo "still not final after ${LIFEBOAT_TIMEOUT_S:-1800} s: $answer" >&2; exit 1; }
  answer=$(api GET "/api/apps/$app/releases/$release/activate?job=$job&wait=$wait_s") || { echo "no answer from $LIFEBOAT_URL" >&2; exit 3; }
  echo "  $(field phase "$answer")"
done
outcome=$(field outcome "$answer")
echo "release $release: $outcome (current → $(field current "$answer"))"
[ "$outcome" = released ] || { echo "$answer" >&2; exit 1; }
