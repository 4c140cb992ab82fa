#!/usr/bin/env bash
# The system components Vigil's tests use, listed once in scripts/test-components.txt:
# reference tools for version ordering (dpkg, rpm, Maven's ComparableVersion, Ruby, PHP,
# Python packaging) and the real components integration tests start (registry, image tools,
# PostgreSQL, Chromium, sshd, Go).
#
#   install-test-deps.sh           install the missing Debian packages (Debian 12, as root); idempotent
#   install-test-deps.sh --check   list the missing components; exit 1 if any
#   install-test-deps.sh --ensure  `npm test`'s pretest: when something is missing, install it
#                                  if this machine can (Debian, root or passwordless sudo),
#                                  otherwise fail at once with the command to run
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
here="$(cd "$(dirname "$0")" && pwd)"
# VIGIL_TEST_COMPONENTS: another table (the tests of this script use one).
table="${VIGIL_TEST_COMPONENTS:-$here/test-components.txt}"

if [ ! -r "$table" ]; then
  echo "install-test-deps: cannot read the component table $table" >&2
  exit 2
fi
# One "package probe…" line per component, comments and blank lines dropped.
mapfile -t components < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$table")

# True when a probe is present: an absolute path (glob) exists, or a command is found.
present() {
  local probe="$1"
  if [[ "$probe" == /* ]]; then
    compgen -G "$probe" >/dev/null
  else
    command -v "$probe" >/dev/null 2>&1 || [ -x "/usr/sbin/$probe" ] || [ -x "/sbin/$probe" ]
  fi
}

# Prints "package (probe, …)" for every component with a missing probe.
missing_components() {
  local line package probes probe absent
  for line in "${components[@]}"; do
    read -r package probes <<<"$line"
    absent=()
    for probe in $probes; do present "$probe" || absent+=("$probe"); done
    if [ ${#absent[@]} -gt 0 ]; then echo "$package (${absent[*]})"; fi
  done
}

install_packages() {
  local line package missing=()
  for line in "${components[@]}"; do
    read -r package _ <<<"$line"
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install-test-deps: apt-get install ${missing[*]}" >&2
    apt-get update -qq
    # Package scripts may try to start services; tests start their own on other ports.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

case "${1:-}" in
  --check)
    absent="$(missing_components)"
    if [ -n "$absent" ]; then
      printf 'missing test components (Debian package and what the tests use from it):\n%s\n' "$(sed 's/^/  /' <<<"$absent")" >&2
      exit 1
    fi
    ;;
  --ensure)
    absent="$(missing_components)"
    [ -z "$absent" ] && exit 0
    printf 'pretest: missing test components (Debian package and what the tests use from it):\n%s\n' "$(sed 's/^/  /' <<<"$absent")" >&2
    if [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ]; then
        echo "pretest: installing them with scripts/install-test-deps.sh" >&2
        bash "$here/install-test-deps.sh"
      elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        echo "pretest: installing them with sudo scripts/install-test-deps.sh" >&2
        sudo -n bash "$here/install-test-deps.sh"
      else
        echo "pretest: cannot install them without root; run this once, then npm test again:" >&2
        echo "  sudo bash scripts/install-test-deps.sh" >&2
        exit 1
      fi
      exec bash "$here/install-test-deps.sh" --check
    fi
    echo "pretest: this is not a Debian machine; install the equivalents of the packages above (the tests run on Debian 12, as CI does through .ci/run)" >&2
    exit 1
    ;;
  "")
    if [ "$(id -u)" != 0 ]; then
      echo "install-test-deps: run as root (sudo bash scripts/install-test-deps.sh)" >&2
      exit 1
    fi
    install_packages
    ;;
  *)
    echo "usage: install-test-deps.sh [--check|--ensure]" >&2
    exit 2
    ;;
esac
