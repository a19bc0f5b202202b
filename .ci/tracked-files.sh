#!/usr/bin/env bash
# Fails when a tracked file is a built binary or a large blob: no tracked file
# may be an ELF, PE or Mach-O executable (whatever its mode), no file with the
# executable bit may be anything but a script starting with "#!", and no file
# outside testdata/ and docs/screenshots/ may be larger than 1 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((1024 * 1024))
bad=0
while IFS= read -r -d '' entry; do
  mode=${entry%% *}
  path=${entry#*$'\t'}
  [ -f "$path" ] || continue # deleted in the work tree
  magic=$(head -c 4 "$path" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
  7f454c46 | cefaedfe | cffaedfe | feedface | feedfacf | cafebabe | 4d5a*)
    echo "tracked-files: $path is an executable binary (magic $magic)"; bad=1 ;;
  esac
  if [ "$mode" = 100755 ] && [ "$(head -c 2 "$path")" != '#!' ]; then
    echo "tracked-files: $path has the executable bit but is not a script"; bad=1
  fi
  case "$path" in
  testdata/* | */testdata/* | docs/screenshots/*) ;;
  *)
    size=$(wc -c <"$path")
    if [ "$size" -gt "$limit" ]; then
      echo "tracked-files: $path is $size bytes (limit $limit outside testdata/ and docs/screenshots/)"; bad=1
    fi
    ;;
  esac
done < <(git ls-files -s -z)
exit "$bad"
