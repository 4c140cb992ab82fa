#!/usr/bin/env bash
# Installs the Debian packages Vigil's tests use: reference tools for version ordering
# (dpkg is preinstalled; rpm, Maven's ComparableVersion, Ruby, PHP, Python packaging), and
# the real components integration tests start (registry, image tools, PostgreSQL, Chromium,
# sshd, Go, nftables for network namespaces). Idempotent; needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  rpm ruby libmaven3-core-java default-jre-headless php-cli python3-packaging
  docker-registry skopeo umoci debootstrap zstd
  postgresql chromium fonts-dejavu-core
  openssh-server openssh-client iproute2 golang-go jq
  default-jdk-headless binutils
  apache2-utils golang-github-knqyf263-go-rpmdb-dev
  libcommons-logging-java libasm-java libxz-java libjsoup-java libslf4j-java libcommons-codec-java
  libatinject-jsr330-api-java libaopalliance-java libjsr305-java
  zip
  time openssl
  nftables
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # Package scripts may try to start services; tests start their own on other ports.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
