// Pure parsers behind the python, supervision, stack and disk probes, on recorded outputs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMountinfo } from '../probes/lib/parsers/cgroup.js';
import { blockNamesFromSysLink, deviceKind, diskFromDevice, diskFromMajorMinor, mountFor, parseDfPosix, percentile } from '../probes/lib/parsers/disk.js';
import { parseCmdline, parseProcNetTcp, parseProcStatus, reachableFromLoopback } from '../probes/lib/parsers/proc.js';
import { parseInspection } from '../probes/lib/parsers/python-inspect.js';
import {
  describeRedisTarget,
  encodeRespCommand,
  parseRedisConf,
  parseRedisInfo,
  parseRedisServerVersion,
  parseRedisTarget,
  parseRespReply,
} from '../probes/lib/parsers/redis.js';
import {
  parseApacheVersion,
  parseCaddyVersion,
  parseLighttpdVersion,
  parseMemcachedVersion,
  parseNginxVersion,
  parsePgIsReady,
  parsePostgresVersion,
} from '../probes/lib/parsers/stack.js';
import {
  classifyInit,
  globToRegExp,
  parseIni,
  parseSupervisorctlPid,
  parseSystemdVersion,
  parseSystemState,
  supervisordConfigArg,
  supervisordIncludes,
} from '../probes/lib/parsers/supervision.js';
import { compareVersions, maxDjangoFor } from '../src/facts/django-support.js';

test('Django support table: newest series per Python, LTS, and Pythons outside the table', () => {
  assert.deepEqual(maxDjangoFor('3.9.2'), { series: '4.2', lts: '4.2', reason: null }); // Raspberry Pi OS bullseye
  assert.deepEqual(maxDjangoFor('3.11.2'), { series: '5.2', lts: '5.2', reason: null }); // bookworm
  assert.equal(maxDjangoFor('3.12.1').series, '6.1');
  assert.equal(maxDjangoFor('3.10.13').series, '5.2');
  assert.equal(maxDjangoFor('3.7.3').series, '3.2'); // buster
  assert.equal(maxDjangoFor('3.6.15').series, '3.2');
  assert.equal(maxDjangoFor('2.7.18').series, '1.11');
  const future = maxDjangoFor('3.99.0');
  assert.equal(future.series, null);
  assert.match(future.reason ?? '', /newer than every Django release/);
  assert.match(maxDjangoFor('3.3.7').reason ?? '', /no Django release supports Python 3.3/);
  assert.ok(compareVersions('3.10', '3.9') > 0);
  assert.equal(compareVersions('5.2', '5.2.0'), 0);
});

test('python inspection output: accepted only when complete; banners, garbage and half reports are rejected with a reason', () => {
  const good =
    'EDGEPROBE_PYTHON {"schema": 1, "version": "3.11.2", "releaseLevel": "final", "implementation": "cpython", "executable": "/usr/bin/python3", "prefix": "/usr", "inVirtualenv": false, "bits": 32, "machine": "armv7l", "platformTag": "linux_armv7l", "libc": "glibc 2.36", "soabi": "cpython-311-arm-linux-gnueabihf", "venv": {"ok": false, "value": null, "error": "ModuleNotFoundError: No module named \'ensurepip\'"}, "pip": {"ok": true, "value": "23.0.1", "error": null}, "ssl": {"ok": true, "value": "OpenSSL 3.0.11", "error": null}, "sqlite": {"ok": true, "value": "3.40.1", "error": null}, "headers": {"ok": false, "value": null, "error": "OSError: no /usr/include/python3.11/Python.h"}, "missingModules": [], "packages": {"django": "4.2.7", "channels": null, "daphne": null, "uvicorn": "0.17.6", "channels_redis": null, "gunicorn": null, "redis": null, "twisted": null, "cryptography": null}}';
  const parsed = parseInspection(`some sitecustomize banner\n${good}\n`);
  assert.ok(parsed.ok);
  if (parsed.ok) {
    assert.equal(parsed.inspection.version, '3.11.2');
    assert.equal(parsed.inspection.bits, 32);
    assert.equal(parsed.inspection.venv.ok, false);
    assert.match(parsed.inspection.venv.error ?? '', /ensurepip/);
    assert.equal(parsed.inspection.packages.django, '4.2.7');
    assert.equal(parsed.inspection.packages.daphne, null);
  }
  const garbage = parseInspection('\x00\x01hello garbage');
  assert.equal(garbage.ok, false);
  assert.match(garbage.ok ? '' : garbage.reason, /printed no inspection report \(got "hello garbage"\)/);
  assert.match((parseInspection('') as { reason: string }).reason, /printed nothing/);
  assert.match((parseInspection('EDGEPROBE_PYTHON {"version": 3') as { reason: string }).reason, /malformed/);
  assert.match((parseInspection('EDGEPROBE_PYTHON {"version": "3.11.2", "bits": 64}') as { reason: string }).reason, /no valid "venv"/);
  assert.match((parseInspection('EDGEPROBE_PYTHON {"version": "three", "bits": 64}') as { reason: string }).reason, /no valid version/);
});

