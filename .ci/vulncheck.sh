#!/usr/bin/env bash
# govulncheck without network access to vuln.go.dev: the vulnerability
# database is built locally from the OSV records that golang.org/x/vulndb
# ships (fetched through the Go module proxy), with that module's own indexdb.
#
# The scan runs with the newest Go toolchain available through the proxy,
# because standard-library findings are a property of the toolchain a program
# is built with, not of this library; the README asks users for a patched Go.
set -euo pipefail
cd "$(dirname "$0")/.."
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0
SCAN_TOOLCHAIN=${SCAN_TOOLCHAIN:-go1.27.3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$(cd "$work" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
[ -d "$src/data/osv" ] || { echo "vulncheck: no OSV data in golang.org/x/vulndb@$VULNDB_VERSION" >&2; exit 1; }
cp -r "$src" "$work/vulndb" && chmod -R u+w "$work/vulndb"
(cd "$work/vulndb" && go run ./cmd/indexdb -vulns data/osv -out "$work/db" >&2)
echo "vulncheck: database of $(ls "$work/db/ID"/*.json | wc -l) entries from golang.org/x/vulndb@$VULNDB_VERSION" >&2
GOTOOLCHAIN=$SCAN_TOOLCHAIN go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$work/db" ./... ./examples/... ./internal/pgtest/... ./cmd/escott/... ./otel/...
