#!/usr/bin/env bash
# The steps a CI job runs on a dddc project, shared by the GitHub Actions and
# GitLab CI recipes beside this file (and run by dddc's own tests):
#   1. `dddc check`: migrations, lock and docs are what a build writes, and
#      no migration was edited by hand; the design lint passes.
#   2. `dddc lint --format sarif`: the lint findings as SARIF, for the code
#      host to annotate the pull request (written even when check fails).
# Usage: dddc-ci.sh [PROJECT_DIR] [SARIF_FILE]   (dddc must be on PATH)
set -uo pipefail

project="${1:-.}"
sarif="${2:-dddc.sarif}"

dddc -C "$project" lint --format sarif > "$sarif"
lint_status=$?
dddc -C "$project" check
check_status=$?

# lint exits 1 on findings that fail the design score; check includes that,
# so the job fails on check's status alone (2 = usage or I/O error in lint).
if [ "$lint_status" -eq 2 ]; then
    exit 2
fi
exit "$check_status"