test('/proc parsers: argv, status, listening sockets in both families', () => {
  assert.deepEqual(parseCmdline('/usr/bin/python3\0/usr/bin/supervisord\0-c\0/etc/s.conf\0'), [
    '/usr/bin/python3',
    '/usr/bin/supervisord',
    '-c',
    '/etc/s.conf',
  ]);
  assert.deepEqual(parseProcStatus('Name:\tsleep\nPPid:\t42\nUid:\t1000\t1000\t1000\t1000\n'), { ppid: 42, uid: 1000 });
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   102        0 23456 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
    '   2: 0100007F:1F40 0100007F:A0B2 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  assert.deepEqual(parseProcNetTcp(tcp, 4), [
    { address: '127.0.0.1', port: 6379, inode: 23456, family: 4 },
    { address: '0.0.0.0', port: 80, inode: 1111, family: 4 },
  ]);
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
    '   2: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(
    parseProcNetTcp(tcp6, 6).map((s) => [s.address, s.port, s.inode]),
    [
      ['::1', 8000, 3333],
      ['::', 443, 4444],
      ['::ffff:127.0.0.1', 80, 5555],
    ],
  );
  assert.ok(reachableFromLoopback('0.0.0.0') && reachableFromLoopback('::1') && reachableFromLoopback('127.0.0.53'));
  assert.ok(!reachableFromLoopback('192.168.1.5'));
});

