#!/bin/sh
# azd prepackage hook of the api service (azure.yaml): stage exactly what the Function App runs in
# dist/azd-package, the folder azure.yaml's `dist` points azd at, which azd then zips (filtered by the
# .funcignore copied beside it) and uploads.
#
# Why a staging folder: azd runs the project's `npm run build` again *after* this hook, inside its own
# package step, so the project's node_modules must keep the devDependencies (TypeScript, Vite) the build
# needs; the staged copy gets production dependencies only, installed from package-lock.json. Nothing
# in the working copy changes (dist/ is build output and git-ignored), so no postpackage is needed.
set -eu

stage=dist/azd-package

npm run build
rm -rf "$stage"
mkdir -p "$stage/dist"
for entry in dist/* dist/.[!.]*; do
  [ -e "$entry" ] || continue
  [ "$entry" = "$stage" ] && continue
  cp -R "$entry" "$stage/dist/"
done
cp host.json package.json package-lock.json .funcignore "$stage/"
# Production dependencies only, at the versions package-lock.json records; no install scripts (none is
# needed at run time). `npm install`, not `npm ci`: it tolerates a lock file whose optional entries of
# dev tools lag behind (the staged lock file is thrown away).
(cd "$stage" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline)
rm -f "$stage/package-lock.json"
