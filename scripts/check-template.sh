#!/usr/bin/env bash
# Lints the AWS SAM template with cfn-lint and scans it with checkov, both from PyPI, installed once into a
# cached venv (pinned versions, so a clean clone and CI get the same rules); then validates it with the
# oldest SAM CLI that infra/DEPLOY.md promises to work (its own venv: SAM pins an older cfn-lint), and checks
# that DEPLOY.md still names that version, so the documented minimum cannot drift from what is tested.
#
# Usage:
#   scripts/check-template.sh            install if needed, then run both; non-zero exit on any finding
#   scripts/check-template.sh install    only install into the cache
#
# Every checkov check that the template does not satisfy on purpose is listed, with its reason, in
# infra/checkov-skips.yaml, per resource; this script fails on any other failure and on stale entries.
#
# Environment:
#   CHECK_TEMPLATE_CACHE   cache directory (default: <repo>/.cache)
set -euo pipefail

readonly CFN_LINT_VERSION="1.58.0"
readonly CHECKOV_VERSION="3.3.30"
# The documented minimum (infra/DEPLOY.md). 1.100-1.102 refuse the template's Globals.LoggingConfig.
readonly SAM_CLI_VERSION="1.103.0"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${CHECK_TEMPLATE_CACHE:-$REPO_ROOT/.cache}"
VENV="$CACHE_DIR/template-tools-cfnlint$CFN_LINT_VERSION-checkov$CHECKOV_VERSION"
SAM_VENV="$CACHE_DIR/sam-cli-$SAM_CLI_VERSION"
DEPLOY_DOC="$REPO_ROOT/infra/DEPLOY.md"
TEMPLATE="$REPO_ROOT/infra/template.yaml"
SKIPS_FILE="$REPO_ROOT/infra/checkov-skips.yaml"

