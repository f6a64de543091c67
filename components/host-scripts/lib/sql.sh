# shellcheck shell=bash
# `sp_sql_quote VALUE`: a SQL string literal of VALUE (the scripts reset
# sql_mode, so backslashes are escapes), for values that only the host
# knows, such as a password read from stdin.

sp_sql_quote() {
  local v=${1//\\/\\\\}
  v=${v//\'/\'\'}
  printf "'%s'" "$v"
}
