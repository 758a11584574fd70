#!/bin/sh
# Builds jitmem-llvm-anchor against the system's LLVM 19 (Debian: apt-get install llvm-19-dev).
#   bench/llvm/build.sh [OUTPUT]      # default OUTPUT: bench/target/llvm/jitmem-llvm-anchor
# Environment: LLVM_CONFIG (default /usr/lib/llvm-19/bin/llvm-config), CXX (default g++).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUTPUT=${1:-$HERE/../target/llvm/jitmem-llvm-anchor}
LLVM_CONFIG=${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config}
CXX=${CXX:-g++}
if [ ! -x "$LLVM_CONFIG" ]; then
  echo "build.sh: $LLVM_CONFIG not found; install LLVM 19's development files (Debian: llvm-19-dev)" >&2
  exit 2
fi
mkdir -p "$(dirname "$OUTPUT")"
# shellcheck disable=SC2046
$CXX -O2 -DNDEBUG $($LLVM_CONFIG --cxxflags) -Wall -o "$OUTPUT" "$HERE/llvm-anchor.cpp" \
  $($LLVM_CONFIG --ldflags) -Wl,-rpath,"$($LLVM_CONFIG --libdir)" $($LLVM_CONFIG --libs) -lpthread
${CC:-gcc} -O2 -Wall -shared -fPIC -o "$(dirname "$OUTPUT")/nodelay-preload.so" "$HERE/nodelay-preload.c" -ldl
echo "built $OUTPUT (LLVM $($LLVM_CONFIG --version))"