say() { printf '[check-template] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

python_bin() {
    local candidate
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    die "python3 is needed to run cfn-lint and checkov"
}

install_tools() {
    if [[ -f "$VENV/.installed" ]]; then
        return
    fi
    local python
    python="$(python_bin)"
    say "installing cfn-lint==$CFN_LINT_VERSION and checkov==$CHECKOV_VERSION into $VENV (once)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV" || die "could not create a Python venv (is python3-venv installed?)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION" \
        || die "pip install of cfn-lint and checkov failed"
    touch "$VENV/.installed"
}

install_sam() {
    if [[ -f "$SAM_VENV/.installed" ]]; then
        return
    fi
    local python
    python="$(python_bin)"
    say "installing aws-sam-cli==$SAM_CLI_VERSION into $SAM_VENV (once)"
    rm -rf "$SAM_VENV"
    "$python" -m venv "$SAM_VENV" || die "could not create a Python venv (is python3-venv installed?)"
    "$SAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "aws-sam-cli==$SAM_CLI_VERSION" \
        || die "pip install of aws-sam-cli failed"
    touch "$SAM_VENV/.installed"
}

# Concurrent first runs in one checkout must not install into the same folder at once.
install_locked() {
    mkdir -p "$CACHE_DIR"
    (
        flock -w 900 9 || die "timed out waiting for another install ($CACHE_DIR/template-tools.lock)"
        install_tools
        install_sam
    ) 9>"$CACHE_DIR/template-tools.lock"
}

# `sam validate --lint` with the documented minimum SAM CLI: runs SAM's own transform and its pinned
# cfn-lint offline (no AWS credentials, no telemetry).
run_sam_validate() {
    say "sam validate --lint with SAM CLI $SAM_CLI_VERSION (the minimum infra/DEPLOY.md names)"
    grep -q "SAM CLI\](.*) $SAM_CLI_VERSION or later" "$DEPLOY_DOC" \
        || die "infra/DEPLOY.md must name SAM CLI $SAM_CLI_VERSION as the minimum (the version tested here)"
    (
        cd "$REPO_ROOT/infra"
        SAM_CLI_TELEMETRY=0 "$SAM_VENV/bin/sam" validate --lint --template "$TEMPLATE" --region us-east-1
    ) || die "sam validate --lint (SAM CLI $SAM_CLI_VERSION) failed"
    say "sam validate: the template is valid for SAM CLI $SAM_CLI_VERSION"
}

run_cfn_lint() {
    say "cfn-lint $CFN_LINT_VERSION: $TEMPLATE"
    # Exit codes are bit flags: 2 = errors, 4 = warnings, 8 = informational. Only errors fail the
    # check (and 1, a lint failure); warnings are printed for the reader.
    local status=0
    "$VENV/bin/cfn-lint" --format parseable -- "$TEMPLATE" || status=$?
    if (( status & 3 )); then
        die "cfn-lint found errors (exit $status)"
    fi
    say "cfn-lint: no errors"
}

# Runs checkov with no skips, then holds its failures to infra/checkov-skips.yaml: every failure must be
# listed there for that check and that resource, with a reason, and every listed pair must still fail.
run_checkov() {
    say "checkov $CHECKOV_VERSION: $TEMPLATE"
    local report
    report="$(mktemp)"
    # checkov exits 1 when any check fails; the verdict is ours, from its JSON report.
    "$VENV/bin/checkov" --quiet --framework cloudformation --file "$TEMPLATE" --output json \
        --download-external-modules false >"$report" 2>"$report.err" || true
    "$VENV/bin/python" - "$report" "$SKIPS_FILE" <<'PY' || { rm -f "$report" "$report.err"; die "checkov failed"; }
import json, sys, yaml

report_path, skips_path = sys.argv[1], sys.argv[2]
try:
    with open(report_path) as f:
        report = json.load(f)
except ValueError:
    with open(report_path + ".err") as f:
        sys.stderr.write(f.read())
    sys.exit("checkov produced no JSON report")
if isinstance(report, list):  # one report per framework
    report = next((r for r in report if r.get("check_type") == "cloudformation"), {})
summary = report.get("summary", {})
if summary.get("parsing_errors", 0):
    sys.exit("checkov could not parse the template")
if summary.get("resource_count", 0) == 0:
    sys.exit("checkov found no resources in the template")

with open(skips_path) as f:
    skips = (yaml.safe_load(f) or {}).get("skips") or []
allowed = {}
problems = []
for entry in skips:
    check_id = str(entry.get("id", "")).strip()
    reason = " ".join(str(entry.get("reason", "")).split())
    resources = entry.get("resources") or []
    if not check_id.startswith("CKV") or not resources:
        problems.append("skip entry needs an id and resources: %r" % (entry,))
        continue
    if len(reason) < 40:
        problems.append("skip %s has no real justification" % check_id)
    for resource in resources:
        allowed[(check_id, str(resource))] = False

failed = report.get("results", {}).get("failed_checks", [])
for check in failed:
    logical_id = check["resource"].rsplit(".", 1)[-1]
    key = (check["check_id"], logical_id)
    if key in allowed:
        allowed[key] = True
    else:
        problems.append("%s fails on %s (%s) and is not justified in infra/checkov-skips.yaml"
                        % (check["check_id"], logical_id, check.get("check_name", "")))
for (check_id, logical_id), seen in sorted(allowed.items()):
    if not seen:
        problems.append("stale skip: %s no longer fails on %s; remove it from the skip file" % (check_id, logical_id))

for problem in problems:
    print("[check-template] " + problem, file=sys.stderr)
if problems:
    sys.exit(1)
print("[check-template] checkov: %d passed, %d failed, all %d failures justified in %s (%d skip entries)"
      % (summary.get("passed", 0), len(failed), len(failed), "infra/checkov-skips.yaml", len(skips)),
      file=sys.stderr)
PY
    rm -f "$report" "$report.err"
}

[[ -f "$TEMPLATE" ]] || die "no template at $TEMPLATE"
install_locked
case "${1:-run}" in
    install) ;;
    run)
        run_cfn_lint
        run_checkov
        run_sam_validate
        ;;
    *) die "unknown command ${1}: use 'run' (default) or 'install'" ;;
esac
