# lint against squawk (npm squawk-cli, its native binary) on the same goose files:
# W1's shape (generated migrations). Both exit non-zero on findings. Sourced by bench/run.
register lint "app migrate lint against squawk-cli on the same generated goose files"
workload_lint() {
  local squawk_dir=$root/build/bench/npm
  local squawk=$squawk_dir/node_modules/@squawk-cli/linux-x64/bin/squawk
  if [ ! -x "$squawk" ]; then
    log "installing squawk-cli into $squawk_dir (npm)"
    npm install --silent --prefix "$squawk_dir" squawk-cli >/dev/null || die "npm install squawk-cli failed"
  fi
  local version n=$((w1_modules * w1_per)) lint_json squawk_out x
  version=$("$squawk" --version | awk '{ print $2 }')
  [ -d "$work/lint" ] || bench/gen modules "$work/lint" "$w1_modules" "$w1_per" >/dev/null
  lint_json=$("$app" migrate lint --json --modules-dir "$work/lint" || true)
  [ "$(jq '.migrations' <<<"$lint_json")" = "$n" ] &&
    [ "$(jq '[.findings[] | select(.rule == "syntax-error")] | length' <<<"$lint_json")" = 0 ] ||
    die "lint: app migrate lint did not parse $n migrations without a syntax error"
  squawk_out=$("$squawk" "$work/lint/*/migrations/*.sql" 2>&1 || true)
  grep -q "checked $n source files" <<<"$squawk_out" || die "lint: squawk did not check $n files"
  log "check of lint: ok (app: $n migrations, $(jq '.statements' <<<"$lint_json") statements; squawk: $n files)"
  ignore_failure=1 time_cmds lint "$runs" - - \
    squawk "$squawk '$work/lint/*/migrations/*.sql'" app "$app migrate lint --modules-dir $work/lint"
  medians lint squawk app
  x=$(paired lint app squawk)
  verdict "$x" 1.00 "lint: app/squawk ${x}x > 1.00x"
  row "\`lint\`, $n generated goose files ($w1_modules modules x $w1_per)" "$(fmt_ms "${R[lint_app]}")" \
    "$(fmt_ms "${R[lint_squawk]}") squawk $version" "${x}x" "<= 1.00x (no slower than squawk)" "$V" ""
}
