// The django probe's throwaway project (probes/assets/django_project/): the files the Node agent writes into
// its temp directory and the POSIX-sh probe's Python helper receives as JSON.
import { readPackageFile } from '../../../src/platform/package-files.js';

const PROJECT = 'probes/assets/django_project';
const PROJECT_FILES = [
  'serve.py',
  'edgeprobe_site/__init__.py',
  'edgeprobe_site/settings.py',
  'edgeprobe_site/models.py',
  'edgeprobe_site/views.py',
  'edgeprobe_site/urls.py',
  'edgeprobe_site/wsgi.py',
  'edgeprobe_site/asgi.py',
  'edgeprobe_site/migrations/__init__.py',
  'edgeprobe_site/migrations/0001_initial.py',
  'edgeprobe_site/templates/edgeprobe_site/page.html',
] as const;

/** Path inside the project -> its text. */
export function djangoProjectFiles(): Record<string, string> {
  return Object.fromEntries(PROJECT_FILES.map((file) => [file, readPackageFile(`${PROJECT}/${file}`)]));
}
