# ---------------------------------------------------------------- supervision, stack: only the Node agent measures these
probe_not_here() {
  _why="not measured by the POSIX-sh probe; run the Node agent (node >= 18) for it"
  p_skipped supervision "$_why"
  p_skipped stack "$_why"
}
