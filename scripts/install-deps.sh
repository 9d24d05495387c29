#!/usr/bin/env bash
# Installs the Debian packages gitdest needs to build and test. Idempotent: packages
# already present are skipped, so a second run is a no-op that asks no registry.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config cmake clang-format gcovr git
  # core + tests
  libabsl-dev libssl-dev librapidcheck-dev libgtest-dev libgmock-dev
  # adapters
  libgit2-dev libspdlog-dev libfmt-dev libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev
  libcpp-httplib-dev
  # test servers and tooling (tests/git/servers.sh: lighttpd + git http-backend, sshd)
  openssl curl ca-certificates iproute2 python3 procps
  lighttpd lighttpd-mod-openssl openssh-server openssh-client
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
else
  sudo=""
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
