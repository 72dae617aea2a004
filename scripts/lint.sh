#!/usr/bin/env bash
# `make lint` (and the first part of `make test`): style, the dependency rules, and types.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
echo "== import-linter (the layer rules of docs/architecture.md)"
.venv/bin/lint-imports --no-cache
echo "== mypy (integrations/ and onboarding/engine/)"
.venv/bin/mypy integrations onboarding/engine
