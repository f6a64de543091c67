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
  sp status [SITE]                 the current container's state and health, the last backup and
                                   restore drill; exit 1, with the reasons, when a site needs attention
  sp logs SITE [OPTIONS...]        docker logs of the newest container (OPTIONS: -f, --tail N ...)
  sp shell SITE                    a shell in the site's current container (needs a terminal)
  sp exec SITE CMD [ARG...]        CMD in the site's current container, with its env and volumes
  sp backup SITE|--all [--scheduled|--final] [--tag TAG]...
  sp prune SITE|--all
  sp snapshots SITE
  sp restore SITE [SNAPSHOT] [--yes]
  sp restore SITE --if-fresh
  sp tar-restore SITE ARCHIVE [--yes]
  sp drill SITE                    a restore drill of the latest snapshot now
  sp adopt SITE                    copy the snapshots of the original scripts' repository in
  sp prune-images [--keep N] [--dry-run]
  sp help

backup    1. dumps the site database (tables, routines, triggers, events; no CREATE
             DATABASE) into the site's dump dir (root's alone) via a temp file; a failed
             dump fails the backup and restic does not run.
          2. restic backup of DATA (without DATA/tmp and cache dirs, CACHEDIR.TAG) and the
             dump dir into the site's repository, created when there is none (never over
             one whose password fails). Tags: site=SITE, layout=2 and kind=manual
             (default), kind=scheduled (--scheduled: cron) or kind=final (--final: before
             a site is destroyed); --tag adds more.
          3. with SP_TAR_DIR: DATA and the dump as SITE-YYYYmmddTHHMMSSZ.tar.gz too (a
             scheduled backup only when the site has no archive of that UTC day yet),
             removing archives older than SP_TAR_KEEP_DAYS days and beyond the newest
             SP_TAR_KEEP (when set).
          4. writes the status file and a log line, ok or failed, and pings the site's
             heartbeat URL if it has one (URL/fail with the reason on failure).
          A backup that finds another one of the site running waits for it; when that one
          succeeded meanwhile, this one is "skipped" (logged, status untouched, exit 0).
          --all: each site with backups in turn, each within SP_BACKUP_TIMEOUT seconds
          (default 3600); a failure does not stop the others. Scheduled backups
          (--scheduled) of different sites run one at a time on the host: one that finds
          another running waits for it, at most 10 minutes, then runs beside it.
prune     restic forget --prune with the site's SP_KEEP_* over all its snapshots as one
          group (also those of an earlier host), always keeping those tagged manual,
          kind=manual or kind=final; then restic check.
restore   restores SNAPSHOT (default: latest) beside DATA, gives the files to the site
          user and group (directories 2770) there, swaps public/ private/ sql/ in (tmp/
          stays), recreates the database and imports the dump as the site's own
          database account, in a sandboxed client, as the site's Linux user; restarts
          the running containers (stopped meanwhile). Needs --yes when the site has
          files or tables. --if-fresh: the latest snapshot, only into what is empty:
          the files when public/ private/ sql/ hold none, the database when it has no
          tables; without a repository or snapshot there is nothing to restore (exit 0).
          Snapshots of earlier releases (public/ private/ sql/ at their root) restore too.
tar-restore  the same from a tar backup (a path or a file name in SP_TAR_DIR).
adopt     copies every snapshot of the site's repository from the original scripts
          (backup.adopt: SP_ADOPT_REPOSITORY, opened with adopt_pass) that is not here yet
          into the site's repository (created with the same chunker parameters), and
          tags the copies site=SITE kind=adopted layout=original: restore, the restore on
          creation, drills and prune then treat them as the site's, the data dir's
          content at SP_ADOPT_PATH in them, the dump at SP_ADOPT_DUMP; prune keeps them.
          The source is only read. Run by pulumi up when backup.adopt is set.
drill     restores the latest snapshot where the site cannot see it (restic --verify),
          compares the files with what the snapshot lists, imports its dump into a scratch
          database (sandboxed, the site's account) and checks that a second dump equals
          it, counts tables and rows, and runs restic check --read-data-subset (the
          site's share); writes the drill status, pings the heartbeat. Scheduled by cron.
prune-images  removes site images no container uses, keeping each site's newest N
          deployments' images (what a rollback needs; default 2). The host's cron runs it.

Backup, prune, restore and drill of one site never run at the same time (a lock per site,
waiting up to SP_LOCK_WAIT seconds, default 3600), nor while the site's data is deleted.
stdout carries only the output of list, status, snapshots, prune-images --dry-run and help;
progress, restic and MariaDB output go to stderr.

Exit codes: 0 ok; 1 failure (for --all: any site failed); 2 usage error, also a
restore that needs --yes. sp exec exits with the command's code. sp status exits 1
when a site needs attention: no container, its container not running or unhealthy,
docker unreachable, the last backup or drill failed, or the last good one is older than
its schedule allows (also: none yet, once the site is older than that).
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
    drill) cmd_drill "$@" ;;
    adopt) cmd_adopt "$@" ;;
    prune-images) cmd_prune_images "$@" ;;
    # Internal: one site per process, run by backup/prune/drill under a timeout.
    _backup-one) backup_one "$@" ;;
    _prune-one) prune_one "$@" ;;
    _drill-one) drill_one "$@" ;;
    *) usage_error "unknown command '$cmd'" ;;
  esac
}
