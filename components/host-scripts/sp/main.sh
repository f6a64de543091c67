# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp help` and the dispatch of subcommands.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

usage() {
  cat <<'USAGE'
sp - operate the simple-paas sites of this host (run as root)

  sp list                          one line per site: name, containers (newest first), state
  sp status [SITE]                 container state and health, last backup (time, result, snapshot)
  sp logs SITE [OPTIONS...]        docker logs of the newest container (OPTIONS: -f, --tail N ...)
  sp shell SITE                    a shell in the newest running container (needs a terminal)
  sp exec SITE CMD [ARG...]        CMD in the newest running container, with the site's env and volumes
  sp backup SITE|--all [--scheduled|--final] [--tag TAG]...
  sp prune SITE|--all
  sp snapshots SITE
  sp restore SITE [SNAPSHOT] [--yes]
  sp restore SITE --if-fresh
  sp tar-restore SITE ARCHIVE [--yes]
  sp help

backup    1. dumps the site database (tables, routines, triggers, events; no CREATE
             DATABASE) into DATA/sql/DB.sql via a temp file; a failed dump fails the
             backup and restic does not run.
          2. restic backup of DATA without DATA/tmp and cache dirs (CACHEDIR.TAG) into
             the site's repository, created when there is none (never over one whose
             password fails). Tags: site=SITE and kind=manual (default), kind=scheduled
             (--scheduled: cron) or kind=final (--final: before a site is destroyed);
             --tag adds more.
          3. with SP_TAR_DIR: DATA as SITE-YYYYmmddTHHMMSSZ.tar.gz too, keeping the
             newest SP_TAR_KEEP archives.
          4. writes the status file and a log line, ok or failed.
          --all: each site with backups in turn, each within SP_BACKUP_TIMEOUT seconds
          (default 3600); a failure does not stop the others.
prune     restic forget --prune with the site's SP_KEEP_* over all its snapshots as one
          group (also those of an earlier host), always keeping those tagged manual,
          kind=manual or kind=final; then restic check.
restore   restores SNAPSHOT (default: latest) beside DATA, swaps public/ private/ sql/
          (tmp/ stays), gives them to the site user and group (directories 2770),
          recreates the database from sql/DB.sql and restarts the running containers
          (stopped meanwhile). Needs --yes when the site has files or tables.
          --if-fresh: the latest snapshot, only into what is empty: the files when
          public/ private/ sql/ hold none, the database when it has no tables; without
          a repository or snapshot there is nothing to restore (exit 0).
tar-restore  the same from a tar backup (a path or a file name in SP_TAR_DIR).

Backup, prune and restore of one site never run at the same time (a lock per site,
waiting up to SP_LOCK_WAIT seconds, default 3600). stdout carries only the output of
list, status, snapshots and help; progress, restic and MariaDB output go to stderr.

Exit codes: 0 ok; 1 failure (for --all: any site failed); 2 usage error, also a
restore that needs --yes. sp exec exits with the command's code. sp status exits 1
when a site needs attention: no container, newest container not running or
unhealthy, docker unreachable, or the last backup failed (never backed up is not).
USAGE
  printf '\nConfiguration: %s\n' "$CONF_DIR"
}

main() {
  local cmd="${1:-}"
  if (( $# )); then shift; fi
  case "$cmd" in
    help | -h | --help) usage ;;
    "")
      USAGE_ERROR=1
      usage >&2
      exit 2 ;;
    list) cmd_list "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    shell) cmd_shell "$@" ;;
    exec) cmd_exec "$@" ;;
    backup) cmd_backup "$@" ;;
    prune) cmd_prune "$@" ;;
    snapshots) cmd_snapshots "$@" ;;
    restore) cmd_restore "$@" ;;
    tar-restore) cmd_tar_restore "$@" ;;
    # Internal: one site per process, run by backup/prune under a timeout.
    _backup-one) backup_one "$@" ;;
    _prune-one) prune_one "$@" ;;
    *) usage_error "unknown command '$cmd'" ;;
  esac
}
