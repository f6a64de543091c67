# shellcheck shell=bash
# Creates or repairs a site's Linux user and group, its directories and its
# secret files (docs/HOST-LAYOUT.md).
# stdin: {"dbPassword": "...", "hashSalt": "...", "secretEnv": {"NAME": "value"}}.
# stdout: exactly one line, {"uid":N,"gid":N}; progress on stderr.
#
# The site's container can write its data dir and everything in it: root
# never changes anything in there by a path the site could have swapped for
# a link. What root must do inside, the site's own user does (setpriv), so
# the kernel's permission checks apply; chown is always -h (never follows).
#
# Values (render/site-setup.ts): SP_SITES_CONF_DIR SP_USER SP_GROUP
# SP_SITE_DIR SP_DATA_DIR SP_DATA_SUBDIRS SP_DUMP_DIR SP_SITE_CONFIG_DIR
# SP_SECRETS_DIR SP_SECRET_ENV_DIR SP_WANTED_ENV SP_WANTED_ENV_JSON
# SP_DB_CA_PEM SP_SITE_ENV_FILE SP_SITE_ENV SP_CREATED_FILE

[ -d "$SP_SITES_CONF_DIR" ] || sp_die "host not set up: run the host packages script first"

# Secrets first: a malformed stdin must fail before anything is created.
secrets_json=$(cat)
printf '%s' "$secrets_json" | jq -e '
  type == "object"
  and (.dbPassword | type == "string" and length > 0)
  and (.hashSalt | type == "string" and length > 0)
  and ((.secretEnv // {}) | type == "object" and all(.[]; type == "string"))' >/dev/null 2>&1 ||
  sp_die 'stdin must be {"dbPassword": "...", "hashSalt": "...", "secretEnv": {"NAME": "value"}} with non-empty strings'
if ! printf '%s' "$secrets_json" | jq -e --argjson want "$SP_WANTED_ENV_JSON" '((.secretEnv // {}) | keys) == $want' >/dev/null; then
  sp_die "secretEnv on stdin has $(printf '%s' "$secrets_json" | jq -c '(.secretEnv // {}) | keys'), expected $SP_WANTED_ENV_JSON"
fi

# useradd/groupadd of sites set up in parallel would race for /etc/passwd.
exec 9>/run/simple-paas-accounts.lock
flock -w 120 9 || sp_die "could not lock /run/simple-paas-accounts.lock within 120s"
if getent group "$SP_GROUP" >/dev/null; then
  sp_log "group $SP_GROUP: exists"
else
  groupadd --system "$SP_GROUP"
  sp_changed "group $SP_GROUP: created"
fi
# A system user without a login shell whose home is the site dir (made below).
if passwd_entry=$(getent passwd "$SP_USER"); then
  IFS=: read -r _ _ _ user_gid _ user_home user_shell <<<"$passwd_entry"
  want_gid=$(getent group "$SP_GROUP" | cut -d: -f3)
  if [ "$user_gid:$user_home:$user_shell" != "$want_gid:$SP_SITE_DIR:/usr/sbin/nologin" ]; then
    usermod --gid "$SP_GROUP" --home "$SP_SITE_DIR" --shell /usr/sbin/nologin "$SP_USER"
    sp_changed "user $SP_USER: group/home/shell repaired"
  else
    sp_log "user $SP_USER: exists"
  fi
else
  useradd --system --gid "$SP_GROUP" --home-dir "$SP_SITE_DIR" --no-create-home --shell /usr/sbin/nologin "$SP_USER"
  sp_changed "user $SP_USER: created"
fi
exec 9>&-
uid=$(id -u "$SP_USER")
gid=$(getent group "$SP_GROUP" | cut -d: -f3)

# The site dir is root's (the site cannot rename what is in it), so its data
# dir and the dump dir are safe to act on by path. The data dir is sticky:
# the container (runAs, never the site's own user) cannot rename or remove
# public/ private/ sql/ tmp/, so public/ cannot become a link to another
# site's files that dockerd would follow when it mounts it again.
sp_ensure_dir "$SP_SITE_DIR" 0750 root "$SP_GROUP"
sp_ensure_dir "$SP_DATA_DIR" 3770 "$SP_USER" "$SP_GROUP"
sp_ensure_dir "$SP_DUMP_DIR" 0700 root root

# In the data dir, as the site's user: a link or file the site left where a
# directory belongs is moved aside (by the site's user), never followed.
as_site() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"; }
for sub in "${SP_DATA_SUBDIRS[@]}"; do
  path="$SP_DATA_DIR/$sub"
  if [ -L "$path" ] || { [ -e "$path" ] && [ ! -d "$path" ]; }; then
    aside="$path.sp-displaced-$(date +%s)"
    as_site mv -T -- "$path" "$aside" || sp_die "$path is not a directory and cannot be moved aside"
    sp_changed "$path was not a directory: moved to $aside"
  fi
  if [ ! -e "$path" ]; then
    as_site mkdir -- "$path"
    sp_changed "$path: created"
  fi
  have=$(stat -c '%u:%g %a' -- "$path")
  if [ "${have% *}" != "$uid:$gid" ]; then
    chown -h -- "$uid:$gid" "$path"
    sp_changed "$path: owner ${have% *} -> $uid:$gid"
  fi
  if [ "${have#* }" != 2770 ]; then
    # As the site's user: a link swapped in meanwhile points at nothing it may change.
    as_site chmod 2770 -- "$path" || sp_die "cannot set the mode of $path"
    sp_changed "$path: mode ${have#* } -> 2770"
  fi
done

sp_ensure_dir "$SP_SITE_CONFIG_DIR" 0755 root root
sp_ensure_dir "$SP_SECRETS_DIR" 0750 root "$SP_GROUP"
sp_ensure_dir "$SP_SECRET_ENV_DIR" 0750 root "$SP_GROUP"

# Secret files: readable by root and the site's group (the container runs as
# <runAs>:<gid>), exactly the value (no newline added).
umask 077
sp_secret() { printf '%s' "$secrets_json" | jq -j --arg name "$2" "$1" | sp_write_file "$3" 0440 root "$SP_GROUP"; }
sp_secret '.dbPassword' '' "$SP_SECRETS_DIR/db_pass"
sp_secret '.hashSalt' '' "$SP_SECRETS_DIR/hash_salt"
for name in "${SP_WANTED_ENV[@]}"; do
  # shellcheck disable=SC2016 # $name is a jq variable (--arg), not a shell one
  sp_secret '.secretEnv[$name]' "$name" "$SP_SECRET_ENV_DIR/$name"
done
for file in "$SP_SECRET_ENV_DIR"/* "$SP_SECRET_ENV_DIR"/.[!.]*; do
  [ -e "$file" ] || [ -L "$file" ] || continue
  keep=0
  for name in "${SP_WANTED_ENV[@]}"; do
    if [ "$SP_SECRET_ENV_DIR/$name" = "$file" ]; then keep=1; fi
  done
  if [ "$keep" = 0 ]; then
    rm -rf -- "$file"
    sp_changed "$file: removed (no longer a secret env name)"
  fi
done
# The CA of an external database server the site speaks TLS to (not a secret).
if [ -n "$SP_DB_CA_PEM" ]; then
  printf '%s' "$SP_DB_CA_PEM" | sp_write_file "$SP_SECRETS_DIR/db_ca.pem" 0444 root "$SP_GROUP"
elif [ -e "$SP_SECRETS_DIR/db_ca.pem" ]; then
  rm -f -- "$SP_SECRETS_DIR/db_ca.pem"
  sp_changed "$SP_SECRETS_DIR/db_ca.pem: removed"
fi
umask 022

printf '%s' "$SP_SITE_ENV" | sp_write_file "$SP_SITE_ENV_FILE" 0600 root root
# When the site was first set up on this host: `sp status` gives a new site
# until its backup schedule's first run before it calls a missing backup overdue.
if [ ! -f "$SP_CREATED_FILE" ]; then
  date -u +%Y-%m-%dT%H:%M:%SZ | sp_write_file "$SP_CREATED_FILE" 0644 root root
fi
sp_finish
printf '{"uid":%s,"gid":%s}\n' "$uid" "$gid" >&3
