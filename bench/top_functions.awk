# Reads `callgrind_annotate` output (self cost); prints the N (default 6) functions
# with the most instructions as "function 18.7% (object), ...". Used by bench/run --profile.
/file:function/ { table = 1; next }
table && match($0, /^ *[0-9,]+ \( *[0-9.]+%\) +/) {
  head = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
  pct = head; sub(/^[^(]*\( */, "", pct); sub(/\).*/, "", pct)
  obj = ""
  if (match(rest, /\[[^]]*\] *$/)) { obj = substr(rest, RSTART + 1, RLENGTH - 2); sub(/\].*/, "", obj); sub(/.*\//, "", obj); rest = substr(rest, 1, RSTART - 1) }
  fn = rest; sub(/^[^:]*:/, "", fn); sub(/\(.*/, "", fn); sub(/ +$/, "", fn)
  if (fn ~ /^0x/) fn = "(no symbol)"
  printf "%s%s %s%s", (n++ ? ", " : ""), fn, pct, (obj == "" ? "" : " (" obj ")")
  if (n == (N ? N : 6)) exit
}
END { if (n) print "" }
