// python: the best interpreter and the Django stack it can run.
import { defineMetrics } from './define.js';

export const PYTHON_METRICS = defineMetrics('python', [
  { name: 'found', type: 'boolean', judged: true, description: 'A Python 3 interpreter was found' },
  { name: 'version', type: 'string', judged: true, description: 'Version of the best interpreter, e.g. "3.11.2"' },
  { name: 'path', type: 'string', description: 'Path of the best interpreter' },
  { name: 'venv_available', type: 'boolean', judged: true, description: 'venv and ensurepip are usable' },
  { name: 'pip_available', type: 'boolean', judged: true, description: 'pip is importable' },
  { name: 'ssl_available', type: 'boolean', judged: true, description: 'The ssl module loads' },
  { name: 'sqlite_version', type: 'string', judged: true, description: 'SQLite library version the sqlite3 module links' },
  { name: 'build_tools_available', type: 'boolean', judged: true, description: 'C compiler and Python headers present, so wheels can be built' },
  { name: 'max_django', type: 'string', judged: true, description: 'Newest Django series this interpreter supports, e.g. "5.2"' },
  { name: 'django_version', type: 'string', description: 'Installed Django' },
  { name: 'channels_version', type: 'string', description: 'Installed Channels' },
  { name: 'asgi_server', type: 'string', description: '"daphne", "uvicorn" or null' },
  { name: 'bits', type: 'number', unit: 'bits', description: 'Bitness of the best interpreter: 32 or 64' },
  { name: 'headers_available', type: 'boolean', description: 'Python.h of the best interpreter is installed' },
  { name: 'compiler_available', type: 'boolean', description: 'A C compiler (cc, gcc or clang) is on the PATH' },
  { name: 'daphne_version', type: 'string', description: 'Installed daphne' },
  { name: 'uvicorn_version', type: 'string', description: 'Installed uvicorn' },
  { name: 'channels_redis_version', type: 'string', description: 'Installed channels_redis' },
  { name: 'interpreter_count', type: 'number', description: 'Distinct working Python interpreters found' },
]);
