#!/bin/bash
# One entry point for a fresh Debian 12 machine (as root, or with sudo):
#   scripts/dev.sh demo   install what is missing, build, run the demo (examples/quickstart.sh)
#   scripts/dev.sh test   install what is missing, build, run the whole test suite (ctest)
#   scripts/dev.sh asan   the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/dev.sh fuzz   libFuzzer targets (clang) over their seed corpus, plus a short run each
#   scripts/dev.sh package  build the .deb, install it into a scratch root, run it
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# zlib1g-dev: libxlsxwriter's pkg-config file links -lz, but libxlsxwriter-dev does not depend on
# it (a minbase chroot has no libz.so to link: found by the fresh-machine check).
PACKAGES=(cmake time ninja-build g++ pkg-config libpq-dev libcli11-dev libsqlitecpp-dev libsqlite3-dev libfmt-dev catch2
          libsodium-dev nlohmann-json3-dev libxlsxwriter-dev zlib1g-dev python3-openpyxl man-db bsdextrautils sqlite3
          faketime python3 tmux pandoc zsh fish dpkg-dev)
# The tests' throwaway server (scripts/with-postgres.sh); the demo does not need it.
TEST_PACKAGES=(postgresql-15)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)" ${MCID_TARGET:+--target "$MCID_TARGET"}
}

case "${1:-}" in
  demo)
    install_packages
    MCID_TARGET=mcidctl build "$ROOT/build"   # the binary alone: the tests are for 'dev.sh test'
    MCIDCTL="$ROOT/build/mcidctl" bash "$ROOT/examples/quickstart.sh"
    ;;
  test)
    PACKAGES+=("${TEST_PACKAGES[@]}")
    install_packages
    build "$ROOT/build"
    ctest --test-dir "$ROOT/build" --output-on-failure -j "$(nproc)"
    ;;
  asan)
    PACKAGES+=("${TEST_PACKAGES[@]}")
    install_packages
    build "$ROOT/build-asan" -DMCID_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    # verify_asan_link_order=0: the time-travel tests run the binary under faketime (LD_PRELOAD).
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$(nproc)"
    ;;
  fuzz)
    PACKAGES+=(clang libclang-rt-14-dev)
    install_packages
    CC=clang CXX=clang++ build "$ROOT/build-fuzz" -DMCID_FUZZ=ON -DMCID_BUILD_TESTS=OFF
    ctest --test-dir "$ROOT/build-fuzz" --output-on-failure -L fuzz -j "$(nproc)"
    ;;
  package)
    install_packages
    build "$ROOT/build"
    (cd "$ROOT/build" && cpack -G DEB >/dev/null)
    deb=$(ls -t "$ROOT"/build/packages/mcidctl_*.deb | head -n1)
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    dpkg-deb -x "$deb" "$scratch"
    for f in usr/bin/mcidctl usr/share/man/man1/mcidctl.1.gz usr/share/bash-completion/completions/mcidctl \
             usr/share/zsh/vendor-completions/_mcidctl usr/share/fish/vendor_completions.d/mcidctl.fish; do
      [[ -e $scratch/$f ]] || { echo "package: $f missing from $(basename "$deb")" >&2; exit 1; }
    done
    "$scratch/usr/bin/mcidctl" --version
    echo "package: $(basename "$deb") installs and runs"
    ;;
  *)
    echo "usage: scripts/dev.sh demo|test|asan|fuzz|package" >&2
    exit 2
    ;;
esac
