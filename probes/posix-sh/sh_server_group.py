"""edgeprobe POSIX-sh probe: the servers its Python helpers start (sh_django.py's Django servers, sh_ws_client.py's
streaming tiers), each in a session of its own holding the read end of a pipe as fd 3, a lifeline: the server exits
by itself when the helper dies, however it dies, and stop() ends its whole process group. The assembler
(probes/posix-sh/assemble.ts) puts this text before each of those helpers, which subclass LifelineServer.
"""
import os
import signal
import subprocess


class LifelineServer:
    proc = None
    lifeline_r = lifeline_w = -1

    def spawn(self, argv, cwd, env, stdin, stderr):
        self.lifeline_r, self.lifeline_w = os.pipe()
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, pass_fds=(3,),
                                     close_fds=True, start_new_session=True, preexec_fn=lambda: os.dup2(self.lifeline_r, 3))

    def stop(self):
        """SIGTERM to the group, SIGKILL if it is still there after 1.5 s; then the lifeline closes."""
        for sig, wait in ((signal.SIGTERM, 1.5), (signal.SIGKILL, 2)):
            try:
                os.killpg(self.proc.pid, sig)
            except OSError:
                pass
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        for fd in (self.lifeline_r, self.lifeline_w):
            if fd >= 0:
                os.close(fd)
        self.lifeline_r = self.lifeline_w = -1
