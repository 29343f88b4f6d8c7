# Sourced by bench/run and bench/fleet: the order of the commands of one timed round.
# round_order N SEED: the numbers 0..N-1 in an order shuffled by SEED (Fisher-Yates
# with awk's generator: the same order for the same seed on every run).
round_order() {
  awk -v n="$1" -v seed="$2" 'BEGIN {
    srand(seed); for (i = 0; i < n; i++) a[i] = i
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = a[i]; a[i] = a[j]; a[j] = t }
    for (i = 0; i < n; i++) print a[i] }'
}
