/**
 * `edgewatch collect-script`: the read-only POSIX sh script an administrator runs on the appliance
 * (FreeBSD sh; Perl does the tree walk because old builds have no usable stat(1); stat(1) or
 * `find -ls` are fallbacks). It writes the layout of types.ts into a new directory under /var/tmp
 * (or the directory given as its first argument), then a tar.gz of it. It reads only; it writes
 * only inside its own output directory and the archive beside it; it copies no secrets (of
 * ns.conf only the header, host name and address lines). `ROOT=/some/dir` is a test hook that
 * treats that directory as the appliance root (never set on an appliance).
 */

export const COLLECT_SCRIPT_VERSION = '1';

/** Trees walked by the collector, in the order that decides what is copied (see the script). */
export const COLLECT_TREES = {
  /** Stat + copy every regular file. */
  copy: [
    '/netscaler/portal/templates',
    '/var/tmp/netscaler/portal/templates',
    '/var/vpn/bookmark',
    '/netscaler/portal/scripts',
    '/var/vpn/themes',
    '/var/vpn/theme',
    '/var/cron/tabs',
  ],
  /** Stat + copy PHP files. */
  php: [
    '/var/netscaler/logon',
    '/var/vpn',
    '/var/netscaler/ns_gui',
    '/var/netscaler/gui',
    '/var/ns_gui',
    '/netscaler/portal/admin/scripts',
    '/netscaler/portal/supporting_files',
    '/netscaler/ns_gui/epa/scripts',
    '/netscaler/ns_gui/vpns/theme',
    '/netscaler/ns_gui/admin_ui/rdx/core/css/images',
    '/netscaler/ns_gui/vpn/images',
  ],
  /** Stat + copy the logs triage reads (rotated .gz included). */
  logs: ['/var/log'],
  /** Stat + copy single files. */
  files: ['/flash/boot/loader.conf', '/etc/crontab'],
  /** Stat only (existence, modes, timestamps). */
  stat: ['/var/tmp', '/tmp', '/var/nstmp', '/var/nss', '/var/cron'],
} as const;

