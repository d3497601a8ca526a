#!/usr/bin/env bash
# Installs what `make test` needs, or stops at once saying what is missing.
#
#   scripts/setup.sh           install what is missing: Debian packages (as root,
#                              with apt-get), node_modules (npm ci, when missing or
#                              older than package-lock.json) and the pinned Go tools
#   scripts/setup.sh --check   install nothing; exit 1 with the same message if
#                              anything is missing
#
# Debian packages are looked at first and take no time to look at, so a machine
# that lacks one and cannot install it (not root, or no apt-get) fails in well
# under a second with ONE message: what is missing and the one command that
# installs it. npm ci and go install need no root and are run here otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--check]" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "setup: missing go. Install Go $(sed -n 's/^go //p' go.mod 2>/dev/null || echo 1.26) or later (the go line of go.mod), then run make test again." >&2
  exit 1
fi

# The Go tools, pinned: the versions CI uses.
STATICCHECK_VERSION=v0.8.2
ACTIONLINT_VERSION=v1.7.12
gobin=$(go env GOBIN 2>/dev/null || true)
[[ -n "$gobin" ]] || gobin="$(go env GOPATH 2>/dev/null)/bin"

# command -> Debian package. go, git, make and bash are needed to get this far.
declare -A deb=(
  [chromium]=chromium            # browser tests (chromedp)
  [chromedriver]=chromium-driver
  [espeak-ng]=espeak-ng          # test and sample audio
  [lame]=lame
  [ffmpeg]=ffmpeg                # jokebox add: conversion
  [zip]=zip                      # make build: Lambda zips
  [npm]=npm                      # osls, the deploy tests
)
order=(chromium chromedriver espeak-ng lame ffmpeg zip npm)

missing_cmds=() missing_debs=()
for c in "${order[@]}"; do
  if ! command -v "$c" >/dev/null 2>&1; then
    missing_cmds+=("$c")
    [[ " ${missing_debs[*]-} " == *" ${deb[$c]} "* ]] || missing_debs+=("${deb[$c]}")
  fi
done

# file -> Debian package: the word lists the spoken-forms test checks against.
declare -A debfile=(
  [/usr/share/dict/american-english]=wamerican
  [/usr/share/dict/british-english]=wbritish
  [/usr/share/dict/spanish]=wspanish
)
for f in /usr/share/dict/american-english /usr/share/dict/british-english /usr/share/dict/spanish; do
  if [[ ! -f $f ]]; then
    missing_cmds+=("$f")
    missing_debs+=("${debfile[$f]}")
  fi
done

# What the machine image must bring (Python): cannot be installed from here.
image=()
for c in moto_server cfn-lint; do
  command -v "$c" >/dev/null 2>&1 || image+=("$c")
done

# node_modules: missing, or older than package.json or package-lock.json.
npm_stale=false
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ]]; then
  npm_stale=true
fi

# gotool NAME MODULE VERSION: "missing" unless $gobin/NAME was built from MODULE@VERSION.
gotool_ok() {
  [[ -x "$gobin/$1" ]] && go version -m "$gobin/$1" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]]*$2[[:space:]]*$3[[:space:]]"
}
gotools=()
gotool_ok staticcheck honnef.co/go/tools "$STATICCHECK_VERSION" || gotools+=("honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION")
gotool_ok actionlint github.com/rhysd/actionlint "$ACTIONLINT_VERSION" || gotools+=("github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION")

can_apt=false
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  can_apt=true
fi

# join SEP WORDS...: the words with SEP between them.
join() {
  local sep=$1 out=$2
  shift 2
  for w in "$@"; do out+="$sep$w"; done
  printf '%s' "$out"
}

# report prints the one message: everything missing, and the command that installs it.
report() {
  local what=() cmd=()
  ((${#missing_cmds[@]})) && what+=("${missing_cmds[@]}")
  ((${#image[@]})) && what+=("${image[@]}")
  $npm_stale && what+=("node_modules (npm ci)")
  ((${#gotools[@]})) && what+=("staticcheck $STATICCHECK_VERSION, actionlint $ACTIONLINT_VERSION (go install)")
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo "
  if ((${#missing_debs[@]})); then
    cmd+=("${sudo}apt-get update && ${sudo}apt-get install -y ${missing_debs[*]}")
  fi
  if $check_only; then
    $npm_stale && cmd+=("npm ci --no-audit --no-fund")
    for t in ${gotools[@]+"${gotools[@]}"}; do cmd+=("go install $t"); done
  fi
  {
    printf 'setup: missing %s.\n' "$(join ', ' "${what[@]}")"
    if ((${#cmd[@]})); then
      printf 'Install with:\n  %s\n' "$(join ' && ' "${cmd[@]}")"
      ((${#missing_debs[@]})) && ! $check_only && echo "(then run make test again: it runs npm ci and installs the Go tools itself)"
      ((${#missing_debs[@]})) && ! command -v apt-get >/dev/null 2>&1 && echo "(no apt-get here: install the same packages with this system's package manager)"
    fi
    ((${#image[@]})) && echo "moto_server and cfn-lint come with the machine image (Python: moto[server] 5.2.1 and cfn-lint, as .github/workflows/ci.yml installs them)."
  } >&2
  exit 1
}

if $check_only; then
  if ((${#missing_cmds[@]} + ${#image[@]} + ${#gotools[@]})) || $npm_stale; then
    report
  fi
  echo "setup: everything make test needs is here"
  exit 0
fi

# Stop before any slow step if something cannot be installed from here.
if ((${#image[@]})) || { ((${#missing_debs[@]})) && ! $can_apt; }; then
  report
fi

if ((${#missing_debs[@]})); then
  echo "setup: apt-get install ${missing_debs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
fi
if $npm_stale; then
  echo "setup: npm ci (node_modules is missing or older than package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
for t in ${gotools[@]+"${gotools[@]}"}; do
  echo "setup: go install $t"
  go install "$t"
done
