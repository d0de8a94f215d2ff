#!/bin/bash
# End-to-end: packaging (cmake/Packaging.cmake). Configures and builds this checkout in a fresh
# folder, makes the Debian package with `cpack -G DEB`, checks what it holds, installs it with
# dpkg into a scratch root and runs the installed mcidctl; then checks that `cmake --install`
# installs the same files. It builds the whole binary again, so it runs only when asked:
#   MCIDCTL_PACKAGE_TEST=1 ctest --test-dir build -R package --output-on-failure
# MCIDCTL_PACKAGE_JOBS sets the build's parallel jobs (default: the number of cores).
if [[ ${MCIDCTL_PACKAGE_TEST:-} != 1 ]]; then
  echo "SKIP: packaging test (set MCIDCTL_PACKAGE_TEST=1 to build the .deb and check cmake --install)"
  echo "0 passed, 0 failed"
  exit 0
fi
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
fresh_env

need() { command -v "$1" >/dev/null || { bad "$1 is installed" "apt-get install $2"; summary; exit; }; }
need cmake cmake; need ninja ninja-build; need cpack cmake; need dpkg-deb dpkg; need pandoc pandoc

B=$T/build
echo "== configure and build $SRC in a fresh folder"
if cmake -S "$SRC" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCID_BUILD_TESTS=OFF >"$T/configure.log" 2>&1; then
  ok "cmake configures"
else
  bad "cmake configures" "$(tail -n 5 "$T/configure.log")"; summary; exit
fi
check "the build includes cmake/Packaging.cmake (CPackConfig.cmake exists; is include(Packaging) in CMakeLists.txt?)" \
  test -f "$B/CPackConfig.cmake"
if cmake --build "$B" -j "${MCIDCTL_PACKAGE_JOBS:-$(nproc)}" >"$T/build.log" 2>&1; then
  ok "cmake --build"
else
  bad "cmake --build" "$(tail -n 5 "$T/build.log")"; summary; exit
fi
VERSION=$("$B/mcidctl" --version)
check "the built binary says its version" has '^mcidctl [0-9]+\.[0-9]+\.[0-9]+$' "$VERSION"
check "it is the version of the binary under test ($("$M" --version))" test "$VERSION" = "$("$M" --version)"
V=${VERSION#mcidctl }
check "the man page is built (man/mcidctl.1)" test -s "$B/man/mcidctl.1"
check "the man page is a section 1 page of this version" grep -q "^\.TH \"MCIDCTL\" \"1\" .*\"mcidctl $V\"" "$B/man/mcidctl.1"
check "the man page documents purge-user and the exit codes" \
  test "$(grep -c -e 'purge-user' -e 'EXIT STATUS' "$B/man/mcidctl.1")" -ge 2
for f in mcidctl _mcidctl mcidctl.fish; do
  check "completion script completions/$f is generated" test -s "$B/completions/$f"
done
check "the bash script is what the binary prints" cmp -s "$B/completions/mcidctl" <("$B/mcidctl" completion bash)
check "the zsh script is what the binary prints" cmp -s "$B/completions/_mcidctl" <("$B/mcidctl" completion zsh)
check "the fish script is what the binary prints" cmp -s "$B/completions/mcidctl.fish" <("$B/mcidctl" completion fish)

# The files a package and an install must hold, relative to the prefix.
WANT="bin/mcidctl
share/bash-completion/completions/mcidctl
share/fish/vendor_completions.d/mcidctl.fish
share/man/man1/mcidctl.1.gz
share/man/man1/mcidctl-purge-user.1.gz
share/man/man1/mcidctl-report-skills.1.gz
share/zsh/vendor-completions/_mcidctl"

echo "== cpack -G DEB"
if (cd "$B" && cpack -G DEB) >"$T/cpack.log" 2>&1; then ok "cpack -G DEB"; else bad "cpack -G DEB" "$(tail -n 5 "$T/cpack.log")"; fi
DEB=$(find "$B" -name 'mcidctl_*.deb' -not -path '*/_CPack_Packages/*' | head -n1)
check "a .deb is made: mcidctl_${V}_ARCH.deb" has "/mcidctl_${V}_[a-z0-9]+\.deb$" "$DEB"
LISTING=$(dpkg-deb -c "$DEB" 2>&1)
for f in $WANT; do
  check "the package holds /usr/$f" has " \./usr/$f\$" "$LISTING"
done
check "/usr/bin/mcidctl is executable in the package" has '^-rwxr-xr-x .* \./usr/bin/mcidctl$' "$LISTING"
check "the package holds its copyright file" has ' \./usr/share/doc/mcidctl/copyright$' "$LISTING"
check "the package holds the user guide the man page points to" has ' \./usr/share/doc/mcidctl/user-guide\.md$' "$LISTING"
check "every file in the package is owned by root" test -z "$(awk '$2 != "root/root"' <<<"$LISTING")"
check "nothing outside /usr" test -z "$(awk '{print $NF}' <<<"$LISTING" | grep -v '^\./$' | grep -v '^\./usr/')"
FIELDS=$(dpkg-deb -f "$DEB" Package Version Maintainer Description Depends 2>&1)
check "control: Package mcidctl" has '^Package: mcidctl$' "$FIELDS"
check "control: Version $V" has "^Version: $V\$" "$FIELDS"
check "control: a Maintainer" has '^Maintainer: .+<.+@.+>' "$FIELDS"
check "control: a Description" has '^Description: .{10,}' "$FIELDS"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
# depends_on PKG: PKG is one of the packages in Depends (alternatives and versions aside)
depends_on() { tr ',|' '\n\n' <<<"$DEPENDS" | sed 's/(.*)//; s/ //g' | grep -qxF -- "$1"; }
for pkg in libc6 libstdc++6 libsodium23 libfmt9 libsqlite3-0 libxlsxwriter4 libpq5; do
  check "control: Depends on $pkg" depends_on "$pkg"
done
# Every package named in Depends exists in this Debian, and together they provide every
# shared library the binary links directly (its NEEDED entries; what those libraries need in
# turn comes with their own packages' Depends, as dpkg-shlibdeps has it).
if command -v dpkg-query >/dev/null; then
  missing=""
  NEEDED=$(objdump -p "$B/mcidctl" | awk '/NEEDED/ {print $2}')
  check "control: the binary's NEEDED entries are read (libc among them)" has '^libc\.so' "$NEEDED"
  for lib in $(ldd "$B/mcidctl" | awk -v needed="$NEEDED" 'BEGIN { split(needed, n, "\n"); for (i in n) want[n[i]] = 1 } ($1 in want) && /=> \// {print $3}'); do
    pkg=$(dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1)
    [[ -z $pkg ]] && pkg=$(dpkg-query -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1)
    [[ -n $pkg ]] && ! depends_on "$pkg" && missing+=" $pkg($lib)"
  done
  check "Depends covers every shared library of the binary${missing:+ (missing:$missing)}" test -z "$missing"
fi
if command -v apt-cache >/dev/null && apt-cache policy libc6 2>/dev/null | grep -q Candidate; then
  unknown=""
  for pkg in $(tr ',|' '\n\n' <<<"$DEPENDS" | sed 's/(.*)//' | tr -d ' '); do
    apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]' || unknown+=" $pkg"
  done
  check "every package in Depends exists in this Debian${unknown:+ (unknown:$unknown)}" test -z "$unknown"
