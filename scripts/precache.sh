#!/bin/sh
# Trunk post-build hook: ships the chunks split off the app (chunks.sh, first: they are
# precached too), then writes into the staged sw.js the list of files to precache and a
# version that changes whenever any of them does, so browsers see a new service worker exactly
# when the app changed; then precompresses every file (brotli and gzip copies beside them).
set -eu
root=$(pwd)
sh "$root/scripts/chunks.sh"
cd "$TRUNK_STAGING_DIR"
files=$(find . -type f ! -name sw.js ! -name '*.br' ! -name '*.gz' | sed 's|^\./|/|' | LC_ALL=C sort)
version=$(for f in $files; do sha256sum ".$f"; done | sha256sum | cut -c1-16)
list=$(for f in $files; do printf '"%s",' "$f"; done | sed 's/,$//')
sed -i -e "s|\"__AMPLIFY_ASSETS__\"|$list|" -e "s|__AMPLIFY_VERSION__|$version|" sw.js
echo "precache: $(echo "$files" | wc -l) files, version $version"
node "$root/scripts/compress.mjs" .