test('Redis: targets never show a password; versions; redis.conf; INFO; RESP replies split across reads', () => {
  assert.deepEqual(parseRedisTarget('redis://127.0.0.1:6380'), { kind: 'tcp', host: '127.0.0.1', port: 6380, username: null, password: null });
  const secret = parseRedisTarget('redis://:s3cr%40t@localhost');
  assert.deepEqual(secret, { kind: 'tcp', host: 'localhost', port: 6379, username: null, password: 's3cr@t' });
  assert.equal(describeRedisTarget(secret as NonNullable<typeof secret>), 'redis://:***@localhost:6379');
  assert.deepEqual(parseRedisTarget('/run/redis/redis.sock'), { kind: 'unix', path: '/run/redis/redis.sock', username: null, password: null });
  assert.equal(parseRedisTarget('http://x'), null);
  assert.equal(parseRedisTarget('redis://h:99999'), null);
  assert.equal(parseRedisTarget('not a url'), null);
  assert.equal(parseRedisServerVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0'), '7.0.15');
  assert.equal(parseRedisServerVersion('Redis server v=5.0.14 sha=00000000:0 malloc=jemalloc-5.1.0 bits=32 build=1'), '5.0.14');
  assert.equal(parseRedisServerVersion('nonsense'), null);
  assert.deepEqual(parseRedisConf('# comment\nbind 127.0.0.1 -::1\nport 6380\nunixsocket /run/redis/redis-server.sock\n# requirepass foobared\n'), {
    port: 6380,
    bind: ['127.0.0.1', '::1'],
    unixsocket: '/run/redis/redis-server.sock',
    requirepass: false,
  });
  assert.equal(parseRedisConf('requirepass "hunter2"').requirepass, true);
  assert.deepEqual(parseRedisInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n'), { redis_version: '7.0.15', redis_mode: 'standalone' });
  assert.equal(encodeRespCommand(['INFO', 'server']), '*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n');
  assert.deepEqual(parseRespReply('+PONG\r\n'), { value: { type: 'simple', text: 'PONG' }, rest: '' });
  assert.deepEqual(parseRespReply('-NOAUTH Authentication required.\r\n')?.value, { type: 'error', text: 'NOAUTH Authentication required.' });
  assert.equal(parseRespReply('$10\r\nabc'), null, 'an incomplete bulk string waits for more bytes');
  assert.deepEqual(parseRespReply('$3\r\nabc\r\n+OK\r\n'), { value: { type: 'bulk', text: 'abc' }, rest: '+OK\r\n' });
});

test('stack version lines as the programs print them', () => {
  assert.equal(parseNginxVersion('nginx version: nginx/1.22.1'), '1.22.1');
  assert.equal(parseNginxVersion('nginx version: openresty/1.21.4.1'), '1.21.4.1');
  assert.equal(parseCaddyVersion('v2.6.2 h1:wKoFIxpmOJLGl3QXoo6PNbYvGW4xLEgo32GPBEjWL8o='), '2.6.2');
  assert.equal(parseApacheVersion('Server version: Apache/2.4.57 (Debian)\nServer built:   2023-04-13T03:26:51'), '2.4.57');
  assert.equal(parseLighttpdVersion('lighttpd/1.4.69 (ssl) - a light and fast webserver'), '1.4.69');
  assert.equal(parsePostgresVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), '15.18');
  assert.equal(parsePostgresVersion('psql (PostgreSQL) 13.13 (Raspbian 13.13-0+deb11u1)'), '13.13');
  assert.equal(parsePostgresVersion('PostgreSQL 16.1'), '16.1');
  assert.equal(parseMemcachedVersion('memcached 1.6.18'), '1.6.18');
  assert.equal(parsePgIsReady('127.0.0.1:5432 - accepting connections'), 'accepting');
  assert.equal(parsePgIsReady('127.0.0.1:5433 - no response'), 'no response');
});

test('supervision: pid 1 kinds, systemd answers, supervisord command lines and include globs', () => {
  const init = (comm: string, exe: string | null, argv: string[] = [], extra: { openrcRunning?: boolean; inContainer?: boolean } = {}) =>
    classifyInit({ comm, exe, argv, openrcRunning: extra.openrcRunning ?? false, inContainer: extra.inContainer ?? false });
  assert.equal(init('systemd', '/usr/lib/systemd/systemd', ['/sbin/init', 'splash']), 'systemd');
  assert.equal(init('init', '/sbin/init', ['/sbin/init']), 'sysvinit');
  assert.equal(init('init', '/sbin/init', ['/sbin/init'], { openrcRunning: true }), 'openrc');
  assert.equal(init('init', '/bin/busybox', ['/sbin/init']), 'busybox');
  assert.equal(init('runit', '/sbin/runit', []), 'runit');
  assert.equal(init('s6-svscan', '/command/s6-svscan', ['s6-svscan', '-t0', '/var/run/s6/services']), 's6');
  assert.equal(init('tini', '/usr/bin/tini', ['/usr/bin/tini', '--', 'python']), 'container-init');
  assert.equal(init('docker-init', '/sbin/docker-init', ['/sbin/docker-init', '--', 'sh']), 'container-init');
  assert.equal(init('process_api', '/process_api', ['/process_api', '--firecracker-init']), 'unknown');
  assert.equal(init('node', '/usr/bin/node', ['node', 'bin/edgeprobe.js']), 'unknown');
  assert.equal(parseSystemdVersion('systemd 252 (252.38-1~deb12u1)\n+PAM +AUDIT'), 252);
  assert.equal(parseSystemState('degraded\n'), 'degraded');
  assert.equal(parseSystemState('offline\n'), 'offline');
  assert.equal(parseSystemState('System has not been booted with systemd'), null);
  assert.equal(
    supervisordConfigArg(['/usr/bin/python3', '/usr/bin/supervisord', '-n', '-c', '/etc/supervisor/supervisord.conf']),
    '/etc/supervisor/supervisord.conf',
  );
  assert.equal(supervisordConfigArg(['supervisord', '--configuration=/opt/s.conf']), '/opt/s.conf');
  assert.equal(supervisordConfigArg(['supervisord', '-c/opt/x.conf']), '/opt/x.conf');
  assert.equal(supervisordConfigArg(['supervisord', '-nc', 'rel.conf']), 'rel.conf');
  assert.equal(supervisordConfigArg(['supervisord', '-n']), null);
  const conf =
    '[unix_http_server]\nfile=/var/run/supervisor.sock   ; (the path to the socket file)\n\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n  extra/*.ini\n';
  assert.equal(parseIni(conf).get('unix_http_server')?.get('file'), '/var/run/supervisor.sock');
  assert.deepEqual(supervisordIncludes(conf, '/etc/supervisor'), ['/etc/supervisor/conf.d/*.conf', '/etc/supervisor/extra/*.ini']);
  assert.ok(globToRegExp('*.conf').test('edgeprobe-restart-1a2b.conf'));
  assert.ok(!globToRegExp('*.conf').test('x.ini'));
  assert.ok(globToRegExp('prog-?.ini').test('prog-1.ini'));
  assert.equal(parseSupervisorctlPid('12345\n'), 12345);
  assert.equal(parseSupervisorctlPid('0\n'), null, 'a stopped program has pid 0');
  assert.equal(parseSupervisorctlPid('unix:///tmp/x.sock no such file\n'), null);
});

test('disk: mount of a path, block devices, device kinds, percentiles, df', () => {
  const mounts = parseMountinfo(
    [
      '22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw',
      '30 22 179:1 / /boot/firmware rw,relatime shared:2 - vfat /dev/mmcblk0p1 rw',
      '31 22 0:25 / /home/pi/my\\040app rw shared:3 - tmpfs tmpfs rw,size=102400k',
      '40 22 259:2 / /srv rw shared:4 - ext4 /dev/nvme0n1p2 rw',
    ].join('\n'),
  );
  assert.equal(mountFor(mounts, '/home/pi')?.mountPoint, '/');
  assert.equal(mountFor(mounts, '/home/pi/my app/x')?.fsType, 'tmpfs');
  assert.equal(mountFor(mounts, '/boot/firmware')?.source, '/dev/mmcblk0p1');
  assert.equal(mountFor(mounts, '/srvx')?.mountPoint, '/', 'a prefix that is not a path component does not count');
  assert.equal(mountFor(mounts, '/srv/app')?.majorMinor, '259:2');
  assert.deepEqual(blockNamesFromSysLink('../../devices/platform/soc/3f202000.mmc/mmc_host/mmc0/mmc0:aaaa/block/mmcblk0/mmcblk0p2'), {
    name: 'mmcblk0p2',
    disk: 'mmcblk0',
  });
  assert.deepEqual(blockNamesFromSysLink('../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda'), { name: 'vda', disk: 'vda' });
  assert.equal(diskFromDevice('/dev/mmcblk0p2'), 'mmcblk0');
  assert.equal(diskFromDevice('/dev/nvme0n1p2'), 'nvme0n1');
  assert.equal(diskFromDevice('/dev/sda2'), 'sda');
  assert.equal(diskFromDevice('/dev/root'), null);
  assert.equal(diskFromDevice('overlay'), null);
  assert.equal(diskFromMajorMinor('179:2'), 'mmcblk0');
  assert.equal(diskFromMajorMinor('179:10'), 'mmcblk1');
  assert.equal(diskFromMajorMinor('8:17'), 'sdb');
  assert.equal(diskFromMajorMinor('0:25'), null);
  const kind = (fsType: string, disk: string | null, rotational: string | null = null, mmcType: string | null = null, onUsb = false) =>
    deviceKind({ fsType, disk, rotational, mmcType, onUsb }).kind;
  assert.equal(kind('ext4', 'mmcblk0', null, 'SD\n'), 'sd');
  assert.equal(kind('ext4', 'mmcblk1', null, 'MMC\n'), 'emmc');
  assert.equal(kind('ext4', 'nvme0n1', '0\n'), 'nvme');
  assert.equal(kind('ext4', 'sda', '0\n'), 'ssd');
  assert.equal(kind('ext4', 'sda', '1\n'), 'rotational');
  // Over USB the kernel's rotational flag is 1 for flash sticks too; a 0 is the device's own VPD answer.
  assert.equal(kind('ext4', 'sda', '1\n', null, true), 'usb');
  assert.equal(kind('ext4', 'sda', '0\n', null, true), 'ssd');
  assert.equal(kind('tmpfs', null), 'ram');
  assert.equal(kind('nfs4', null), 'network');
  assert.match(deviceKind({ fsType: 'overlay', disk: null, rotational: null, mmcType: null, onUsb: false }).reason ?? '', /overlay/);
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 99), 100);
  assert.equal(percentile([], 50), null);
  assert.deepEqual(
    parseDfPosix('Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/root        30358348  4470996  24595236      16% /\n'),
    { totalBytes: 30358348 * 1024, freeBytes: 24595236 * 1024 },
  );
});
