#!/usr/bin/env bash
# Re-run, without Docker, what the Dockerfile does and what its HEALTHCHECK checks:
#   1. copy only the build context the .dockerignore lets through (pyproject.toml, README.md, src/);
#   2. `pip wheel --no-deps -w wheels .` and `pip install wheels/statusping-*.whl` into a fresh venv;
#   3. from an empty working directory, as uid 10001 (the image's USER) when run as root,
#      `statusping serve` on a free port with SQLite in a temp dir;
#   4. the exact HEALTHCHECK command from the Dockerfile, signup (201), /s/{slug} (200), static CSS
#      (200), secret_key mode 0600, `statusping db upgrade`, clean stop on SIGTERM.
# Everything lives in one temp dir that is removed at exit (KEEP=1 keeps it). Exit status 0 = all good.
# Usage: scripts/verify-image-steps.sh            (PYTHON=/path/to/python3.11 to choose the interpreter)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 )}
RUN_UID=10001

TMP=$(mktemp -d "${TMPDIR:-/tmp}/statusping-verify.XXXXXX")
chmod 755 "$TMP"
SERVER_PID=""

log()  { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; [ -f "$TMP/serve.log" ] && tail -n 30 "$TMP/serve.log" >&2; exit 1; }

cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || fail "$PYTHON is $("$PYTHON" -V 2>&1), the image uses Python 3.11"
log "python: $PYTHON ($("$PYTHON" -V 2>&1))"

# --- 1. the build context (.dockerignore is an allow-list: pyproject.toml, README.md, src/)
mkdir "$TMP/context"
cp "$REPO/pyproject.toml" "$REPO/README.md" "$TMP/context/"
cp -R "$REPO/src" "$TMP/context/src"
find "$TMP/context" \( -name __pycache__ -o -name '*.py[cod]' -o -name .DS_Store \) -prune -exec rm -rf {} +

# --- 2. builder stage: wheel, then a fresh non-editable venv from it
log "pip wheel --no-deps -w wheels ."
"$PYTHON" -m venv "$TMP/build-venv"
(cd "$TMP/context" && "$TMP/build-venv/bin/pip" wheel --no-deps -w "$TMP/wheels" .) >"$TMP/pip.log" 2>&1 \
    || { tail -n 30 "$TMP/pip.log" >&2; fail "wheel build"; }
WHEEL=$(ls "$TMP"/wheels/statusping-*.whl) || fail "no statusping wheel built"
log "built $(basename "$WHEEL")"

"$PYTHON" - "$WHEEL" <<'EOF' || fail "wheel is missing files the app needs at run time"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = {
    "migrations env.py": "statusping/storage/migrations/env.py",
    "migration versions": "statusping/storage/migrations/versions/",
    "alembic script template": "statusping/storage/migrations/script.py.mako",
    "templates": "statusping/web/templates/base.html",
    "static css": "statusping/web/static/app.css",
    "console script": "entry_points.txt",
}
missing = [what for what, prefix in need.items() if not any(prefix in n for n in names)]
if missing:
    sys.exit(f"missing from wheel: {', '.join(missing)}")
print(f"    wheel holds {len(names)} files incl. migrations, templates, static")
EOF

log "python -m venv venv && venv/bin/pip install wheels/statusping-*.whl"
"$PYTHON" -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install "$WHEEL" >>"$TMP/pip.log" 2>&1 \
    || { tail -n 30 "$TMP/pip.log" >&2; fail "pip install of the wheel"; }