fi

echo "== dpkg -x and dpkg -i into scratch roots"
X=$T/extract
dpkg -x "$DEB" "$X" 2>/dev/null
expect 0 "the extracted usr/bin/mcidctl --version" "$X/usr/bin/mcidctl" --version
check "the extracted binary is version $V" test "$OUT" = "$VERSION"
check "the packaged man page is a gzip of a man page" has '^\.TH "MCIDCTL" "1"' "$(zcat "$X/usr/share/man/man1/mcidctl.1.gz" 2>&1)"
check "a page per command is packaged, as many as the build wrote" \
  test "$(find "$X/usr/share/man/man1" -name 'mcidctl-*.1.gz' | wc -l)" = "$(find "$B/man/commands" -name 'mcidctl-*.1.gz' | wc -l)"
check "the packaged purge-user page is a man page" has '^\.TH "MCIDCTL-PURGE-USER" "1"' "$(zcat "$X/usr/share/man/man1/mcidctl-purge-user.1.gz" 2>&1)"
check "the packaged bash completion loads and completes 'us' to user" \
  test "$(bash --norc --noprofile -c 'source "$1" && COMP_WORDS=(mcidctl us) COMP_CWORD=1 && _mcidctl && echo "${COMPREPLY[*]}"' _ "$X/usr/share/bash-completion/completions/mcidctl" 2>&1)" = user
IN=$PW_OP expect 0 "the packaged binary creates a store" "$X/usr/bin/mcidctl" --db "$T/pkg.db" init --operator op@example.com --password-stdin
expect 0 "and checks it" "$X/usr/bin/mcidctl" --db "$T/pkg.db" db check
if command -v dpkg >/dev/null; then
  R=$T/root
  mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" && : >"$R/var/lib/dpkg/status"
  # An empty root has none of the dependencies: --force-depends; the binary runs with this
  # machine's libraries.
  if dpkg --root="$R" --force-depends --force-not-root --log=/dev/null -i "$DEB" >"$T/dpkg.log" 2>&1; then
    ok "dpkg -i into a scratch root"
  else
    bad "dpkg -i into a scratch root" "$(tail -n 5 "$T/dpkg.log")"
  fi
  check "dpkg knows mcidctl $V is installed" has "^install ok installed $V\$" "$(dpkg-query --root="$R" -W -f='${Status} ${Version}\n' mcidctl 2>&1)"
  expect 0 "the installed /usr/bin/mcidctl --version" "$R/usr/bin/mcidctl" --version
  check "the installed binary is version $V" test "$OUT" = "$VERSION"
  if dpkg --root="$R" --force-not-root --log=/dev/null -r mcidctl >>"$T/dpkg.log" 2>&1; then ok "dpkg -r"; else bad "dpkg -r" "$(tail -n 5 "$T/dpkg.log")"; fi
  check "dpkg -r removes every file" test -z "$(find "$R/usr" -type f 2>/dev/null)"
fi

echo "== cmake --install --prefix"
P=$T/prefix
if cmake --install "$B" --prefix "$P" >"$T/install.log" 2>&1; then ok "cmake --install"; else bad "cmake --install" "$(tail -n 5 "$T/install.log")"; fi
for f in $WANT; do
  check "cmake --install puts $f under the prefix" test -s "$P/$f"
done
check "the installed binary is executable" test -x "$P/bin/mcidctl"
expect 0 "PREFIX/bin/mcidctl --version" "$P/bin/mcidctl" --version
check "cmake --install and the package install the same files" \
  test "$(cd "$P" && find . -type f | sed 's|^\./||' | sort)" = "$(awk '$1 ~ /^-/ {print $NF}' <<<"$LISTING" | sed 's|^\./usr/||' | sort)"
check "the installed completion scripts are the binary's" cmp -s "$P/share/bash-completion/completions/mcidctl" <("$P/bin/mcidctl" completion bash)

summary
