#!/bin/sh
# Installs edgectl's prebuilt binary for this machine from a GitHub release, after checking
# its SHA-256:
#
#   curl -fsSL https://raw.githubusercontent.com/edgectl/edgectl/main/scripts/install.sh | sh
#
# EDGECTL_VERSION   a release tag (`v0.1.0`); default: the latest release
# EDGECTL_INSTALL_DIR  where the binary goes; default: ~/.local/bin
# EDGECTL_REPO      owner/name of the repository; default: edgectl/edgectl
# EDGECTL_DOWNLOAD_URL  the releases' base URL instead of GitHub's (a mirror); then plain
#                   HTTP is allowed
set -eu

# All of it in one function, called on the last line: a download cut short runs nothing.
main() {
  repo=${EDGECTL_REPO:-edgectl/edgectl}
  version=${EDGECTL_VERSION:-latest}
  dir=${EDGECTL_INSTALL_DIR:-$HOME/.local/bin}

  say() { printf 'edgectl install: %s\n' "$*" >&2; }
  fail() { say "$*"; exit 1; }

  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-amd64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    *) fail "no prebuilt binary for $(uname -s) $(uname -m): build it with \`cargo install --locked --git https://github.com/$repo edgectl\` (see the README for what that costs)" ;;
  esac

  if [ -n "${EDGECTL_DOWNLOAD_URL:-}" ]; then
    base=$EDGECTL_DOWNLOAD_URL
    fetch() { curl -fsSL --retry 3 "$1" -o "$2"; }
  else
    base=https://github.com/$repo/releases
    fetch() { curl -fsSL --retry 3 --proto '=https' --tlsv1.2 "$1" -o "$2"; }
  fi
  case "$version" in
    latest) url=$base/latest/download ;;
    v*) url=$base/download/$version ;;
    *) url=$base/download/v$version ;;
  esac

  command -v curl >/dev/null || fail "needs curl"
  command -v tar >/dev/null || fail "needs tar"
  if command -v sha256sum >/dev/null; then
    sha256() { sha256sum "$1" | cut -d' ' -f1; }
  elif command -v shasum >/dev/null; then
    sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
  else
    fail "needs sha256sum or shasum to check what it downloads"
  fi

  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  archive=edgectl-$target.tar.gz
  say "downloading $url/$archive"
  fetch "$url/$archive" "$tmp/$archive" || fail "cannot download $url/$archive"
  fetch "$url/edgectl-$target.sha256" "$tmp/sum" || fail "cannot download its checksum"
  expected=$(cut -d' ' -f1 "$tmp/sum")
  actual=$(sha256 "$tmp/$archive")
  [ -n "$expected" ] && [ "$expected" = "$actual" ] ||
    fail "$archive does not match its SHA-256 (expected $expected, got $actual): nothing was installed"
  tar -xzf "$tmp/$archive" -C "$tmp" edgectl || fail "$archive holds no edgectl"

  mkdir -p "$dir"
  # Whole or not at all: a temporary name beside it, renamed over it.
  cp "$tmp/edgectl" "$dir/.edgectl.$$"
  chmod 755 "$dir/.edgectl.$$"
  installed=$("$dir/.edgectl.$$" --version) || {
    rm -f "$dir/.edgectl.$$"
    fail "the downloaded edgectl does not run on this machine: nothing was installed"
  }
  mv -f "$dir/.edgectl.$$" "$dir/edgectl"
  say "installed $installed in $dir"
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) say "$dir is not on your PATH: add \`export PATH=\"$dir:\$PATH\"\` to your shell's profile" ;;
  esac
}

main "$@"
