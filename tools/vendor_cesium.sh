#!/usr/bin/env bash
# Vendor the CesiumJS build that `shieldsim serve` ships as package data.
#
# Installs cesium@$CESIUM_VERSION from npm into a temporary directory (development time
# only: neither the tests nor the running server reach a network) and copies what a page
# with a <script> tag needs into src/shieldsim/web/static/vendor/cesium/: Cesium.js, Workers,
# ThirdParty, Widgets and the Assets the viewer loads, including the offline imagery
# Assets/Textures/NaturalEarthII. Left out: index.js / index.cjs (module builds, 9 MB),
# Assets/Textures/LensFlare and maki (effects and pin icons the page does not use).
# Cesium is Apache-2.0; its LICENSE.md is kept beside the build, with a VERSION file.
#
# Usage: tools/vendor_cesium.sh            (from the repository root)
# Node 20 prints EBADENGINE warnings for cesium >= 1.141 (it declares node >= 22); they are
# harmless, but without the exact pin npm would quietly resolve an older release.
set -euo pipefail

CESIUM_VERSION="${CESIUM_VERSION:-1.145.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/shieldsim/web/static/vendor/cesium"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm install --no-audit --no-fund --loglevel=error "cesium@$CESIUM_VERSION" >/dev/null)
BUILD="$TMP/node_modules/cesium/Build/Cesium"
test -f "$BUILD/Cesium.js"

rm -rf "$DEST"
mkdir -p "$DEST/Assets/Textures"
cp "$BUILD/Cesium.js" "$DEST/"
cp -R "$BUILD/Workers" "$BUILD/ThirdParty" "$BUILD/Widgets" "$DEST/"
cp -R "$BUILD/Assets/Images" "$BUILD/Assets/IAU2006_XYS" "$BUILD/Assets/approximateTerrainHeights.json" "$DEST/Assets/"
for t in NaturalEarthII SkyBox moonSmall.jpg pin.svg waterNormals.jpg waterNormalsSmall.jpg; do
  cp -R "$BUILD/Assets/Textures/$t" "$DEST/Assets/Textures/"
done
cp "$TMP/node_modules/cesium/LICENSE.md" "$DEST/LICENSE.md"
echo "cesium@$CESIUM_VERSION (npm), Build/Cesium subset; vendored by tools/vendor_cesium.sh" > "$DEST/VERSION"
du -sh "$DEST"
