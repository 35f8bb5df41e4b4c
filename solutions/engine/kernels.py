"""Kernels for the companion notebooks, forked from a process that has already imported ipykernel
and the libraries the problems compute with.

A kernel started afresh spends a second or more importing before it runs a cell: ipykernel,
then matplotlib, numpy, scipy and sympy at the first problem; a build executing five notebooks
pays that five times. Here one fork server is started per process, at the first notebook to
execute: a fresh Python (``subprocess``, never a fork of the build, which has threads) with the
kernels' environment, which imports those libraries once, never the ``solutions`` package (an
edit under ``mkdocs serve`` changes it; each kernel imports it anew). For each kernel
jupyter_client asks for, it forks a child that becomes a session of its own (its own process
group), takes the working folder and environment jupyter_client gives it, and runs ipykernel as
``python -m ipykernel_launcher`` does. The server has no thread, so forking it is safe.

``ForkedProvisioner`` is the jupyter_client provisioner that launches through it: a
LocalProvisioner whose process is the forked kernel (signalled by its process group, polled by
its pid; the server reaps it). A notebook executed in a forked kernel has the same bytes as one
executed in a kernel started afresh (tests/test_notebooks.py executes one both ways). Where the
server cannot be had (no fork, or it failed to start), kernels are started afresh as before.
"""

import atexit
import json
import os
import signal
import subprocess
import sys
import threading

from jupyter_client.provisioning import LocalProvisioner

# Imported by the server before it forks: what a kernel would import itself (ipykernel at start,
# the rest at the first problem). The solutions package is not among them, nor anything it loads
# from the project.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger",
           "numpy", "scipy.linalg", "scipy.optimize", "sympy", "matplotlib.pyplot")
# Read by Python or a preloaded library when it starts, so the server must start with the
# kernels' values (a request with other values gets a kernel started afresh).
AT_START = ("PYTHONHASHSEED", "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "MPLBACKEND",
            "MPLCONFIGDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets MPLBACKEND to if unset

SERVER = r'''
import json, os, signal, sys
if sys.path[0] in ("", os.getcwd()):
    del sys.path[0]  # as ipykernel_launcher does while it imports: nothing from the working folder
import importlib
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:  # not installed: a kernel imports it (or fails to) as it would anyway
        pass
import threading
if threading.active_count() != 1:
    raise SystemExit("kernel fork server: a preloaded library started a thread")
replies = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # kernels write their own output where this process writes its errors
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped as they exit
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid:
        replies.write(f"{pid}\n")
        continue
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        replies.close()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import ipykernel_launcher
        sys.argv = [ipykernel_launcher.__file__, *request["argv"]]
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1 if exc.code else 0)
    except BaseException:
        import traceback
        traceback.print_exc()
        os._exit(1)
    os._exit(0)
'''


def kernel_env(env):
    """Return a kernel's environment as its ipykernel sees it when the user's code first imports
    matplotlib: MPLBACKEND set to the inline backend unless it was set."""
    return {"MPLBACKEND": INLINE, **env} if not env.get("MPLBACKEND") else dict(env)


def _at_start(env):
    return {name: env.get(name) for name in AT_START}


class _Server:
    """The fork server, started with the environment of the first kernel asked of it (kernel_env)."""

    def __init__(self, env):
        self.lock = threading.Lock()
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, json.dumps(PRELOAD)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        atexit.register(self.close)

    def close(self):
        """Stop the server (its stdin closed, it exits; kernels it forked are not its to stop)."""
        with self.lock:
            for stream in (self.process.stdin, self.process.stdout):
                stream.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def fork(self, argv, env, cwd):
        """Return the pid of a kernel forked to run ipykernel with argv, env and cwd; None if it cannot be."""
        with self.lock:
            if self.process.poll() is not None or self.process.stdin.closed:
                return None
            try:
                self.process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd)}) + "\n")
                self.process.stdin.flush()
                reply = self.process.stdout.readline()
            except OSError:
                return None
        return int(reply) if reply.strip().isdigit() else None


_servers = {}  # environment values of AT_START -> its _Server, or None (one per process, in practice)
_servers_lock = threading.Lock()


def _server(env):
    """Return the fork server for kernels with env (kernel_env), started at the first call; None if there is no fork."""
    key = json.dumps(_at_start(env), sort_keys=True)
    with _servers_lock:
        if key not in _servers:
            _servers[key] = _Server(env) if hasattr(os, "fork") else None
        return _servers[key]


def start(env):
    """Start the fork server for kernels whose environment is env (as given to jupyter_client), if it is
    not running: it imports while the caller goes on, and the first kernel asked of it waits less."""
    _server(kernel_env(env))


def _launcher_argv(cmd):
    """Return the arguments after `python -m ipykernel_launcher` in cmd, or None if cmd is another command."""
    if len(cmd) >= 3 and cmd[0] == sys.executable and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return list(cmd[3:])
    return None


class _Forked:
    """The part of subprocess.Popen that LocalProvisioner uses, for a kernel the server forked (not
    this process's child: it is polled by its pid, and the server reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0
        except PermissionError:  # the pid was reused by another user's process: ours is gone
            return 0
        return None

    def wait(self, timeout=None):
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return 0

    def send_signal(self, signum):
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkedProvisioner(LocalProvisioner):
    """LocalProvisioner launching `python -m ipykernel_launcher` kernels of this Python by forking the
    fork server; any other command, or a server that cannot fork, launches as LocalProvisioner does."""

    async def launch_kernel(self, cmd, **kwargs):
        argv = _launcher_argv(cmd)
        env = kernel_env(kwargs.get("env") or os.environ)
        if not kwargs.get("independent"):
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launch_kernel sets it
        server = _server(env) if argv is not None else None
        if server is not None:
            pid = server.fork(argv, env, kwargs.get("cwd") or os.getcwd())
            if pid is not None:
                self.process = _Forked(pid)
                self.pid = self.pgid = pid  # a session of its own: its process group is its pid
                self.cwd = kwargs.get("cwd") or os.getcwd()
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)
