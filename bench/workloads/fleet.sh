# The fleet workload (issue: fleet): bench/fleet starts its own two servers and writes
# its own section of BENCHMARKS.md and bench/fleet.svg. FLEET_DATABASES sets the
# number of databases (default 1000; 40 with --quick). Sourced by bench/run.
register fleet "app --jobs 8 over many tenant databases on two servers, against psql -1 -f and dbmate via xargs -P 8"
workload_fleet() {
  local n=${FLEET_DATABASES:-1000}
  [ $quick -eq 1 ] && [ -z "${FLEET_DATABASES:-}" ] && n=40
  local -a args=(--app "$app" --databases "$n")
  [ $write -eq 0 ] && args+=(--no-write)
  [ $check -eq 1 ] && args+=(--check)
  bench/fleet "${args[@]}" || missed+=("fleet: see bench/fleet's output")
}