/** The collect script's text. */
export function collectScript(): string {
  const t = COLLECT_TREES;
  const specs = [
    ...t.copy.map((p) => `C:${p}`),
    ...t.php.map((p) => `P:${p}`),
    ...t.logs.map((p) => `L:${p}`),
    ...t.files.map((p) => `F:${p}`),
    ...t.stat.map((p) => `S:${p}`),
  ];
  return `#!/bin/sh
# edgewatch collect-script v${COLLECT_SCRIPT_VERSION}: read-only evidence collection for \`edgewatch triage\`.
# Run on the Citrix ADC / NetScaler as root, from the shell (\`shell\` at the CLI):
#   sh edgewatch-collect.sh [OUTPUT_PARENT_DIR]      (default /var/tmp)
# It reads only. It writes only a new directory OUTPUT_PARENT_DIR/edgewatch-collect-<host>-<time>/
# and <that>.tar.gz beside it, and never deletes anything. Copies: web/cron/shell logs (rotated
# .gz too), template/bookmark/script/theme dirs, PHP under the web trees, crontabs, loader.conf,
# the ns.conf header lines (no secrets: hashes and keys are never copied). Listings: modes and
# timestamps (meta/stat.txt), setuid files, processes, sockets, crontabs; a SHA-256 manifest.
# ROOT=<dir> is a test hook (treat <dir> as the appliance root); never set it on an appliance.
set -u
umask 077
PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin:/netscaler:$PATH
export PATH
ROOT="\${ROOT:-}"
ROOT="\${ROOT%/}"
PARENT="\${1:-/var/tmp}"
PARENT="\${PARENT%/}"
[ -n "$PARENT" ] || PARENT=/
SCRIPT_VERSION=${COLLECT_SCRIPT_VERSION}
say() { printf '%s\\n' "edgewatch-collect: $*" >&2; }

HOST=$(hostname 2>/dev/null || echo unknown)
[ -n "$ROOT" ] && [ -r "$ROOT/.live/hostname" ] && HOST=$(head -n 1 "$ROOT/.live/hostname")
SAFEHOST=$(printf '%s' "$HOST" | tr -c 'A-Za-z0-9._-' '_' | cut -c1-64)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME="edgewatch-collect-$SAFEHOST-$STAMP"
OUT="$PARENT/$NAME"
[ -d "$PARENT" ] || { say "output parent $PARENT is not a directory"; exit 2; }
mkdir "$OUT" || { say "cannot create $OUT"; exit 2; }
mkdir "$OUT/meta" "$OUT/fs" || exit 2
say "writing $OUT"

# ns.conf: only the header, host name and address lines (never passwords, keys or hashes).
NSCONF=""
for f in "$ROOT/flash/nsconfig/ns.conf" "$ROOT/nsconfig/ns.conf"; do
  if [ -f "$f" ] && [ ! -h "$f" ]; then NSCONF="$f"; break; fi
done
if [ -n "$NSCONF" ]; then
  mkdir -p "$OUT/fs/nsconfig"
  grep -E '^#NS[0-9]|^set ns hostName |^set ns config -IPAddress ' "$NSCONF" | head -n 20 > "$OUT/fs/nsconfig/ns.conf"
fi

# meta/collect.txt
NSVER=""
if [ -r "$ROOT/flash/boot/loader.conf" ]; then
  NSVER=$(grep -E '^[[:space:]]*kernel[[:space:]]*=' "$ROOT/flash/boot/loader.conf" | head -n 1 | sed -e 's/.*ns-\\([0-9][0-9.]*-[0-9][0-9.]*[0-9]\\).*/\\1/')
fi
if [ -z "$NSVER" ] && [ -n "$NSCONF" ]; then
  NSVER=$(grep -E '^#NS' "$NSCONF" | head -n 1 | sed -e 's/^#NS\\([0-9.]*\\) Build \\([0-9.]*\\).*/\\1-\\2/')
fi
IP=""
[ -n "$NSCONF" ] && IP=$(grep -E '^set ns config -IPAddress ' "$NSCONF" | head -n 1 | awk '{print $5}')
{
  echo "hostname: $HOST"
  echo "ip: $IP"
  echo "ns_version: $NSVER"
  echo "collected_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "script_version: $SCRIPT_VERSION"
  echo "uname: $(uname -a 2>/dev/null)"
  echo "output_dir: $OUT"
  [ -n "$ROOT" ] && echo "test_root: $ROOT"
} > "$OUT/meta/collect.txt"

# meta/stat.txt and fs/: one Perl walk (lstat, never follows links, skips our own output).
WALK_OK=0
if command -v perl >/dev/null 2>&1; then
  perl - "$ROOT" "$OUT" ${specs.map((s) => `'${s}'`).join(' ')} > "$OUT/meta/stat.txt" 2>> "$OUT/meta/errors.txt" <<'PERL' && WALK_OK=1
use strict;
use warnings;
use File::Path qw(make_path);
my ($root, $out, @specs) = @ARGV;
my $MAX_COPY = 16 * 1024 * 1024;       # theme images and the like
my $MAX_LOG  = 1024 * 1024 * 1024;     # logs
my $LOGS = qr/^(?:httpaccess|httperror|bash|notice|sh|ns)\\.log(?:\\.\\d+)?(?:\\.gz)?$|^cron(?:\\.\\d+)?(?:\\.gz)?$/;
my %seen;
my $entries = 0;
sub rel { my $p = shift; return substr($p, length $root); }
sub copyf {
  my ($p, $max) = @_;
  my $size = -s _;
  return if !defined $size || $size > $max;
  my $dst = "$out/fs" . rel($p);
  (my $dir = $dst) =~ s{/[^/]*$}{};
  make_path($dir) unless -d $dir;
  open(my $in, '<:raw', $p) or return;
  open(my $o, '>:raw', $dst) or return;
  my $buf;
  while (read($in, $buf, 65536)) { print $o $buf; }
  close $o; close $in;
}
sub walk {
  my ($p, $how, $depth) = @_;
  return if $seen{$p}++;
  return if $p eq $out || index($p, "$out/") == 0;
  return if ++$entries > 500000;
  my @s = lstat($p) or return;
  my $r = rel($p); $r =~ s/[\\t\\n\\r]/?/g; $r = '/' if $r eq '';
  printf "%o\\t%d\\t%d\\t%d\\t%d\\t%d\\t%s\\n", $s[2], $s[4], $s[5], $s[7], $s[9], $s[10], $r;
  return if -l _;
  if (-d _) {
    return if $depth > 40;
    opendir(my $d, $p) or return;
    my @e = grep { $_ ne '.' && $_ ne '..' } readdir($d);
    closedir $d;
    walk("$p/$_", $how, $depth + 1) for sort @e;
  } elsif (-f _) {
    my $base = $p; $base =~ s{.*/}{};
    if ($how eq 'C' || $how eq 'F') { copyf($p, $MAX_COPY); }
    elsif ($how eq 'P') { copyf($p, $MAX_COPY) if $p =~ /\\.php$/i; }
    elsif ($how eq 'L') { copyf($p, $MAX_LOG) if $base =~ $LOGS; }
  }
}
for my $spec (@specs) {
  my ($how, $path) = split(/:/, $spec, 2);
  walk($root . $path, $how, 0);
}
PERL
fi
if [ "$WALK_OK" != 1 ]; then
  say "perl unavailable or failed: falling back to find (+ stat(1) when present)"
  for d in ${[...t.stat, ...t.copy, ...t.php, ...t.logs].join(' ')}; do
    [ -e "$ROOT$d" ] || continue
    if stat -f '%p' / >/dev/null 2>&1; then
      find "$ROOT$d" -path "$OUT" -prune -o -exec stat -f '%p%t%u%t%g%t%z%t%m%t%c%t%N' {} + 2>/dev/null | sed -e "s|	$ROOT/|	/|"
    else
      find "$ROOT$d" -path "$OUT" -prune -o -ls 2>/dev/null >> "$OUT/meta/find-ls.txt"
    fi
  done > "$OUT/meta/stat.txt"
  for d in ${t.copy.join(' ')}; do
    [ -d "$ROOT$d" ] || continue
    find "$ROOT$d" -type f -size -16384k 2>/dev/null | while IFS= read -r f; do
      rel=\${f#"$ROOT"}; mkdir -p "$OUT/fs\${rel%/*}" && cat "$f" > "$OUT/fs$rel"
    done
  done
  for f in "$ROOT"/var/log/httpaccess.log* "$ROOT"/var/log/httperror.log* "$ROOT"/var/log/bash.log* "$ROOT"/var/log/notice.log* "$ROOT"/var/log/sh.log* "$ROOT"/var/log/cron* "$ROOT"/var/log/ns.log* "$ROOT"/flash/boot/loader.conf; do
    [ -f "$f" ] || continue
    rel=\${f#"$ROOT"}; mkdir -p "$OUT/fs\${rel%/*}" && cat "$f" > "$OUT/fs$rel"
  done
fi

# meta/suid.txt: setuid files on each file system (/ is a RAM disk; /var and /flash are separate).
for d in / /var /flash; do
  [ -d "$ROOT$d" ] && find "$ROOT$d" -xdev -type f -perm -4000 2>/dev/null
done | sed -e "s|^$ROOT/|/|" | grep -v "^$OUT/" | sort -u > "$OUT/meta/suid.txt"

# Live listings (skipped in the ROOT test hook unless $ROOT/.live/ holds them).
live() { # name command...
  n="$1"; shift
  if [ -n "$ROOT" ]; then
    [ -r "$ROOT/.live/$n" ] && cat "$ROOT/.live/$n" > "$OUT/meta/$n"
  else
    "$@" > "$OUT/meta/$n" 2>> "$OUT/meta/errors.txt"
  fi
}
live ps.txt ps auxww
sockets() { sockstat -4 -l; sockstat -c -4; }
live sockstat.txt sockets
crontabs() { for u in root nobody; do echo "# user: $u"; crontab -l -u "$u" 2>/dev/null; done; }
live crontab.txt crontabs

# MANIFEST.sha256
hash() {
  if command -v sha256 >/dev/null 2>&1; then sha256 -q "$1"
  elif command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else perl -MDigest::SHA -e 'print Digest::SHA->new(256)->addfile($ARGV[0], "b")->hexdigest, "\\n"' "$1"
  fi
}
( cd "$OUT" && find meta fs -type f | sort | while IFS= read -r f; do printf '%s  %s\\n' "$(hash "$f")" "$f"; done ) > "$OUT/MANIFEST.sha256.tmp"
mv "$OUT/MANIFEST.sha256.tmp" "$OUT/MANIFEST.sha256"

( cd "$PARENT" && tar -czf "$NAME.tar.gz" "$NAME" ) || { say "tar failed; the directory $OUT is the collection"; exit 1; }
say "done: $OUT.tar.gz"
say "copy it off the appliance (e.g. scp), run: edgewatch triage $NAME.tar.gz"
say "then remove $OUT and $OUT.tar.gz from the appliance"
echo "$OUT.tar.gz"
`;
}