where=$(cd / && "$TMP/venv/bin/python" -c 'import statusping; print(statusping.__file__)')
case "$where" in "$TMP/venv/"*site-packages/statusping/*) ;; *) fail "statusping imported from $where";; esac
log "installed into $TMP/venv ($("$TMP/venv/bin/pip" list 2>/dev/null | wc -l) lines of pip list)"

# --- 3. runtime stage: empty working dir, non-root user, SQLite in the temp dir
RUN="$TMP/app"                      # plays /app (WORKDIR); $RUN/data plays the /app/data volume
mkdir -p "$RUN/data"
if [ "$(id -u)" = 0 ]; then
    chown -R "$RUN_UID:$RUN_UID" "$RUN"
    chmod 700 "$RUN/data"
    AS=(setpriv --reuid="$RUN_UID" --regid="$RUN_UID" --clear-groups)
    log "running as uid $RUN_UID (like USER 10001:10001 in the image)"
else
    AS=()
    log "not root: running as $(id -un) (uid $(id -u))"
fi
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
ENVV=(env -i "PATH=$TMP/venv/bin:/usr/bin:/bin" "HOME=$RUN" "LANG=C.UTF-8"
      "STATUSPING_DATA_DIR=$RUN/data"
      "STATUSPING_DATABASE_URL=sqlite+aiosqlite:///$RUN/data/statusping.db"
      "STATUSPING_BASE_URL=$BASE")

log "statusping serve --host 127.0.0.1 --port $PORT  (cwd $RUN)"
(cd "$RUN" && exec ${AS[@]+"${AS[@]}"} "${ENVV[@]}" statusping serve --host 127.0.0.1 --port "$PORT") \
    >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!

# --- 4. the HEALTHCHECK exactly as written in the Dockerfile, port swapped
mapfile -t HC < <("$PYTHON" - "$REPO/Dockerfile" "$PORT" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, re.M)
if not m:
    sys.exit("no exec-form HEALTHCHECK CMD in Dockerfile")
for arg in json.loads(m.group(1)):
    print(arg.replace("127.0.0.1:8000", f"127.0.0.1:{sys.argv[2]}"))
EOF
) || fail "could not read HEALTHCHECK from Dockerfile"
[ "${#HC[@]}" -gt 0 ] || fail "empty HEALTHCHECK"
healthcheck() { (cd "$RUN" && ${AS[@]+"${AS[@]}"} "${ENVV[@]}" "${HC[@]}") >/dev/null 2>&1; }

for _ in $(seq 1 60); do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "statusping serve exited early"
    healthcheck && break
    sleep 0.5
done
healthcheck || fail "HEALTHCHECK command did not exit 0 within 30 s"
log "HEALTHCHECK (${HC[*]:0:2} ...) exit 0; /api/health: $(curl -fsS "$BASE/api/health")"

code=$(curl -sS -o "$TMP/signup.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"email":"owner@example.com","password":"correct horse battery staple","organization":"Verify Image Steps"}' \
    "$BASE/api/v1/auth/signup")
[ "$code" = 201 ] || fail "signup returned $code: $(cat "$TMP/signup.json")"
SLUG=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["organization"]["slug"])' "$TMP/signup.json")
log "POST /api/v1/auth/signup -> 201 (slug $SLUG)"

for path in "/s/$SLUG" /static/app.css /; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE$path")
    [ "$code" = 200 ] || fail "GET $path returned $code"
    log "GET $path -> 200"
done

mode=$(stat -c '%a' "$RUN/data/secret_key") || fail "no secret_key in the data dir"
[ "$mode" = 600 ] || fail "secret_key has mode $mode, want 600"
log "secret_key mode 600, owner $(stat -c '%U(%u)' "$RUN/data/secret_key")"

out=$(cd "$RUN" && ${AS[@]+"${AS[@]}"} "${ENVV[@]}" statusping db upgrade 2>&1) || fail "db upgrade: $out"
log "statusping db upgrade: $out"

kill -TERM "$SERVER_PID"
for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 10 s after SIGTERM"
grep -q "Application shutdown complete" "$TMP/serve.log" || fail "no clean shutdown in the log"
SERVER_PID=""
log "SIGTERM -> clean shutdown"
log "OK: the Dockerfile's build and run steps work (docker build itself not run)"
