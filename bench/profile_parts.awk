# Reads `callgrind_annotate --inclusive=yes` output; prints the inclusive
# instructions of the parts of a start, as "loader 10.2M, module set 7.0M, ...".
# A part is the first (largest) function whose name matches its pattern; parts a
# program does not have are left out. Used by bench/run --profile.
BEGIN {
  n = split("loader|module set|history read|status|plan", label, "|")
  pattern[1] = "_dl_start$"
  pattern[2] = "app::load_module_set\\("
  pattern[3] = "history_store::read\\(\\)"
  pattern[4] = "migrator::compute_status\\("
  pattern[5] = "migrator::make_plan\\("
}
/file:function/ { table = 1; next }
table && match($0, /^ *[0-9,]+ \( *[0-9.]+%\) +/) {
  ir = substr($0, 1, RLENGTH); sub(/\(.*/, "", ir); gsub(/[ ,]/, "", ir)
  fn = substr($0, RLENGTH + 1); sub(/ \[[^]]*\] *$/, "", fn); sub(/^[^:]*:/, "", fn)
  for (i = 1; i <= n; i++)
    if (!(i in got) && fn ~ pattern[i]) got[i] = ir
}
END {
  out = ""
  for (i = 1; i <= n; i++) if (i in got) out = out (out == "" ? "" : ", ") label[i] " " sprintf("%.1fM", got[i] / 1e6)
  if (out != "") print out
}
