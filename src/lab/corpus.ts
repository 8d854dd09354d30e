/**
 * The shipped triage corpus (`edgewatch lab corpus DIR`, checked in under corpus/): hand-written
 * scenarios rendered by the same collection code as `edgewatch lab collection`, each with the
 * EXPECTED.json a correct triage must reproduce (derived by collection/expected.ts from what was
 * planted) and a generated README.md. Byte-for-byte reproducible.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgewatchError } from '../errors.js';
import { writeCollectionDir } from './collection/archive.js';
import { deriveExpected, type Expected } from './collection/expected.js';
import { DAY_S, HOUR_S, utc } from './collection/fmt.js';
import { type RenderedCollection, renderCollection } from './collection/render.js';
import type { Scenario, ScenarioCompromise } from './collection/scenario.js';
import type { CompromisePlan } from './compromise.js';
import { type Firmware, loadFirmware } from './firmware.js';

/** One corpus entry. */
export interface CorpusEntry {
  name: string;
  /** One paragraph for corpus/README.md. */
  story: string;
  scenario: (fw: Firmware) => Scenario;
}

const KEY = '5f2b9a0c71e84d36a9c0b7e2d14f6a83';

function plan(kind: CompromisePlan['kind'], o: Partial<CompromisePlan> = {}): CompromisePlan {
  return {
    kind,
    day: 0,
    template: 'qwlkzrtp',
    key: KEY,
    shells: [],
    templatesCleaned: false,
    timestomped: false,
    salt: 0,
    dedicated: true,
    upgradedBefore0: false,
    ...o,
  };
}

function comp(p: CompromisePlan, at: number, o: Partial<ScenarioCompromise> = {}): ScenarioCompromise {
  return { plan: p, at, attacker: '192.0.2.66', failedAttemptsAt: null, shellUsesAt: [], stompTo: null, ...o };
}

function base(name: string, n: number, o: Partial<Scenario> & Pick<Scenario, 'installs' | 'collectedAt'>): Scenario {
  return {
    name,
    hostname: `gw-${name.split('-')[0]}`,
    ip: `127.77.0.${n}`,
    seed: 0x0c0f_fee0 + n,
    responderAt: null,
    patchedStyle: 'forbidden',
    live: true,
    rotations: 5,
    logSpan: 4 * DAY_S,
    traffic: 'normal',
    probes: [],
    compromise: null,
    admin: true,
    ...o,
  };
}

