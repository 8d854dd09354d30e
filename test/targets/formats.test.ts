import { afterAll, describe, expect, it } from 'vitest';
import { validateAndCount } from '../../src/targets/index.js';
import { collect, errorOf, keys, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const file = (path: string) => ({ kind: 'file' as const, path });

describe('plain lists', () => {
  it('skips blanks and comments, tolerates CRLF and surrounding white space', async () => {
    const p = tmp.file(
      'list.txt',
      '# my targets\r\n\r\n  127.0.0.1  \r\n\t127.0.0.2:8443\r\n# inline\n127.0.3.0/31\nvpn.example.nl\n127.1.0.5,vpn.example.nl\n[::1]:8443\nhttps://h.example.nl:4443/x',
    );
    expect(keys(await collect([file(p)]))).toEqual([
      '127.0.0.1:443',
      '127.0.0.2:8443',
      '127.0.3.0:443',
      '127.0.3.1:443',
      '|vpn.example.nl:443',
      '127.1.0.5|vpn.example.nl:443',
      '::1:8443',
      '|h.example.nl:4443',
    ]);
  });

  it('a bad line fails with file and 1-based line number', async () => {
    const p = tmp.file('bad-list.txt', '127.0.0.1\n# c\n\n127.0.0.300\n127.0.0.2\n');
    const err = await errorOf(() => collect([file(p)]));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 4 });
    expect(err.message).toBe(`${p}:4: bad target "127.0.0.300": not a valid IPv4 address or host name`);
  });

  it('a bracketed IPv6 first line is a list, not masscan JSON', async () => {
    const p = tmp.file('v6first.txt', '[::1]:443\n127.0.0.1\n');
    expect(keys(await collect([file(p)]))).toEqual(['::1:443', '127.0.0.1:443']);
  });

  it('an empty file or one with only comments gives no targets', async () => {
    expect(await collect([file(tmp.file('empty.txt', ''))])).toEqual([]);
    expect(await collect([file(tmp.file('comments.txt', '# a\n#b\n\n'))])).toEqual([]);
  });
});

describe('masscan -oL', () => {
  const text = [
    '#masscan',
    'open tcp 443 127.0.0.10 1580000000',
    'open tcp 8443 127.0.0.11 1580000001',
    'closed tcp 443 127.0.0.12 1580000002',
    'banner tcp 443 127.0.0.10 1580000003 ssl TLS/1.1 cipher:0xc030',
    'open udp 53 127.0.0.13 1580000004',
    'open tcp 443 ::1 1580000005',
    '# end',
    '',
  ].join('\n');

  it('takes only open tcp lines, each with its port', async () => {
    const p = tmp.file('masscan.lst', text);
    expect(keys(await collect([file(p)], { ports: [1] }))).toEqual(['127.0.0.10:443', '127.0.0.11:8443', '::1:443']);
  });

  it('is detected without the header line too', async () => {
    const p = tmp.file('masscan-noheader.lst', text.split('\n').slice(1).join('\n'));
    expect(keys(await collect([file(p)]))).toEqual(['127.0.0.10:443', '127.0.0.11:8443', '::1:443']);
  });

  it('malformed lines name file and line', async () => {
    const p = tmp.file('masscan-bad.lst', '#masscan\nopen tcp 443 127.0.0.1 1\nopen tcp 99999 127.0.0.2 1\n');
    expect(await errorOf(() => collect([file(p)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 3 });
    const q = tmp.file('masscan-bad2.lst', '#masscan\nopen tcp 443 127.0.0.1 1\nhello world\n');
    const err = await errorOf(() => collect([file(q)]));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: q, line: 3 });
    expect(err.message).toContain('masscan -oL');
    const r = tmp.file('masscan-bad3.lst', '#masscan\nopen tcp 443 127.0.0.x 1\n');
    expect(await errorOf(() => collect([file(r)]))).toMatchObject({ code: 'EW_TARGET_PARSE', line: 2 });
  });
});

