#!/bin/sh
# Trunk post-build hook, before precache.sh: ships the chunks scripts/linker/wasm-ld split off
# the app (src/later.rs). Each chunk is optimized like the main module, and the chunks and their
# loader get content-hashed names (so the server may cache them for good), with the references
# to them rewritten: the loader's to the main module's script, the main script's to the loader
# (and index.html's integrity hash of that script with it).
set -eu
case "${TRUNK_PROFILE:-debug}" in
release) profile=wasm-release ;;
*) profile=debug ;;
esac
split="$(pwd)/target/wasm32-unknown-unknown/$profile/wasm-split"
cd "$TRUNK_STAGING_DIR"
main=$(ls app-*.js)
if ! grep -q '"./__wasm_split.js"' "$main"; then
    echo "chunks: none (the app was built without the split feature)"
    exit 0
fi
[ -f "$split/__wasm_split.js" ] || { echo "chunks: $split is missing" >&2; exit 1; }
hash() { sha256sum "$1" | cut -c1-16; }
# What index.html's integrity attributes hold: sha384, base64.
sri() { node -e 'process.stdout.write(require("crypto").createHash("sha384").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$1"; }
cp "$split/__wasm_split.js" loader.js
sed -i -e "s|\"./app.js\"|\"./$main\"|" \
    -e "s|const { __indirect_function_table,|const { __wasm_split_table: __indirect_function_table,|" loader.js
grep -q "__wasm_split_table: __indirect_function_table" loader.js ||
    { echo "chunks: the loader no longer reads the table as expected" >&2; exit 1; }
for chunk in "$split"/*.wasm; do
    name=$(basename "$chunk" .wasm)
    if [ "$profile" = wasm-release ]; then
        wasm-opt -Oz --strip-debug "$chunk" --output="$name.wasm"
    else
        cp "$chunk" "$name.wasm"
    fi
    hashed="$name-$(hash "$name.wasm").wasm"
    mv "$name.wasm" "$hashed"
    sed -i "s|\"./$name.wasm\"|\"./$hashed\"|" loader.js
    echo "chunks: $hashed ($(wc -c <"$hashed") bytes)"
done
loader="split-$(hash loader.js).js"
mv loader.js "$loader"
before=$(sri "$main")
# Only the import statement: the wasm itself still names the module "./__wasm_split.js".
sed -i "s|from \"./__wasm_split.js\"|from \"./$loader\"|" "$main"
sed -i "s|sha384-$before|sha384-$(sri "$main")|g" index.html
# The main script imports the loader: preload it beside the script, or the browser asks for it
# only once the script has arrived (one more round trip before the app starts).
preload="<link rel=\"modulepreload\" href=\"/$loader\" crossorigin=\"anonymous\" integrity=\"sha384-$(sri "$loader")\">"
sed -i "s|<link rel=\"modulepreload\" href=\"/$main\"|$preload\n&|" index.html
grep -q "href=\"/$loader\"" index.html || { echo "chunks: could not preload $loader in index.html" >&2; exit 1; }