/** The corpus, in README order. */
export const CORPUS: readonly CorpusEntry[] = [
  {
    name: 'clean-fresh-install',
    story:
      'A VPX freshly installed with the fixed 13.0-47.24 the day before collection: almost no traffic (an administrator opening the login page), the setup commands in bash.log, the legitimate portal scripts, GUI PHP (0444) and logon pages. Nothing to find.',
    scenario: (fw) => {
      const at = utc(2020, 1, 24, 10);
      return base('clean-fresh-install', 1, {
        installs: [{ build: fw.get('13.0-47.24'), at }],
        collectedAt: utc(2020, 1, 25, 15, 20),
        logSpan: utc(2020, 1, 25, 15, 20) - at + HOUR_S,
        rotations: 0,
        traffic: 'fresh',
      });
    },
  },
  {
    name: 'clean-long-running',
    story:
      'A busy Gateway on 12.1-55.18 since 21 Jan 2020 (upgraded from the vulnerable 12.1-55.13), collected on 2 Mar 2020: five rotated access logs of users logging on (classic and Receiver, /vpns/services.html), ns.log SSLVPN events, cron and admin shell history, a bm_prefix_ bookmark with mode 644, the firmware kit in /var/nsinstall owned nobody, `eval(handle_subscriptions())` and `execute` in the portal scripts. Known false-alarm anchors; nothing to find.',
    scenario: (fw) =>
      base('clean-long-running', 2, {
        installs: [
          { build: fw.get('12.1-55.13'), at: utc(2019, 11, 12, 9) },
          { build: fw.get('12.1-55.18'), at: utc(2020, 1, 21, 22) },
        ],
        collectedAt: utc(2020, 3, 2, 14, 5),
        logSpan: 5 * DAY_S,
      }),
  },
  {
    name: 'scanned-not-exploited',
    story:
      '13.0-41.20, scanned on the evening of 10 Jan 2020 while vulnerable (smb.conf answered 200, one probe %-encoded), the CTX267679 responder applied after midnight, later probes answered 403. Never exploited: scanning and blocked probes only (attempts_only, exit 0).',
    scenario: (fw) =>
      base('scanned-not-exploited', 3, {
        installs: [{ build: fw.get('13.0-41.20'), at: utc(2019, 9, 19, 20) }],
        responderAt: utc(2020, 1, 11, 0, 35),
        probes: [
          { at: utc(2020, 1, 10, 22, 10), n: 4, encoded: true },
          { at: utc(2020, 1, 11, 3, 20), n: 3, encoded: false },
        ],
        collectedAt: utc(2020, 1, 13, 11),
      }),
  },
  {
    name: 'exploited-template',
    story:
      '12.1-55.13, exploited at 01:12 on 11 Jan 2020: POST newbm.pl 200 then GET /vpns/portal/<name>.xml 200 from the attacker; the template (payload `id`, harmless) is in /netscaler/portal/templates and its copy in /var/tmp/netscaler/portal/templates, mode 644. Nothing else was left.',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 1, 12);
      return base('exploited-template', 4, {
        installs: [{ build: fw.get('12.1-55.13'), at: utc(2019, 11, 14, 19) }],
        probes: [{ at: at - 25 * 60, n: 3, encoded: false }],
        compromise: comp(plan('template', { template: 'gkqjxvwd' }), at),
        collectedAt: utc(2020, 1, 12, 16),
      });
    },
  },
  {
    name: 'notrobin',
    story:
      '13.0-36.27 taken by NOTROBIN at 02:40 on 11 Jan 2020 with a single request (POST newbm.pl answered 304): install chain in notice.log, curl output in httperror.log, /tmp/.init/httpd and /var/nstmp/.nscache/httpd, a key-named PHP in /var/vpn/themes, a crontab for nobody running every minute (cron log), a nobody process and UDP *:18634 in the live listings. Later attempts by others fail with 404 (their templates were deleted).',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 2, 40);
      return base('notrobin', 5, {
        installs: [{ build: fw.get('13.0-36.27'), at: utc(2019, 5, 20, 21) }],
        probes: [{ at: utc(2020, 1, 10, 23, 5), n: 3, encoded: false }],
        compromise: comp(plan('notrobin'), at, { attacker: '192.0.2.171', failedAttemptsAt: at + 3 * HOUR_S }),
        collectedAt: utc(2020, 1, 12, 12, 30),
      });
    },
  },
  {
    name: 'coin-miner',
    story:
      '12.1-51.19 exploited at 04:22 on 11 Jan 2020 with a template; the ci.sh downloader (defanged hxxp:// in the lab) runs from a crontab for nobody every ten minutes, /var/tmp/netscalerd runs as nobody, curl output in httperror.log. The responder applied on 12 Jan blocks later probes (403) but leaves the miner running.',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 4, 22);
      return base('coin-miner', 6, {
        installs: [{ build: fw.get('12.1-51.19'), at: utc(2019, 4, 2, 20) }],
        responderAt: utc(2020, 1, 12, 10),
        probes: [
          { at: at - 50 * 60, n: 2, encoded: false },
          { at: utc(2020, 1, 12, 15), n: 2, encoded: false },
        ],
        compromise: comp(plan('miner', { template: 'mnrxbkty' }), at, { attacker: '192.0.2.23' }),
        collectedAt: utc(2020, 1, 13, 9, 15),
      });
    },
  },
  {
    name: 'webshell-2023',
    story:
      'CVE-2023-3519 wave, v1: 13.1-37.38 (fixed for CVE-2019-19781) with /var/netscaler/logon/LogonPoint/uiareas/info.php since 21 Jul 2023 (sets status 201 first; the one-liner is quoted in a comment), mode 644, used by POST … 201. From outside: X2 answers 201. Collected 10 Aug 2023.',
    scenario: (fw) => {
      const at = utc(2023, 7, 21, 3, 14);
      return base('webshell-2023', 7, {
        installs: [{ build: fw.get('13.1-37.38'), at: utc(2022, 12, 1, 20) }],
        compromise: comp(plan('webshell-2023-v1', { shells: ['info.php'] }), at, {
          attacker: '192.0.2.210',
          shellUsesAt: [at + 90, at + 5 * HOUR_S],
        }),
        collectedAt: utc(2023, 8, 10, 13),
        logSpan: 21 * DAY_S,
      });
    },
  },
  {
    name: 'webshell-2023-v2',
    story:
      'CVE-2023-3519 wave, v2: 13.0-90.7 with /netscaler/ns_gui/epa/scripts/win/prod.php (empty 404 without Content-Length from outside, X3) and /var/nss, a setuid copy of /bin/sh. Collected 12 Aug 2023.',
    scenario: (fw) => {
      const at = utc(2023, 7, 22, 1, 48);
      return base('webshell-2023-v2', 8, {
        installs: [{ build: fw.get('13.0-90.7'), at: utc(2023, 2, 2, 21) }],
        compromise: comp(plan('webshell-2023-v2', { shells: ['prod.php'] }), at, {
          attacker: '192.0.2.97',
          shellUsesAt: [at + 120, at + 7 * HOUR_S],
        }),
        collectedAt: utc(2023, 8, 12, 10),
        logSpan: 21 * DAY_S,
      });
    },
  },
  {
    name: 'patched-but-compromised',
    story:
      '13.0-47.22 exploited on 11 Jan 2020 (template + /var/vpn/themes/imgs/conn.php), patched to 13.0-47.24 on 25 Jan. The upgrade rebooted the box: the template in /netscaler (RAM disk) is gone, its copy in /var/tmp and the webshell in /var survive. Collected 3 Feb 2020; the busy logs reach back four days only: probes answered 403 by the patched build and the webshell still used (200).',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 0, 20);
      return base('patched-but-compromised', 9, {
        installs: [
          { build: fw.get('13.0-47.22'), at: utc(2019, 12, 3, 20) },
          { build: fw.get('13.0-47.24'), at: utc(2020, 1, 25, 9) },
        ],
        probes: [
          { at: at - 30 * 60, n: 2, encoded: false },
          { at: utc(2020, 2, 2, 10), n: 2, encoded: false },
        ],
        compromise: comp(plan('webshell-2020', { template: 'pbcmtlzs', shells: ['conn.php'] }), at, {
          attacker: '192.0.2.45',
          shellUsesAt: [at + 90, utc(2020, 2, 2, 13)],
        }),
        collectedAt: utc(2020, 2, 3, 15),
      });
    },
  },
  {
    name: 'timestomped-webshell',
    story:
      '13.0-41.28 exploited on 11 Jan 2020; the attacker wrote /var/vpn/themes/imgs/debug.php, set its mtime back to March 2017 (ctime stays 11 Jan 2020) and removed the templates. The logs still show the exploitation and the webshell use.',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 5, 2);
      return base('timestomped-webshell', 10, {
        installs: [{ build: fw.get('13.0-41.28'), at: utc(2019, 10, 20, 21) }],
        responderAt: utc(2020, 1, 13, 9),
        probes: [{ at: at - 40 * 60, n: 2, encoded: false }],
        compromise: comp(
          plan('webshell-2020', { template: 'tsmpqrvx', shells: ['debug.php'], templatesCleaned: true, timestomped: true }),
          at,
          {
            attacker: '192.0.2.130',
            shellUsesAt: [at + 90, at + 3 * HOUR_S],
            stompTo: utc(2017, 3, 14, 10),
          },
        ),
        collectedAt: utc(2020, 1, 14, 10),
      });
    },
  },
  {
    name: 'cleaned-templates-logs-remain',
    story:
      '12.1-55.13 exploited at 03:30 on 11 Jan 2020 with a template, which the attacker removed from both template dirs afterwards. Offline image (no ps/sockstat). Only the access log proves it: newbm.pl 200 and the template fetch 200.',
    scenario: (fw) => {
      const at = utc(2020, 1, 11, 3, 30);
      return base('cleaned-templates-logs-remain', 11, {
        installs: [{ build: fw.get('12.1-55.13'), at: utc(2019, 11, 20, 20) }],
        probes: [{ at: at - 45 * 60, n: 3, encoded: false }],
        compromise: comp(plan('template', { template: 'clnxwqvb', templatesCleaned: true }), at, { attacker: '192.0.2.88' }),
        collectedAt: utc(2020, 1, 12, 20),
        live: false,
      });
    },
  },
];