describe('masscan -oJ', () => {
  const text = [
    '[',
    '{   "ip": "127.0.0.20",   "timestamp": "1580000000", "ports": [ {"port": 443, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },',
    '{   "ip": "127.0.0.21",   "timestamp": "1580000001", "ports": [ {"port": 8443, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },',
    '{   "ip": "127.0.0.22",   "timestamp": "1580000002", "ports": [ {"port": 443, "proto": "tcp", "status": "closed", "reason": "rst", "ttl": 64} ] },',
    '{   "ip": "127.0.0.20",   "timestamp": "1580000003", "ports": [ {"port": 443, "proto": "tcp", "service": {"name": "ssl", "banner": "TLS/1.2"} } ] },',
    '{   "ip": "::1",   "timestamp": "1580000004", "ports": [ {"port": 443, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }',
    '{finished: 1}',
    ']',
  ].join('\r\n');

  it('parses one object per line, tolerating commas, brackets and the finished line', async () => {
    const p = tmp.file('masscan.json', text);
    expect(keys(await collect([file(p)]))).toEqual(['127.0.0.20:443', '127.0.0.21:8443', '::1:443']);
  });

  it('malformed objects name file and line', async () => {
    const lines = text.split('\r\n');
    lines[2] = '{ "ip": "127.0.0.21", "ports": [ {"port": 8443, "status": "open" ';
    const p = tmp.file('masscan-bad.json', lines.join('\n'));
    const err = await errorOf(() => collect([file(p)]));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 3 });
    expect(err.message).toContain('JSON');
    const q = tmp.file('masscan-bad2.json', '[\n{ "ports": [] },\n]\n');
    expect(await errorOf(() => collect([file(q)]))).toMatchObject({ code: 'EW_TARGET_PARSE', line: 2 });
    const r = tmp.file('masscan-bad3.json', '[\n{ "ip": "300.1.1.1", "ports": [ {"port": 443, "proto": "tcp", "status": "open"} ] },\n]\n');
    expect(await errorOf(() => collect([file(r)]))).toMatchObject({ code: 'EW_TARGET_PARSE', line: 2 });
  });
});

