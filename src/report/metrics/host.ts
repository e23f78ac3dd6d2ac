// host: what the board and its OS are.
import { defineMetrics } from './define.js';

export const HOST_METRICS = defineMetrics('host', [
  { name: 'board', type: 'string', specSheet: true, description: 'Board model: device-tree model, else decoded Raspberry Pi revision, else DMI product' },
  { name: 'os', type: 'string', description: 'Pretty OS name from os-release' },
  { name: 'kernel', type: 'string', description: 'Kernel release' },
  {
    name: 'board_ram_bytes',
    type: 'number',
    unit: 'bytes',
    specSheet: true,
    description: 'RAM fitted to the board, decoded from the Raspberry Pi revision code',
  },
  {
    name: 'linux',
    type: 'boolean',
    specSheet: true,
    description: 'Runs a Linux kernel: a spec sheet says so (a microcontroller runs none); a probe reads the running kernel',
  },
  { name: 'in_container', type: 'boolean', description: 'The agent runs inside a container (docker, podman, lxc ...)' },
]);
