#!/usr/bin/env bash
# Writes and compiles the objects the link benchmark loads, the same for jitmem and for LLVM's JITLink:
#   wide.o             one object of 50 functions: calls between them, a switch with a jump table, a table of
#                      function pointers, string literals, initialized and zero-filled data, and calls into libc
#   small/small-N.o    1,000 small objects, each one function with its own data and a call into libc
# and symbols-wide.txt / symbols-small.txt, the entry symbols to look up (one comma-separated line each).
#   bench/link-objects.sh OUTDIR     (CC, default cc; CFLAGS, default -O2)
set -euo pipefail
OUT=${1:?usage: link-objects.sh OUTDIR}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
SMALL=${SMALL_OBJECTS:-1000}
mkdir -p "$OUT/src" "$OUT/small"

{
  echo '#include <string.h>'
  echo '#include <stdio.h>'
  echo 'static const char *names[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};'
  echo 'long wide_counters[50];'
  echo 'static long wide_scratch[64];'
  for i in $(seq 0 49); do
    next=$(( (i + 1) % 50 ))
    echo "long wide_f$i(long x);"
  done
  for i in $(seq 0 49); do
    next=$(( (i + 7) % 50 ))
    cat <<C
long wide_f$i(long x)
{
    wide_counters[$i]++;
    switch (x & 7)
    {
    case 0: return x + $i;
    case 1: return (long)strlen(names[($i + x) & 7]) + $i;
    case 2: wide_scratch[($i + x) & 63] = x; return wide_scratch[$i & 63];
    case 3: return x > 1000 ? x : wide_f$next(x + 9);
    case 4: { char text[48]; return snprintf(text, sizeof text, "%ld:%d", x, $i); }
    case 5: { char copy[16]; memcpy(copy, names[$i & 7], 4); return copy[$i % 3] + x; }
    case 6: return x * $i - 3;
    default: return x ^ $i;
    }
}
C
  done
  echo 'static long (*const table[])(long) = {'
  for i in $(seq 0 49); do echo "    wide_f$i,"; done
  echo '};'
  echo 'long wide_entry(long x) { long sum = 0; for (int i = 0; i < 50; i++) sum += table[i](x + i); return sum; }'
} > "$OUT/src/wide.c"
$CC $CFLAGS -c -o "$OUT/wide.o" "$OUT/src/wide.c"
echo wide_entry > "$OUT/symbols-wide.txt"

symbols=()
for i in $(seq 0 $((SMALL - 1))); do
  cat > "$OUT/src/small-$i.c" <<C
#include <string.h>
static const char name[] = "small object $i";
long small_${i}_calls;
static long small_${i}_seen[4];
long small_${i}_entry(long x)
{
    small_${i}_seen[x & 3] = x;
    small_${i}_calls++;
    return x * $i + (long)strlen(name) + small_${i}_seen[(x + 1) & 3];
}
C
  symbols+=("small_${i}_entry")
done
printf '%s\n' "${symbols[@]}" | paste -sd, > "$OUT/symbols-small.txt"
ls "$OUT"/src/small-*.c | xargs -P 2 -I{} sh -c '$0 $1 -c -o "$2/small/$(basename "{}" .c).o" "{}"' "$CC" "$CFLAGS" "$OUT"
echo "link-objects: wide.o and $SMALL small objects in $OUT"