/** A corpus entry rendered, with its expectations. */
export interface BuiltCorpusEntry {
  entry: CorpusEntry;
  collection: RenderedCollection;
  expected: Expected;
}

export function buildCorpus(fw: Firmware = loadFirmware()): BuiltCorpusEntry[] {
  return CORPUS.map((entry) => {
    const collection = renderCollection(entry.scenario(fw));
    return { entry, collection, expected: deriveExpected(collection) };
  });
}

export function expectedJson(e: Expected): string {
  return `${JSON.stringify(e, null, 2)}\n`;
}

function summary(e: Expected): string {
  if (e.findings.length === 0) return `none; verdict ${e.verdict}, exit ${e.exit}`;
  const byRule = new Map<string, number>();
  for (const f of e.findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
  const rules = [...byRule].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ');
  return `${rules}; verdict ${e.verdict}, exit ${e.exit}`;
}

/** corpus/README.md, generated from the entries (so it always matches EXPECTED.json). */
export function corpusReadme(built: readonly BuiltCorpusEntry[]): string {
  const rows = built.map((b) => `### ${b.entry.name}\n\n${b.entry.story}\n\nExpected: ${summary(b.expected)}.\n`).join('\n');
  return `${README_HEAD}\n## Entries\n\n${rows}\n${README_RULES}`;
}

/** Write the corpus under `dir` (one directory per entry, EXPECTED.json, README.md). */
export async function writeCorpus(dir: string): Promise<BuiltCorpusEntry[]> {
  const built = buildCorpus();
  try {
    await mkdir(dir, { recursive: true });
    for (const b of built) {
      const files = new Map(b.collection.files);
      files.set('EXPECTED.json', Buffer.from(expectedJson(b.expected)));
      await writeCollectionDir(join(dir, b.entry.name), files);
    }
    await writeFile(join(dir, 'README.md'), corpusReadme(built));
  } catch (cause) {
    if (cause instanceof EdgewatchError) throw cause;
    throw new EdgewatchError('EW_LAB_COLLECTION', `cannot write the corpus to ${dir}: ${(cause as Error).message}`, { file: dir, cause });
  }
  return built;
}

const README_HEAD = `# Triage corpus (generated: \`edgewatch lab corpus corpus/\`)

Collections of one appliance each, in the layout of \`src/triage/types.ts\` (\`MANIFEST.sha256\`, \`meta/\`,
\`fs/<appliance path>\`), written by the lab (\`src/lab/corpus.ts\`, rendered by \`src/lab/collection/\`, the same
code as \`edgewatch lab collection IP\`). Do not edit by hand: regenerate, and a test checks that regeneration
reproduces these files byte for byte.

Everything is a **lab stand-in**: portal scripts carry their real names but not the vendor bytes (the MD5
reference of 13.0-47.22 does not apply: no entry runs 13.0-47.22 at collection time, names are compared),
binaries are one line of text, the template payload only runs \`id\` (\`chr(105) . chr(100)\`), webshell
one-liners sit in PHP comments, download URLs are defanged (\`hxxp://\`) and every address outside the
published IOCs is from the RFC 5737 documentation ranges (192.0.2.0/24 attackers, 198.51.100.0/24 scanners,
203.0.113.0/24 users).

## EXPECTED.json

\`\`\`json
{"findings": [{"rule": "<TRIAGE_RULES id>", "confidence": "high|medium|low", "path": "<appliance path>"}],
 "verdict": "compromised|attempts_only|clean", "exit": 0|1}
\`\`\`

Exactly the findings a correct triage must produce, one per distinct (rule, path); compare on (rule, path),
confidence is the lab's reading. \`verdict\` is \`compromised\` when a high or medium finding of kind exploitation
or compromise exists, else \`attempts_only\` when any finding exists, else \`clean\`; \`exit\` is 1 for compromised.
`;

const README_RULES = `## How the rules are read (collection/expected.ts)

- **path**: file rules name the file; \`suid-unexpected\` names the setuid file; \`cron-nobody\` names
  \`/var/cron/tabs/nobody\` (the same crontab is also in \`meta/crontab.txt\`: one finding, at the file);
  \`process-nobody\` / \`outbound-shell\` name \`meta/ps.txt\` / \`meta/sockstat.txt\`, \`notrobin-udp-18634\`
  names \`meta/sockstat.txt\`.
- **log rules**: one finding per rule, at the log file (e.g. \`/var/log/httpaccess.log.2.gz\`) holding the
  chronologically first matching line (oldest rotation first). In this corpus all matching lines of a rule sit in
  one file (rotation never cuts an attack burst), so "first" is unambiguous.
- Directory rules apply recursively (\`/var/vpn/themes/imgs/x.php\` is under \`/var/vpn/themes/\`).
- \`template-payload\`: \`[% … %]\` with template.new / readpipe / chr( / backtick in the template and bookmark dirs.
  \`template-blacklisted-content\`: the §4.2#1 list (exceptions \`execute\`, \`eval(handle_subscriptions())\`,
  \`build.sh\`, \`upgrade.py\` removed first) in the §4.2#1 dirs, not reported again for a file that already has
  template-payload; bookmark XML only when newer than 2019-12-15.
- \`portal-file-permissions\`: mode exactly 0644 on a file (not \`bm_prefix_*\`) in the §4.2#1 dirs.
- \`php-permission\`: PHP under /var/netscaler/logon/, /var/vpn/, /var/netscaler/ns_gui/ (not /netscaler/ns_gui/)
  with mode ≠ 0444. \`php-content\`: any collected .php whose first 2,048 bytes hold \`eval($_\`,
  \`base64_decode(\`, \`http_response_code(\` or \`array_filter(\`.
- \`php-in-alias-dir\`: .php under the §4.2#9 Alias dirs (incl. /var/vpn/themes/). \`known-webshell-path\`: the
  §4.2#8 paths. \`timestomp\`: ctime − mtime > 1,209,600 s under the §4.2#18 dirs.
- \`cron-log-download\`: a /var/log/cron line with \`(nobody) CMD\`, ci.sh/ci2.sh/ci3.sh or the two §4.2#11 IPs.
- \`access-*\`: \`/vpns/\` with each letter possibly %-encoded; \`.xml\` 200/304 → exploit-success; GET|POST \`.pl\`
  304 → exploit-notrobin; \`.pl\`/\`.conf\` 200 → scan-success (the exploit's own POST newbm.pl 200 counts);
  GET|POST|HEAD \`.xml\`/\`.pl\` 401/404 → exploit-failed; any 403 → probe-blocked;
  \`(support|shared|n_top|vpn|themes)/….php\` 200 → access-webshell.
- Responder 403s are written to httpaccess.log as the brief asks, although on a real appliance the responder
  answers in the packet engine before Apache logs anything (open point).
`;