describe('zmap CSV', () => {
  it('takes saddr and sport', async () => {
    const p = tmp.file(
      'zmap.csv',
      'saddr,sport,dport,classification,success\n127.0.0.30,443,51234,synack,1\n127.0.0.31,8443,51235,synack,1\n127.0.0.32,443,51236,rst,0\n',
    );
    expect(keys(await collect([file(p)], { ports: [1] }))).toEqual(['127.0.0.30:443', '127.0.0.31:8443']);
  });

  it('without a port column uses the configured ports', async () => {
    const p = tmp.file('zmap-noport.csv', 'saddr\n127.0.0.33\n127.0.0.34\n');
    expect(keys(await collect([file(p)], { ports: [443, 8443] }))).toEqual([
      '127.0.0.33:443',
      '127.0.0.33:8443',
      '127.0.0.34:443',
      '127.0.0.34:8443',
    ]);
    const q = tmp.file('zmap-quoted.csv', '"saddr","daddr","repeat"\n"127.0.0.35","10.0.0.1","0"\n"127.0.0.35","10.0.0.1","1"\n');
    expect(keys(await collect([file(q)]))).toEqual(['127.0.0.35:443']);
  });

  it('malformed rows name file and line', async () => {
    const p = tmp.file('zmap-bad.csv', 'saddr,sport\n127.0.0.30,443\n127.0.0.31\n');
    expect(await errorOf(() => collect([file(p)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 3 });
    const q = tmp.file('zmap-bad2.csv', 'saddr,sport\n127.0.0.30,abc\n');
    expect(await errorOf(() => collect([file(q)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: q, line: 2 });
    const r = tmp.file('zmap-bad3.csv', 'saddr,sport\nexample.com,443\n');
    expect(await errorOf(() => collect([file(r)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: r, line: 2 });
  });
});

describe('nuclei / httpx URL lines', () => {
  it('takes host and port; https defaults to 443, http to 80; trailing fields ignored', async () => {
    const p = tmp.file(
      'urls.txt',
      'https://vpn.example.nl/vpn/index.html\nhttps://127.0.0.40:8443\nhttp://127.0.0.41/\nhttps://[::1]:4443/x [200] [Citrix Gateway]\nHTTPS://Gw.Example.NL?x=1\n',
    );
    expect(keys(await collect([file(p)], { ports: [1] }))).toEqual([
      '|vpn.example.nl:443',
      '127.0.0.40:8443',
      '127.0.0.41:80',
      '::1:4443',
      '|gw.example.nl:443',
    ]);
  });

  it('malformed URLs name file and line', async () => {
    const p = tmp.file('urls-bad.txt', 'https://ok.example.nl\nhttps://:443/\n');
    expect(await errorOf(() => collect([file(p)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 2 });
    const q = tmp.file('urls-bad2.txt', 'https://ok.example.nl\nhttps://h.example.nl:99999/\n');
    expect(await errorOf(() => collect([file(q)]))).toMatchObject({ code: 'EW_TARGET_PARSE', file: q, line: 2 });
  });
});

describe('format forcing and hostile input', () => {
  it('a forced format overrides detection', async () => {
    const p = tmp.file('forced.txt', '127.0.0.50\n');
    const err = await errorOf(() => collect([file(p)], { ports: [443], format: 'zmap-csv' }));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 1 });
    expect(err.message).toContain('saddr');
    expect(keys(await collect([file(p)], { ports: [443], format: 'list' }))).toEqual(['127.0.0.50:443']);
  });

  it('overlong lines fail with file and line, without reading the rest', async () => {
    const p = tmp.file('long.txt', `127.0.0.1\n${'1'.repeat(5000)}\n127.0.0.2\n`);
    const err = await errorOf(() => collect([file(p)]));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 2 });
    expect(err.message).toContain('longer than 4096 bytes');
    // A file with no newline at all (an image, a dump) fails as soon as the bound is crossed.
    const q = tmp.file('nonewline.bin', Buffer.alloc(3 * 1024 * 1024, 0x41));
    expect(await errorOf(() => validateAndCount([file(q)], { ports: [443] }))).toMatchObject({ code: 'EW_TARGET_PARSE', line: 1 });
  });

  it('binary junk fails with a readable message, not a crash', async () => {
    const junk = Buffer.from([
      0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x0a, 0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0a,
    ]);
    const p = tmp.file('junk.bin', Buffer.concat([Buffer.from('127.0.0.1\n'), junk]));
    const err = await errorOf(() => collect([file(p)]));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: p, line: 2 });
    expect(err.message).toContain('\\x7f');
    expect(err.message).not.toMatch(/[\u0000-\u0008\u001b]/);
  });

  it('unreadable inputs fail with EW_TARGET_FILE naming the file', async () => {
    const missing = `${tmp.dir}/does-not-exist.txt`;
    expect(await errorOf(() => collect([file(missing)]))).toMatchObject({ code: 'EW_TARGET_FILE', file: missing });
    expect(await errorOf(() => validateAndCount([file(tmp.dir)], { ports: [443] }))).toMatchObject({
      code: 'EW_TARGET_FILE',
      file: tmp.dir,
    });
  });

  it('a file label replaces the path in messages', async () => {
    const p = tmp.file('spooled.txt', 'nope..x\n');
    const err = await errorOf(() => collect([{ kind: 'file', path: p, label: 'stdin' }]));
    expect(err).toMatchObject({ file: 'stdin', line: 1 });
    expect(err.message).toMatch(/^stdin:1: bad target "nope\.\.x"/);
  });
});
