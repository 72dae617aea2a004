#!/usr/bin/env bash
# The whole suite, as `make test` and CI run it. Uses PostgreSQL and Redis on localhost when they
# answer (CI), else the embedded defaults (SQLite, file broker), and says which.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

bash scripts/lint.sh

# Isolate from anything else on this machine: our own var/, database and Redis db number (two
# checkouts testing at once set TEST_DB_NAME and TEST_REDIS_DB apart).
TEST_DB_NAME="${TEST_DB_NAME:-msp_onboarding}"
TEST_REDIS_DB="${TEST_REDIS_DB:-13}"
export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
rm -rf "$VAR_DIR" && mkdir -p "$VAR_DIR"
# Production-like (DEBUG off): the start-up checks refuse a weak secret key, so each run makes a strong one.
DJANGO_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_DEBUG=false DJANGO_SECRET_KEY PORTAL_BASE_URL="http://127.0.0.1:8000"
# The suite signs in with a password only; tests/accounts turns the TOTP step on where it tests it.
export STAFF_LOCAL_MFA_REQUIRED=false
unset DATABASE_URL CELERY_BROKER_URL MSP_APP_CLIENT_ID MSP_APP_CLIENT_SECRET PROOFPOINT_API_USER \
      PROOFPOINT_API_PASSWORD PROOFPOINT_API_URL OUTBOUND_CA_BUNDLE MICROSOFT_LOGIN_URL MICROSOFT_GRAPH_URL || true

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$TEST_DB_NAME"
  echo "== database: PostgreSQL on 127.0.0.1:5432 (test database test_$TEST_DB_NAME)"
else
  echo "== database: embedded SQLite under $VAR_DIR"
fi
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; then
  export CELERY_BROKER_URL="redis://127.0.0.1:6379/$TEST_REDIS_DB"
  redis-cli -h 127.0.0.1 -p 6379 -n "$TEST_REDIS_DB" flushdb >/dev/null
  echo "== broker: Redis on 127.0.0.1:6379, db $TEST_REDIS_DB (flushed)"
else
  echo "== broker: embedded file-system broker under $VAR_DIR"
fi

echo "== makemigrations --check"
$PY manage.py makemigrations --check --dry-run >/dev/null

echo "== pytest"
set +e
$PY -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest selected no tests: that is a failure here." >&2
  exit 1
fi
exit "$status"
